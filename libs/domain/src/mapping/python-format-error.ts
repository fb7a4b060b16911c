/**
 * The Python exception a `str.format` call would raise. Keystone turns an
 * IndexError into DirectMappingError (500), a TypeError into 400 and every
 * other class into a generic 500; the engine maps them in one place.
 */
export type PythonFormatErrorClass =
  | 'IndexError'
  | 'KeyError'
  | 'ValueError'
  | 'TypeError'
  | 'AttributeError'
  | 'MemoryError';

export class PythonFormatError extends Error {
  override readonly name = 'PythonFormatError';

  constructor(
    readonly pythonClass: PythonFormatErrorClass,
    message: string,
  ) {
    super(message);
  }
}
