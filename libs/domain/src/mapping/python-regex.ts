import { RE2JS } from 're2js';

import {
  ASCII_DIGIT,
  ASCII_SPACE,
  ASCII_WORD,
  PYTHON_UNICODE_SPACE,
  complementRanges,
  normalizeRanges,
  re2ClassBody,
  re2CodePoint,
  unicodeDigitRanges,
  unicodeWordRanges,
  type Range,
} from './char-ranges';
import {
  FLAG_ASCII,
  FLAG_DOTALL,
  FLAG_IGNORECASE,
  FLAG_MULTILINE,
  PythonRegexSyntaxError,
  parsePythonPattern,
  type Category,
  type ClassItem,
  type PythonRegexErrorClass,
  type RegexNode,
} from './python-regex-parser';

export { PythonRegexSyntaxError } from './python-regex-parser';
export type { PythonRegexErrorClass } from './python-regex-parser';

/**
 * Python `re.search` semantics on RE2 (re2js), a linear-time engine: a rule
 * pattern can never stall the event loop, whatever the pattern or value.
 *
 * The Python pattern is parsed (python-regex-parser.ts) and written out in
 * RE2 syntax with Python's meaning made explicit:
 *
 * - `(?i)`/`(?m)`/`(?s)`/`(?x)`/`(?a)` global and scoped flags;
 * - `^`/`$`/`\A`/`\Z` with Python's rules: a non-MULTILINE `$` also matches
 *   before a final "\n". RE2 has no lookahead, so `$` becomes `\n?\z`, which
 *   is exact only when nothing can follow it in the pattern; a `$` with
 *   more pattern after it is refused;
 * - `\d`, `\w`, `\s` are Unicode-aware as in Python 3 (ASCII under `(?a)`);
 * - `\b`/`\B`: RE2 only knows ASCII word characters. Under `(?a)` that is
 *   exact; otherwise a value with a non-ASCII letter or digit, where the two
 *   could disagree, is refused at evaluation instead of guessed;
 * - named groups are plain groups (only a yes/no answer is needed).
 *
 * Refused as unsupported (valid Python, impossible in linear time or
 * without data we lack): backreferences, lookarounds, conditionals, atomic
 * groups, possessive repeats, `\N{NAME}`, repeat counts above 1000.
 */

export type PythonRegexErrorKind = 'invalid' | 'unsupported';

/**
 * A pattern Python rejects ("invalid", Keystone: 500 re.error) or that this
 * engine cannot run ("unsupported", also answered with 500).
 */
export class PythonRegexError extends Error {
  override readonly name = 'PythonRegexError';

  constructor(
    readonly kind: PythonRegexErrorKind,
    readonly pythonClass: PythonRegexErrorClass,
    message: string,
    readonly pattern: string,
  ) {
    super(message);
  }
}

export interface PythonRegex {
  /** The Python pattern as written in the rule. */
  readonly pattern: string;
  /** The RE2 pattern actually run. */
  readonly re2Pattern: string;
  /** True when `\b`/`\B` make non-ASCII letters or digits unanswerable. */
  readonly asciiWordBoundaryOnly: boolean;
  /** Python's `re.search(pattern, value) is not None`. */
  search(value: string): boolean;
}

class Unsupported extends Error {}

interface EmitContext {
  boundary: boolean;
}

// A non-ASCII letter or digit: where ASCII-only \b and Python's \b differ.
// Applied to attribute values, a fixed class: linear on the native engine.
const NON_ASCII_WORD_CHAR = /(?![\x00-\x7f])[\p{L}\p{N}]/u;

function categoryRanges(category: Category, ascii: boolean): Range[] {
  const lower = category.toLowerCase();
  let ranges: Range[];
  if (lower === 'd') ranges = ascii ? [...ASCII_DIGIT] : unicodeDigitRanges();
  else if (lower === 'w') ranges = ascii ? [...ASCII_WORD] : unicodeWordRanges();
  else ranges = ascii ? [...ASCII_SPACE] : [...PYTHON_UNICODE_SPACE];
  return category === lower ? ranges : complementRanges(ranges);
}

