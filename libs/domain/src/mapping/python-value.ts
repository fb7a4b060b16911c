/**
 * The few Python value shapes the mapping engine has to carry around.
 *
 * Keystone's rules are JSON, but two steps produce real Python values: the
 * "literal parse" of `groups`/`group_ids` text (`ast.literal_eval`) and the
 * Python set that de-duplicates `group_ids`. Python semantics leak into the
 * observable result (a tuple is hashable, a list is not; `1`, `1.0` and
 * `True` are the same set member), so they are modelled here instead of
 * being approximated with plain JSON.
 *
 * Representation: `str` → string, `int` → bigint, `float` → number,
 * `bool` → boolean, `None` → null, `list` → array, and the classes below
 * for tuple, set and dict. Values that come straight from JSON (rules,
 * decoded `JSON:` groups) use plain JS objects for dicts and numbers for
 * every number; both forms are accepted wherever a value is read.
 */

export class PyTuple {
  constructor(readonly items: readonly PyValue[]) {}
}

export class PySet {
  constructor(readonly items: readonly PyValue[]) {}
}

export class PyDict {
  constructor(readonly entries: ReadonlyArray<readonly [PyValue, PyValue]>) {}
}

export type JsonValue =
  | string
  | number
  | boolean
  | null
  | JsonValue[]
  | { [key: string]: JsonValue };

export type PyValue =
  | string
  | bigint
  | number
  | boolean
  | null
  | PyValue[]
  | PyTuple
  | PySet
  | PyDict
  | { [key: string]: PyValue };

/** Raised where Python would raise TypeError (Keystone answers 400). */
export class PythonTypeError extends Error {
  override readonly name = 'PythonTypeError';
}

/** Python's `type(x).__name__`, for error texts. */
export function pythonTypeName(value: unknown): string {
  if (typeof value === 'string') return 'str';
  if (typeof value === 'bigint') return 'int';
  if (typeof value === 'number') return Number.isInteger(value) ? 'int' : 'float';
  if (typeof value === 'boolean') return 'bool';
  if (value === null || value === undefined) return 'NoneType';
  if (Array.isArray(value)) return 'list';
  if (value instanceof PyTuple) return 'tuple';
  if (value instanceof PySet) return 'set';
  return 'dict';
}

/**
 * A key equal for values Python considers equal and hashable, so a JS Map
 * can stand in for a Python set or dict. Throws PythonTypeError for the
 * unhashable types (list, dict, set), with Python's message.
 */
export function pythonHashKey(value: PyValue): string {
  if (typeof value === 'string') return `s:${value}`;
  if (value === null) return 'none';
  if (typeof value === 'boolean') return value ? 'n:1' : 'n:0';
  if (typeof value === 'bigint') return `n:${value.toString()}`;
  if (typeof value === 'number') {
    // 1 == 1.0 == True in Python, so integral floats share the int key.
    if (Number.isInteger(value)) return `n:${BigInt(value).toString()}`;
    return `f:${value}`;
  }
  if (value instanceof PyTuple) {
    return `t:(${value.items.map(pythonHashKey).join(',')})`;
  }
  throw new PythonTypeError(`unhashable type: '${pythonTypeName(value)}'`);
}

/** Python's `in` operator as `_normalize_groups` uses it (`'domain' in g`). */
export function pythonContains(container: PyValue, needle: string): boolean {
  if (typeof container === 'string') return container.includes(needle);
  if (Array.isArray(container)) return container.some((item) => item === needle);
  if (container instanceof PyTuple || container instanceof PySet) {
    return container.items.some((item) => item === needle);
  }
  if (container instanceof PyDict) {
    return container.entries.some(([key]) => key === needle);
  }
  if (container !== null && typeof container === 'object') {
    return Object.prototype.hasOwnProperty.call(container, needle);
  }
  throw new PythonTypeError(
    `argument of type '${pythonTypeName(container)}' is not iterable`,
  );
}

/**
 * Converts a Python value to what Keystone's JSON answer would carry:
 * tuples and sets become arrays, ints become numbers (beyond 2^53 they
 * lose precision, as they would in any JSON client), dict keys become text.
 */
export function toJsonValue(value: PyValue): JsonValue {
  if (typeof value === 'bigint') return Number(value);
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(toJsonValue);
  if (value instanceof PyTuple || value instanceof PySet) {
    return value.items.map(toJsonValue);
  }
  const out: { [key: string]: JsonValue } = {};
  if (value instanceof PyDict) {
    for (const [key, item] of value.entries) out[jsonKey(key)] = toJsonValue(item);
    return out;
  }
  for (const [key, item] of Object.entries(value)) out[key] = toJsonValue(item);
  return out;
}

// json.dumps turns non-string keys into text this way.
function jsonKey(key: PyValue): string {
  if (typeof key === 'string') return key;
  if (key === null) return 'null';
  if (typeof key === 'boolean') return key ? 'true' : 'false';
  return String(key);
}
