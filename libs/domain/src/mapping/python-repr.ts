import { PyDict, PySet, PyTuple } from './python-value';

/**
 * Python's `repr()` for the values that reach client-visible text:
 * substituted multi-valued attributes (`['erin', 'frank']`), the
 * "Invalid rule: {...}" message and the schema validation messages.
 */

// Python's str.isprintable() is false for these categories (but a plain
// space is printable). The class is fixed and tested one character at a
// time, so the native engine is safe here.
const NON_PRINTABLE = /^[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}\p{Zs}]$/u;

function hexEscape(codePoint: number): string {
  if (codePoint <= 0xff) return `\\x${codePoint.toString(16).padStart(2, '0')}`;
  if (codePoint <= 0xffff) return `\\u${codePoint.toString(16).padStart(4, '0')}`;
  return `\\U${codePoint.toString(16).padStart(8, '0')}`;
}

function quoteString(text: string, asciiOnly: boolean): string {
  // Single quotes unless the text holds a ' and no ", exactly as CPython.
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  let out = quote;
  // for..of walks code points; a lone surrogate comes out on its own.
  for (const char of text) {
    const codePoint = char.codePointAt(0) ?? 0;
    if (char === quote || char === '\\') out += `\\${char}`;
    else if (char === '\t') out += '\\t';
    else if (char === '\n') out += '\\n';
    else if (char === '\r') out += '\\r';
    else if (codePoint < 0x20 || codePoint === 0x7f) out += hexEscape(codePoint);
    else if (codePoint < 0x7f) out += char;
    else if (asciiOnly || NON_PRINTABLE.test(char)) out += hexEscape(codePoint);
    else out += char;
  }
  return out + quote;
}

/** `repr(str)`: quoting and escaping as CPython does it. */
export function pythonStringRepr(text: string): string {
  return quoteString(text, false);
}

/** `ascii(str)`: like repr, with every non-ASCII character escaped. */
export function pythonStringAscii(text: string): string {
  return quoteString(text, true);
}

/** `repr(list_of_str)`: how Keystone substitutes a multi-valued attribute. */
export function pythonListRepr(items: readonly string[]): string {
  return `[${items.map(pythonStringRepr).join(', ')}]`;
}

/**
 * `repr()` of any value the engine handles. JS numbers that are integral
 * print as Python ints (JSON integers are the common case); the others use
 * Python's float formatting.
 */
export function pythonRepr(value: unknown, asciiOnly = false): string {
  const recurse = (item: unknown): string => pythonRepr(item, asciiOnly);
  if (typeof value === 'string') return quoteString(value, asciiOnly);
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number') return pythonNumberRepr(value);
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (value === null || value === undefined) return 'None';
  if (Array.isArray(value)) return `[${value.map(recurse).join(', ')}]`;
  if (value instanceof PyTuple) {
    const inner = value.items.map(recurse).join(', ');
    return value.items.length === 1 ? `(${inner},)` : `(${inner})`;
  }
  if (value instanceof PySet) {
    return value.items.length === 0 ? 'set()' : `{${value.items.map(recurse).join(', ')}}`;
  }
  const entries: Array<readonly [unknown, unknown]> =
    value instanceof PyDict ? [...value.entries] : Object.entries(value as object);
  return `{${entries.map(([k, v]) => `${recurse(k)}: ${recurse(v)}`).join(', ')}}`;
}

function pythonNumberRepr(value: number): string {
  if (Number.isNaN(value)) return 'nan';
  if (!Number.isFinite(value)) return value > 0 ? 'inf' : '-inf';
  if (Number.isInteger(value)) return BigInt(value).toString();
  return pythonFloatRepr(value);
}

/**
 * Python's `repr(float)`: the same shortest digits as JS, but scientific
 * notation below 1e-4 and from 1e16 on, with a two-digit exponent.
 */
export function pythonFloatRepr(value: number): string {
  if (Number.isNaN(value)) return 'nan';
  if (!Number.isFinite(value)) return value > 0 ? 'inf' : '-inf';
  const sign = value < 0 || Object.is(value, -0) ? '-' : '';
  const [mantissa = '0', exponentText = '0'] = Math.abs(value).toExponential().split('e');
  const digits = mantissa.replace('.', '');
  const exponent = Number(exponentText);
  if (exponent >= -4 && exponent < 16) {
    if (exponent < 0) return `${sign}0.${'0'.repeat(-exponent - 1)}${digits}`;
    const whole = digits.slice(0, exponent + 1).padEnd(exponent + 1, '0');
    const fraction = digits.slice(exponent + 1) || '0';
    return `${sign}${whole}.${fraction}`;
  }
  const head = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
  const expSign = exponent < 0 ? '-' : '+';
  return `${sign}${head}e${expSign}${String(Math.abs(exponent)).padStart(2, '0')}`;
}