/** RE2 class-body text for a positive category, without building tables. */
function positiveCategoryBody(category: Category, ascii: boolean): string {
  if (ascii) return re2ClassBody(categoryRanges(category, true));
  if (category === 'd') return '\\p{Nd}';
  if (category === 'w') return '\\p{L}\\p{N}_';
  return re2ClassBody(PYTHON_UNICODE_SPACE);
}

function isNegatedCategory(item: ClassItem): boolean {
  return item.type === 'category' && item.category.toUpperCase() === item.category;
}

/** Adds the other ASCII case of ASCII letters: Python's (?ai) folding. */
function asciiCaseVariants(ranges: readonly Range[]): Range[] {
  const extra: Range[] = [];
  for (const [lo, hi] of ranges) {
    for (const [from, to, shift] of [[0x41, 0x5a, 32], [0x61, 0x7a, -32]] as const) {
      const start = Math.max(lo, from);
      const end = Math.min(hi, to);
      if (start <= end) extra.push([start + shift, end + shift]);
    }
  }
  return normalizeRanges([...ranges, ...extra]);
}

function itemRanges(item: ClassItem, ascii: boolean): Range[] {
  if (item.type === 'literal') return [[item.codePoint, item.codePoint]];
  if (item.type === 'range') return [[item.lo, item.hi]];
  return categoryRanges(item.category, ascii);
}

function emitClass(node: { negate: boolean; items: ClassItem[] }, flags: number): string {
  const ascii = (flags & FLAG_ASCII) !== 0;
  const ignoreCase = (flags & FLAG_IGNORECASE) !== 0;
  const unicodeFold = ignoreCase && !ascii;
  const needsArithmetic = (!ascii && node.items.some(isNegatedCategory)) || (ignoreCase && ascii);
  let body: string;
  if (needsArithmetic) {
    // The union is computed here; negation stays RE2's, so that under
    // (?i) RE2 folds the members before negating, as Python does.
    let ranges = normalizeRanges(node.items.flatMap((item) => itemRanges(item, ascii)));
    if (ignoreCase && ascii) ranges = asciiCaseVariants(ranges);
    body = re2ClassBody(ranges);
  } else {
    body = node.items
      .map((item) => {
        if (item.type === 'literal') return re2CodePoint(item.codePoint);
        if (item.type === 'range') return `${re2CodePoint(item.lo)}-${re2CodePoint(item.hi)}`;
        return positiveCategoryBody(item.category, ascii);
      })
      .join('');
  }
  const text = `[${node.negate ? '^' : ''}${body}]`;
  return unicodeFold ? `(?i:${text})` : text;
}

function emitCategory(category: Category, flags: number): string {
  const ascii = (flags & FLAG_ASCII) !== 0;
  const negate = category !== category.toLowerCase();
  const positive = category.toLowerCase() as Category;
  return `[${negate ? '^' : ''}${positiveCategoryBody(positive, ascii)}]`;
}

function emitLiteral(codePoint: number, flags: number): string {
  const text = re2CodePoint(codePoint);
  if ((flags & FLAG_IGNORECASE) === 0) return text;
  if ((flags & FLAG_ASCII) === 0) return `(?i:${text})`;
  const isAsciiLetter = (codePoint | 0x20) >= 0x61 && (codePoint | 0x20) <= 0x7a;
  return isAsciiLetter ? `[${re2CodePoint(codePoint & ~0x20)}${re2CodePoint(codePoint | 0x20)}]` : text;
}

function emitAnchor(node: Extract<RegexNode, { type: 'at' }>, flags: number, tail: boolean, context: EmitContext): string {
  const multiline = (flags & FLAG_MULTILINE) !== 0;
  switch (node.at) {
    case 'beginning':
      return multiline ? '(?m:^)' : '\\A';
    case 'beginning_string':
      return '\\A';
    case 'end_string':
      return '\\z';
    case 'end':
      if (multiline) return '(?m:$)';
      // Python's $ matches at the end or before a final newline.
      if (!tail) throw new Unsupported("'$' followed by more pattern (needs a lookahead)");
      return '(?:\\n?\\z)';
    case 'boundary':
    case 'non_boundary':
      if ((flags & FLAG_ASCII) === 0) context.boundary = true;
      return node.at === 'boundary' ? '\\b' : '\\B';
  }
}

