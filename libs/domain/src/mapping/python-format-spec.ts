import { PythonFormatError } from './python-format-error';

/**
 * `format(str_value, spec)`: the format-spec mini-language as CPython
 * applies it to a `str` (fill, align, width, precision, type `s`). Every
 * other option is a ValueError for strings, which Keystone answers with 500.
 */

// Python would happily build a gigabyte of padding; we refuse beyond this.
const MAX_WIDTH = 1_000_000;

const DECIMAL_DIGIT = /^\p{Nd}$/u;

/**
 * Py_UNICODE_TODECIMAL: the value of any Unicode decimal digit, else -1.
 * Decimal digits are encoded in runs of ten from 0 to 9, so the value is
 * the distance from the start of the run, modulo 10.
 */
export function decimalDigitValue(char: string): number {
  if (char >= '0' && char <= '9') return char.charCodeAt(0) - 48;
  if (!DECIMAL_DIGIT.test(char)) return -1;
  let codePoint = char.codePointAt(0) ?? 0;
  let steps = 0;
  while (DECIMAL_DIGIT.test(String.fromCodePoint(codePoint - 1))) {
    codePoint -= 1;
    steps += 1;
  }
  return steps % 10;
}

const SSIZE_MAX = 2n ** 63n - 1n;

/**
 * CPython's get_integer over `chars[start..end)`: reads decimal digits,
 * returns the value and how many were consumed (0 when none), and raises
 * the "Too many decimal digits" ValueError past PY_SSIZE_T_MAX.
 */
export function readDecimal(
  chars: readonly string[],
  start: number,
  end: number,
): { value: number; consumed: number } {
  let accumulator = 0n;
  let pos = start;
  while (pos < end) {
    const digit = decimalDigitValue(chars[pos] ?? '');
    if (digit < 0) break;
    if (accumulator > (SSIZE_MAX - BigInt(digit)) / 10n) {
      throw new PythonFormatError('ValueError', 'Too many decimal digits in format string');
    }
    accumulator = accumulator * 10n + BigInt(digit);
    pos += 1;
  }
  return { value: Number(accumulator), consumed: pos - start };
}

function charLabel(char: string): string {
  const codePoint = char.codePointAt(0) ?? 0;
  return codePoint > 32 && codePoint < 128 ? char : `\\x${codePoint.toString(16)}`;
}

interface StringSpec {
  fill: string;
  align: string;
  width: number;
  precision: number;
}

function parseSpec(spec: string): StringSpec {
  const chars = Array.from(spec);
  const end = chars.length;
  const at = (index: number): string => chars[index] ?? '';
  const isAlign = (char: string): boolean => '<>=^'.includes(char) && char !== '';
  let pos = 0;
  let fill = ' ';
  let align = '<';
  let fillSpecified = false;
  if (end - pos >= 2 && isAlign(at(pos + 1))) {
    [fill, align] = [at(pos), at(pos + 1)];
    fillSpecified = true;
    pos += 2;
  } else if (end - pos >= 1 && isAlign(at(pos))) {
    align = at(pos);
    pos += 1;
  }
  let sign = '';
  if (end - pos >= 1 && '+- '.includes(at(pos))) sign = chars[pos++] ?? '';
  const noNegativeZero = end - pos >= 1 && at(pos) === 'z';
  if (noNegativeZero) pos += 1;
  const alternate = end - pos >= 1 && at(pos) === '#';
  if (alternate) pos += 1;
  // Zero padding only sets the fill for strings (their default align is '<').
  if (!fillSpecified && end - pos >= 1 && at(pos) === '0') {
    fill = '0';
    pos += 1;
  }
  const widthRead = readDecimal(chars, pos, end);
  pos += widthRead.consumed;
  const width = widthRead.consumed === 0 ? -1 : widthRead.value;
  let grouping = '';
  if (end - pos > 0 && at(pos) === ',') {
    grouping = ',';
    pos += 1;
  }
  if (end - pos > 0 && at(pos) === '_') {
    if (grouping) throw new PythonFormatError('ValueError', "Cannot specify both ',' and '_'.");
    grouping = '_';
    pos += 1;
  }
  if (end - pos > 0 && at(pos) === ',' && grouping === '_') {
    throw new PythonFormatError('ValueError', "Cannot specify both ',' and '_'.");
  }
  let precision = -1;
  if (end - pos > 0 && at(pos) === '.') {
    pos += 1;
    const precisionRead = readDecimal(chars, pos, end);
    if (precisionRead.consumed === 0) {
      throw new PythonFormatError('ValueError', 'Format specifier missing precision');
    }
    pos += precisionRead.consumed;
    precision = precisionRead.value;
  }
  if (end - pos > 1) {
    throw new PythonFormatError(
      'ValueError',
      `Invalid format specifier '${spec}' for object of type 'str'`,
    );
  }
  const type = end - pos === 1 ? at(pos) : 's';
  checkGrouping(grouping, type);
  if (type !== 's') {
    throw new PythonFormatError(
      'ValueError',
      `Unknown format code '${charLabel(type)}' for object of type 'str'`,
    );
  }
  checkStringOnlyOptions(sign, noNegativeZero, alternate, align);
  return { fill, align, width, precision };
}

function checkGrouping(grouping: string, type: string): void {
  if (!grouping || 'defgEG%F'.includes(type)) return;
  if (grouping === '_' && 'boxX'.includes(type)) return;
  throw new PythonFormatError(
    'ValueError',
    `Cannot specify '${grouping}' with '${charLabel(type)}'.`,
  );
}

function checkStringOnlyOptions(
  sign: string,
  noNegativeZero: boolean,
  alternate: boolean,
  align: string,
): void {
  if (sign === ' ') {
    throw new PythonFormatError('ValueError', 'Space not allowed in string format specifier');
  }
  if (sign) {
    throw new PythonFormatError('ValueError', 'Sign not allowed in string format specifier');
  }
  if (noNegativeZero) {
    throw new PythonFormatError(
      'ValueError',
      'Negative zero coercion (z) not allowed in string format specifier',
    );
  }
  if (alternate) {
    throw new PythonFormatError(
      'ValueError',
      'Alternate form (#) not allowed in string format specifier',
    );
  }
  if (align === '=') {
    throw new PythonFormatError(
      'ValueError',
      "'=' alignment not allowed in string format specifier",
    );
  }
}

/** `format(value, spec)` for a `str` value. */
export function formatStringWithSpec(value: string, spec: string): string {
  if (spec === '') return value;
  const { fill, align, width, precision } = parseSpec(spec);
  if (width > MAX_WIDTH) {
    throw new PythonFormatError('MemoryError', `format width ${width} exceeds ${MAX_WIDTH}`);
  }
  let chars = Array.from(value);
  if (precision >= 0 && chars.length > precision) chars = chars.slice(0, precision);
  const total = Math.max(width, chars.length);
  const padding = total - chars.length;
  let left = 0;
  if (align === '>') left = padding;
  else if (align === '^') left = Math.floor(padding / 2);
  return fill.repeat(left) + chars.join('') + fill.repeat(padding - left);
}
