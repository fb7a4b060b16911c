/**
 * Code point range sets, used to write Python character classes in RE2
 * syntax when RE2's own class syntax cannot say it (a negated category such
 * as `\W` inside `[...]` needs set intersection, which RE2 classes lack).
 */

export type Range = readonly [number, number];

export const MAX_CODE_POINT = 0x10ffff;

/** Sorts and merges overlapping or adjacent ranges. */
export function normalizeRanges(ranges: readonly Range[]): Range[] {
  const sorted = [...ranges].sort((a, b) => a[0] - b[0]);
  const merged: Array<[number, number]> = [];
  for (const [lo, hi] of sorted) {
    const last = merged[merged.length - 1];
    if (last && lo <= last[1] + 1) last[1] = Math.max(last[1], hi);
    else merged.push([lo, hi]);
  }
  return merged;
}

export function complementRanges(ranges: readonly Range[]): Range[] {
  const out: Range[] = [];
  let next = 0;
  for (const [lo, hi] of normalizeRanges(ranges)) {
    if (lo > next) out.push([next, lo - 1]);
    next = hi + 1;
  }
  if (next <= MAX_CODE_POINT) out.push([next, MAX_CODE_POINT]);
  return out;
}

/** RE2 text for a code point, safe inside and outside a class. */
export function re2CodePoint(codePoint: number): string {
  const isAlnum =
    (codePoint >= 0x30 && codePoint <= 0x39) ||
    (codePoint >= 0x41 && codePoint <= 0x5a) ||
    (codePoint >= 0x61 && codePoint <= 0x7a);
  return isAlnum ? String.fromCodePoint(codePoint) : `\\x{${codePoint.toString(16)}}`;
}

export function re2ClassBody(ranges: readonly Range[]): string {
  return ranges
    .map(([lo, hi]) => (lo === hi ? re2CodePoint(lo) : `${re2CodePoint(lo)}-${re2CodePoint(hi)}`))
    .join('');
}

/** Python's `str.isspace()` set, which its Unicode `\s` uses. */
export const PYTHON_UNICODE_SPACE: readonly Range[] = [
  [0x09, 0x0d],
  [0x1c, 0x20],
  [0x85, 0x85],
  [0xa0, 0xa0],
  [0x1680, 0x1680],
  [0x2000, 0x200a],
  [0x2028, 0x2029],
  [0x202f, 0x202f],
  [0x205f, 0x205f],
  [0x3000, 0x3000],
];

export const ASCII_DIGIT: readonly Range[] = [[0x30, 0x39]];
export const ASCII_WORD: readonly Range[] = [
  [0x30, 0x39],
  [0x41, 0x5a],
  [0x5f, 0x5f],
  [0x61, 0x7a],
];
export const ASCII_SPACE: readonly Range[] = [
  [0x09, 0x0d],
  [0x20, 0x20],
];

const tableCache = new Map<string, Range[]>();

/**
 * Ranges of every code point matching a fixed Unicode property class.
 * Built once per process, on first use, by testing each code point with a
 * fixed single-character native pattern (never a rule pattern).
 */
function propertyRanges(name: string, property: RegExp): Range[] {
  const cached = tableCache.get(name);
  if (cached) return cached;
  const ranges: Array<[number, number]> = [];
  for (let codePoint = 0; codePoint <= MAX_CODE_POINT; codePoint += 1) {
    if (codePoint === 0xd800) codePoint = 0xe000; // surrogates are never L or N
    if (!property.test(String.fromCodePoint(codePoint))) continue;
    const last = ranges[ranges.length - 1];
    if (last && last[1] === codePoint - 1) last[1] = codePoint;
    else ranges.push([codePoint, codePoint]);
  }
  tableCache.set(name, ranges);
  return ranges;
}

/** Python's Unicode `\d` (str.isdecimal): category Nd. */
export function unicodeDigitRanges(): Range[] {
  return propertyRanges('digit', /^\p{Nd}$/u);
}

/** Python's Unicode `\w` (str.isalnum() or '_'): letters, numbers, '_'. */
export function unicodeWordRanges(): Range[] {
  return normalizeRanges([...propertyRanges('alnum', /^[\p{L}\p{N}]$/u), [0x5f, 0x5f]]);
}