function emit(node: RegexNode, flags: number, tail: boolean, context: EmitContext): string {
  switch (node.type) {
    case 'literal':
      return emitLiteral(node.codePoint, flags);
    case 'any':
      return flags & FLAG_DOTALL ? '(?s:.)' : '[^\\n]';
    case 'class':
      return emitClass(node, flags);
    case 'category':
      return emitCategory(node.category, flags);
    case 'at':
      return emitAnchor(node, flags, tail, context);
    case 'group':
      return `(?:${emit(node.body, (flags | node.addFlags) & ~node.delFlags, tail, context)})`;
    case 'repeat':
      return emitRepeat(node, flags, tail, context);
    case 'sequence': {
      const last = node.items.length - 1;
      const parts = node.items.map((item, index) => emit(item, flags, tail && index === last, context));
      return parts.length === 0 ? '(?:)' : parts.join('');
    }
    case 'alternation':
      return `(?:${node.branches.map((branch) => emit(branch, flags, tail, context)).join('|')})`;
    case 'unsupported':
      throw new Unsupported(node.feature);
  }
}

const MAX_RE2_REPEAT = 1000;
const UNBOUNDED = 4294967295;

function emitRepeat(
  node: Extract<RegexNode, { type: 'repeat' }>,
  flags: number,
  tail: boolean,
  context: EmitContext,
): string {
  const { min, max } = node;
  if (min > MAX_RE2_REPEAT || (max !== UNBOUNDED && max > MAX_RE2_REPEAT)) {
    throw new Unsupported(`repeat count above ${MAX_RE2_REPEAT}`);
  }
  // A later iteration could follow a '$' inside, so only '?' keeps the tail.
  const item = emit(node.item, flags, tail && max <= 1, context);
  let quantifier: string;
  if (max === UNBOUNDED) quantifier = min === 0 ? '*' : min === 1 ? '+' : `{${min},}`;
  else if (min === 0 && max === 1) quantifier = '?';
  else quantifier = min === max ? `{${min}}` : `{${min},${max}}`;
  return `(?:${item})${quantifier}${node.lazy ? '?' : ''}`;
}

/**
 * Translates a Python pattern to RE2 syntax. Throws PythonRegexError:
 * `invalid` where Python's re would raise, `unsupported` where the pattern
 * is valid Python but cannot run here.
 */
export function translatePythonRegex(pattern: string): { re2Pattern: string; asciiWordBoundaryOnly: boolean } {
  let parsed;
  try {
    parsed = parsePythonPattern(pattern);
  } catch (error) {
    if (error instanceof PythonRegexSyntaxError) {
      throw new PythonRegexError('invalid', error.pythonClass, error.message, pattern);
    }
    throw error;
  }
  const context: EmitContext = { boundary: false };
  try {
    const re2Pattern = emit(parsed.root, parsed.flags, true, context);
    return { re2Pattern, asciiWordBoundaryOnly: context.boundary };
  } catch (error) {
    if (error instanceof Unsupported) {
      throw new PythonRegexError('unsupported', 're.error', `pattern cannot run on a linear-time engine: ${error.message}`, pattern);
    }
    throw error;
  }
}

/** Compiles once; `search` then runs in time linear in the value. */
export function compilePythonRegex(pattern: string): PythonRegex {
  const { re2Pattern, asciiWordBoundaryOnly } = translatePythonRegex(pattern);
  let compiled: RE2JS;
  try {
    compiled = RE2JS.compile(re2Pattern);
  } catch (error) {
    // e.g. nested repeats whose product exceeds RE2's limit.
    throw new PythonRegexError(
      'unsupported',
      're.error',
      `pattern cannot run on a linear-time engine: ${(error as Error).message}`,
      pattern,
    );
  }
  return {
    pattern,
    re2Pattern,
    asciiWordBoundaryOnly,
    search(value: string): boolean {
      if (asciiWordBoundaryOnly && NON_ASCII_WORD_CHAR.test(value)) {
        throw new PythonRegexError(
          'unsupported',
          're.error',
          'pattern uses \\b or \\B, which this engine evaluates for ASCII only, ' +
            'and the value has a non-ASCII letter or digit',
          pattern,
        );
      }
      return compiled.test(value);
    },
  };
}
