/**
 * A parser for Python `re` patterns (CPython 3.11 `sre_parse`), producing a
 * small syntax tree that python-regex.ts writes out in RE2 syntax.
 *
 * It accepts exactly what Python accepts and fails where Python fails, with
 * Python's message ("missing ), unterminated subpattern at position 0"), so
 * an invalid pattern is refused the way Keystone refuses it. Constructs
 * Python accepts but a linear-time engine cannot run (backreferences,
 * lookarounds, conditionals, atomic groups, possessive repeats) are parsed
 * into `unsupported` nodes: the pattern is valid, just not runnable here.
 */

export const FLAG_IGNORECASE = 2;
export const FLAG_LOCALE = 4;
export const FLAG_MULTILINE = 8;
export const FLAG_DOTALL = 16;
export const FLAG_UNICODE = 32;
export const FLAG_VERBOSE = 64;
export const FLAG_ASCII = 256;

const FLAG_LETTERS: Record<string, number> = {
  i: FLAG_IGNORECASE,
  L: FLAG_LOCALE,
  m: FLAG_MULTILINE,
  s: FLAG_DOTALL,
  x: FLAG_VERBOSE,
  a: FLAG_ASCII,
  u: FLAG_UNICODE,
};
const TYPE_FLAGS = FLAG_ASCII | FLAG_LOCALE | FLAG_UNICODE;
const MAXREPEAT = 4294967295;
// Guards our own stack; CPython gives up with a RecursionError too (earlier).
const MAX_NESTING = 1000;

export type Category = 'd' | 'D' | 's' | 'S' | 'w' | 'W';
export type Anchor =
  | 'beginning'
  | 'beginning_string'
  | 'end'
  | 'end_string'
  | 'boundary'
  | 'non_boundary';

export type ClassItem =
  | { type: 'literal'; codePoint: number }
  | { type: 'range'; lo: number; hi: number }
  | { type: 'category'; category: Category };

export type RegexNode =
  | { type: 'literal'; codePoint: number }
  | { type: 'any' }
  | { type: 'class'; negate: boolean; items: ClassItem[] }
  | { type: 'category'; category: Category }
  | { type: 'at'; at: Anchor }
  | { type: 'group'; addFlags: number; delFlags: number; body: RegexNode }
  | { type: 'repeat'; min: number; max: number; lazy: boolean; item: RegexNode }
  | { type: 'sequence'; items: RegexNode[] }
  | { type: 'alternation'; branches: RegexNode[] }
  | { type: 'unsupported'; feature: string };

export interface ParsedPattern {
  readonly root: RegexNode;
  /** Global flags (inline `(?i)` at the start), as Python's state.flags. */
  readonly flags: number;
}

export type PythonRegexErrorClass = 're.error' | 'OverflowError' | 'ValueError' | 'RecursionError';

/** Python refused the pattern (re.error and friends): Keystone answers 500. */
export class PythonRegexSyntaxError extends Error {
  override readonly name = 'PythonRegexSyntaxError';

  constructor(
    readonly pythonClass: PythonRegexErrorClass,
    message: string,
  ) {
    super(message);
  }
}

const DIGITS = '0123456789';
const OCT_DIGITS = '01234567';
const HEX_DIGITS = '0123456789abcdefABCDEF';
const ASCII_LETTERS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';
const WHITESPACE = ' \t\n\r\v\f';
const SPECIAL_CHARS = '.\\[{()*+?^$|';
const REPEAT_CHARS = '*+?{';

const ESCAPES: Record<string, number> = {
  '\\a': 7,
  '\\b': 8,
  '\\f': 12,
  '\\n': 10,
  '\\r': 13,
  '\\t': 9,
  '\\v': 11,
  '\\\\': 92,
};
const CATEGORY_ESCAPES: Record<string, Category> = {
  '\\d': 'd',
  '\\D': 'D',
  '\\s': 's',
  '\\S': 'S',
  '\\w': 'w',
  '\\W': 'W',
};
const ANCHOR_ESCAPES: Record<string, Anchor> = {
  '\\A': 'beginning_string',
  '\\b': 'boundary',
  '\\B': 'non_boundary',
  '\\Z': 'end_string',
};
const IDENTIFIER = /^[\p{XID_Start}_][\p{XID_Continue}]*$/u;

/** CPython's sre_parse.Tokenizer over code points. */
class Source {
  private readonly chars: string[];
  private index = 0;
  next: string | null = null;

  constructor(readonly pattern: string) {
    this.chars = Array.from(pattern);
    this.advance();
  }

  private advance(): void {
    const index = this.index;
    const char = this.chars[index];
    if (char === undefined) {
      this.next = null;
      return;
    }
    if (char === '\\') {
      const escaped = this.chars[index + 1];
      if (escaped === undefined) {
        throw this.errorAt('bad escape (end of pattern)', this.chars.length - 1);
      }
      this.index = index + 2;
      this.next = char + escaped;
      return;
    }
    this.index = index + 1;
    this.next = char;
  }

  match(char: string): boolean {
    if (char !== this.next) return false;
    this.advance();
    return true;
  }

  get(): string | null {
    const token = this.next;
    this.advance();
    return token;
  }

  getWhile(count: number, charset: string): string {
    let result = '';
    for (let i = 0; i < count; i += 1) {
      const char = this.next;
      if (char === null || char.length !== 1 || !charset.includes(char)) break;
      result += char;
      this.advance();
    }
    return result;
  }

  getUntil(terminator: string, name: string): string {
    let result = '';
    for (;;) {
      const char = this.next;
      this.advance();
      if (char === null) {
        if (!result) throw this.error(`missing ${name}`);
        throw this.error(`missing ${terminator}, unterminated name`, Array.from(result).length);
      }
      if (char === terminator) {
        if (!result) throw this.error(`missing ${name}`, 1);
        break;
      }
      result += char;
    }
    return result;
  }

  tell(): number {
    return this.index - (this.next === null ? 0 : Array.from(this.next).length);
  }

  seek(index: number): void {
    this.index = index;
    this.advance();
  }

  error(message: string, offset = 0): PythonRegexSyntaxError {
    return this.errorAt(message, this.tell() - offset);
  }

  errorAt(message: string, position: number): PythonRegexSyntaxError {
    return new PythonRegexSyntaxError('re.error', formatPosition(message, this.pattern, position));
  }
}

/** re.error's text: "msg at position N", plus line/column for multi-line patterns. */
function formatPosition(message: string, pattern: string, position: number): string {
  const chars = Array.from(pattern);
  let text = `${message} at position ${position}`;
  if (chars.includes('\n')) {
    const before = chars.slice(0, position);
    const line = before.filter((char) => char === '\n').length + 1;
    const column = position - before.lastIndexOf('\n');
    text += ` (line ${line}, column ${column})`;
  }
  return text;
}

function codePointOf(char: string): number {
  return char.codePointAt(0) ?? 0;
}

class State {
  flags = 0;
  groups = 1;
  readonly groupNames = new Map<string, number>();
  readonly openGroups = new Set<number>();
  readonly groupRefPositions = new Map<number, number>();

  openGroup(name: string | null): number {
    const gid = this.groups;
    this.groups += 1;
    if (name !== null) {
      const previous = this.groupNames.get(name);
      if (previous !== undefined) {
        throw new PythonRegexSyntaxError(
          're.error',
          `redefinition of group name '${name}' as group ${gid}; was group ${previous}`,
        );
      }
      this.groupNames.set(name, gid);
    }
    this.openGroups.add(gid);
    return gid;
  }

  closeGroup(gid: number): void {
    this.openGroups.delete(gid);
  }

  /** True when the group exists and is closed (a backreference may use it). */
  checkGroup(gid: number): boolean {
    return gid < this.groups && !this.openGroups.has(gid);
  }
}

class PatternParser {
  private readonly state = new State();

  constructor(private readonly source: Source) {}

  parse(): ParsedPattern {
    const root = this.parseSub(false, 0);
    if (this.source.next !== null) throw this.source.error('unbalanced parenthesis');
    for (const [group, position] of this.state.groupRefPositions) {
      if (group >= this.state.groups) {
        throw this.source.errorAt(`invalid group reference ${group}`, position);
      }
    }
    const { flags } = this.state;
    if (flags & FLAG_ASCII && flags & FLAG_UNICODE) {
      throw new PythonRegexSyntaxError('ValueError', 'ASCII and UNICODE flags are incompatible');
    }
    return { root, flags };
  }

  private checkGroupName(name: string, offset: number): void {
    if (!IDENTIFIER.test(name)) {
      throw this.source.error(`bad character in group name '${name}'`, Array.from(name).length + offset);
    }
  }

  /** An alternation `a|b|c` (sre_parse._parse_sub). */
  private parseSub(verbose: boolean, nested: number): RegexNode {
    if (nested > MAX_NESTING) {
      throw new PythonRegexSyntaxError('RecursionError', 'maximum recursion depth exceeded');
    }
    const branches: RegexNode[] = [];
    for (;;) {
      branches.push(this.parseBranch(verbose, nested + 1, nested === 0 && branches.length === 0));
      if (!this.source.match('|')) break;
    }
    return branches.length === 1 ? (branches[0] as RegexNode) : { type: 'alternation', branches };
  }

  /** A sequence of items (sre_parse._parse). */
  private parseBranch(verboseIn: boolean, nested: number, first: boolean): RegexNode {
    const { source } = this;
    let verbose = verboseIn;
    const items: RegexNode[] = [];
    for (;;) {
      const token = source.next;
      if (token === null || token === '|' || token === ')') break;
      source.get();
      if (verbose) {
        if (WHITESPACE.includes(token)) continue;
        if (token === '#') {
          for (let char = source.get(); char !== null && char !== '\n'; char = source.get());
          continue;
        }
      }
      if (token[0] === '\\') {
        items.push(this.escape(token));
      } else if (!SPECIAL_CHARS.includes(token)) {
        items.push({ type: 'literal', codePoint: codePointOf(token) });
      } else if (token === '[') {
        items.push(this.characterClass());
      } else if (REPEAT_CHARS.includes(token)) {
        this.repeat(token, items);
      } else if (token === '.') {
        items.push({ type: 'any' });
      } else if (token === '(') {
        const result = this.group(verbose, nested, first, items.length > 0);
        if (result.verbose !== undefined) verbose = result.verbose;
        if (result.node) items.push(result.node);
      } else if (token === '^') {
        items.push({ type: 'at', at: 'beginning' });
      } else if (token === '$') {
        items.push({ type: 'at', at: 'end' });
      }
    }
    return items.length === 1 ? (items[0] as RegexNode) : { type: 'sequence', items };
  }

  private repeat(token: string, items: RegexNode[]): void {
    const { source } = this;
    const here = source.tell();
    let min = 0;
    let max = MAXREPEAT;
    if (token === '?') max = 1;
    else if (token === '+') min = 1;
    else if (token === '{') {
      if (source.next === '}') {
        items.push({ type: 'literal', codePoint: codePointOf(token) });
        return;
      }
      let lo = '';
      let hi = '';
      while (source.next !== null && DIGITS.includes(source.next)) lo += source.get();
      if (source.match(',')) {
        while (source.next !== null && DIGITS.includes(source.next)) hi += source.get();
      } else {
        hi = lo;
      }
      if (!source.match('}')) {
        items.push({ type: 'literal', codePoint: codePointOf(token) });
        source.seek(here);
        return;
      }
      if (lo) min = repeatCount(lo);
      if (hi) {
        max = repeatCount(hi);
        if (max < min) throw source.error('min repeat greater than max repeat', source.tell() - here);
      }
    }
    const item = items[items.length - 1];
    if (item === undefined || item.type === 'at') {
      throw source.error('nothing to repeat', source.tell() - here + token.length);
    }
    if (item.type === 'repeat' || isPossessive(item)) {
      throw source.error('multiple repeat', source.tell() - here + token.length);
    }
    let node: RegexNode = { type: 'repeat', min, max, lazy: false, item };
    if (source.match('?')) node = { type: 'repeat', min, max, lazy: true, item };
    else if (source.match('+')) node = { type: 'unsupported', feature: 'possessive repeat' };
    items[items.length - 1] = node;
  }

  private escape(escape: string): RegexNode {
    const category = CATEGORY_ESCAPES[escape];
    if (category) return { type: 'category', category };
    const anchor = ANCHOR_ESCAPES[escape];
    if (anchor) return { type: 'at', at: anchor };
    const code = ESCAPES[escape];
    if (code !== undefined) return { type: 'literal', codePoint: code };
    const literal = this.codeEscape(escape, false);
    if (literal !== null) return literal;
    const char = escape.slice(1);
    if (char === '0') {
      const digits = escape.slice(1) + this.source.getWhile(2, OCT_DIGITS);
      return { type: 'literal', codePoint: parseInt(digits, 8) };
    }
    if (DIGITS.includes(char)) return this.numericEscape(escape);
    if (Array.from(escape).length === 2 && !ASCII_LETTERS.includes(char)) {
      return { type: 'literal', codePoint: codePointOf(char) };
    }
    throw this.source.error(`bad escape ${escape}`, Array.from(escape).length);
  }

  /** Octal escape or group reference (sre_parse._escape, "sigh"). */
  private numericEscape(first: string): RegexNode {
    const { source } = this;
    let escape = first;
    if (source.next !== null && DIGITS.includes(source.next)) {
      escape += source.get();
      const [, d1 = '', d2 = ''] = escape;
      if (OCT_DIGITS.includes(d1) && OCT_DIGITS.includes(d2) && source.next !== null && OCT_DIGITS.includes(source.next)) {
        escape += source.get();
        const value = parseInt(escape.slice(1), 8);
        if (value > 0o377) {
          throw source.error(`octal escape value ${escape} outside of range 0-0o377`, escape.length);
        }
        return { type: 'literal', codePoint: value };
      }
    }
    const group = parseInt(escape.slice(1), 10);
    if (group < this.state.groups) {
      if (!this.state.checkGroup(group)) throw source.error('cannot refer to an open group', escape.length);
      return { type: 'unsupported', feature: `backreference ${escape}` };
    }
    throw source.error(`invalid group reference ${group}`, escape.length - 1);
  }

  /**
   * `\x..`, `\u....`, `\U........`, `\N{...}` and (inside classes) octal
   * escapes, shared by both escape contexts. Returns null when `escape` is
   * none of them.
   */
  private codeEscape(escape: string, inClass: boolean): RegexNode | null {
    const { source } = this;
    const char = escape.slice(1);
    const hexLength = char === 'x' ? 2 : char === 'u' ? 4 : char === 'U' ? 8 : 0;
    if (hexLength > 0) {
      const full = escape + source.getWhile(hexLength, HEX_DIGITS);
      if (full.length !== hexLength + 2) {
        throw source.error(`incomplete escape ${full}`, full.length);
      }
      const value = parseInt(full.slice(2), 16);
      if (value > 0x10ffff) throw source.error(`bad escape ${full}`, full.length);
      return { type: 'literal', codePoint: value };
    }
    if (char === 'N') {
      if (!source.match('{')) throw source.error('missing {');
      const name = source.getUntil('}', 'character name');
      // Resolving names needs the Unicode name database, which we lack.
      return { type: 'unsupported', feature: `named character \\N{${name}}` };
    }
    if (inClass && OCT_DIGITS.includes(char)) {
      const full = escape + source.getWhile(2, OCT_DIGITS);
      const value = parseInt(full.slice(1), 8);
      if (value > 0o377) {
        throw source.error(`octal escape value ${full} outside of range 0-0o377`, full.length);
      }
      return { type: 'literal', codePoint: value };
    }
    return null;
  }

  /** One class member escape (sre_parse._class_escape). */
  private classEscape(escape: string): ClassItem | { type: 'unsupported'; feature: string } {
    const code = ESCAPES[escape];
    if (code !== undefined) return { type: 'literal', codePoint: code };
    const category = CATEGORY_ESCAPES[escape];
    if (category) return { type: 'category', category };
    const literal = this.codeEscape(escape, true);
    if (literal?.type === 'literal') return literal;
    if (literal?.type === 'unsupported') return literal;
    const char = escape.slice(1);
    if (!DIGITS.includes(char) && Array.from(escape).length === 2 && !ASCII_LETTERS.includes(char)) {
      return { type: 'literal', codePoint: codePointOf(char) };
    }
    throw this.source.error(`bad escape ${escape}`, Array.from(escape).length);
  }

  private characterClass(): RegexNode {
    const { source } = this;
    const here = source.tell() - 1;
    const items: ClassItem[] = [];
    let unsupported: string | null = null;
    const negate = source.match('^');
    let size = 0;
    for (;;) {
      const token = source.get();
      if (token === null) throw source.error('unterminated character set', source.tell() - here);
      if (token === ']' && size > 0) break;
      const first: ClassItem | { type: 'unsupported'; feature: string } =
        token[0] === '\\' ? this.classEscape(token) : { type: 'literal', codePoint: codePointOf(token) };
      if (source.match('-')) {
        const that = source.get();
        if (that === null) throw source.error('unterminated character set', source.tell() - here);
        if (that === ']') {
          if (first.type === 'unsupported') unsupported = first.feature;
          else items.push(first);
          items.push({ type: 'literal', codePoint: 0x2d });
          size += 2;
          break;
        }
        const second = that[0] === '\\' ? this.classEscape(that) : { type: 'literal' as const, codePoint: codePointOf(that) };
        if (first.type !== 'literal' || second.type !== 'literal' || second.codePoint < first.codePoint) {
          if (first.type === 'unsupported' || second.type === 'unsupported') {
            // \N{...} can be a range end; its value is unknown here.
            unsupported = 'named character in a range';
            size += 1;
            continue;
          }
          const length = Array.from(token).length + 1 + Array.from(that).length;
          throw source.error(`bad character range ${token}-${that}`, length);
        }
        items.push({ type: 'range', lo: first.codePoint, hi: second.codePoint });
      } else if (first.type === 'unsupported') {
        unsupported = first.feature;
      } else {
        items.push(first);
      }
      size += 1;
    }
    if (unsupported !== null) return { type: 'unsupported', feature: unsupported };
    return { type: 'class', negate, items };
  }

  private group(
    verbose: boolean,
    nested: number,
    first: boolean,
    hasItems: boolean,
  ): { node?: RegexNode; verbose?: boolean } {
    const { source, state } = this;
    const start = source.tell() - 1;
    let capture = true;
    let name: string | null = null;
    let addFlags = 0;
    let delFlags = 0;
    let unsupported: string | null = null;
    if (source.match('?')) {
      const char = source.get();
      if (char === null) throw source.error('unexpected end of pattern');
      if (char === 'P') {
        if (source.match('<')) {
          name = source.getUntil('>', 'group name');
          this.checkGroupName(name, 1);
        } else if (source.match('=')) {
          const refName = source.getUntil(')', 'group name');
          this.checkGroupName(refName, 1);
          const gid = state.groupNames.get(refName);
          if (gid === undefined) {
            throw source.error(`unknown group name '${refName}'`, Array.from(refName).length + 1);
          }
          if (!state.checkGroup(gid)) {
            throw source.error('cannot refer to an open group', Array.from(refName).length + 1);
          }
          return { node: { type: 'unsupported', feature: `backreference (?P=${refName})` } };
        } else {
          const next = source.get();
          if (next === null) throw source.error('unexpected end of pattern');
          throw source.error(`unknown extension ?P${next}`, next.length + 2);
        }
      } else if (char === ':') {
        capture = false;
      } else if (char === '#') {
        for (;;) {
          if (source.next === null) {
            throw source.error('missing ), unterminated comment', source.tell() - start);
          }
          if (source.get() === ')') break;
        }
        return {};
      } else if ('=!<'.includes(char)) {
        let kind = char === '=' ? 'lookahead' : 'negative lookahead';
        if (char === '<') {
          const direction = source.get();
          if (direction === null) throw source.error('unexpected end of pattern');
          if (direction !== '=' && direction !== '!') {
            throw source.error(`unknown extension ?<${direction}`, direction.length + 2);
          }
          kind = direction === '=' ? 'lookbehind' : 'negative lookbehind';
        }
        this.parseSub(verbose, nested + 1);
        if (!source.match(')')) {
          throw source.error('missing ), unterminated subpattern', source.tell() - start);
        }
        return { node: { type: 'unsupported', feature: kind } };
      } else if (char === '(') {
        this.conditional(verbose, nested, start);
        return { node: { type: 'unsupported', feature: 'conditional group' } };
      } else if (char === '>') {
        capture = false;
        unsupported = 'atomic group';
      } else if (char in FLAG_LETTERS || char === '-') {
        const flags = this.parseFlags(char);
        if (flags === null) {
          if (!first || hasItems) {
            throw source.error('global flags not at the start of the expression', source.tell() - start);
          }
          return { verbose: (state.flags & FLAG_VERBOSE) !== 0 };
        }
        [addFlags, delFlags] = flags;
        capture = false;
      } else {
        throw source.error(`unknown extension ?${char}`, char.length + 1);
      }
    }
    let gid: number | null = null;
    if (capture) {
      try {
        gid = state.openGroup(name);
      } catch (error) {
        throw source.error((error as Error).message, Array.from(name ?? '').length + 1);
      }
    }
    const subVerbose = (verbose || (addFlags & FLAG_VERBOSE) !== 0) && (delFlags & FLAG_VERBOSE) === 0;
    const body = this.parseSub(subVerbose, nested + 1);
    if (!source.match(')')) {
      throw source.error('missing ), unterminated subpattern', source.tell() - start);
    }
    if (gid !== null) state.closeGroup(gid);
    if (unsupported !== null) return { node: { type: 'unsupported', feature: unsupported } };
    return { node: { type: 'group', addFlags, delFlags, body } };
  }

  /** `(?(id/name)yes|no)`: validated as Python does, never runnable here. */
  private conditional(verbose: boolean, nested: number, start: number): void {
    const { source, state } = this;
    const condName = source.getUntil(')', 'group name');
    const nameLength = Array.from(condName).length;
    if (IDENTIFIER.test(condName)) {
      if (!state.groupNames.has(condName)) {
        throw source.error(`unknown group name '${condName}'`, nameLength + 1);
      }
    } else {
      if (!/^[0-9]+$/.test(condName)) {
        throw source.error(`bad character in group name '${condName}'`, nameLength + 1);
      }
      const group = parseInt(condName, 10);
      if (group === 0) throw source.error('bad group number', nameLength + 1);
      if (!state.groupRefPositions.has(group)) {
        state.groupRefPositions.set(group, source.tell() - nameLength - 1);
      }
    }
    this.parseBranch(verbose, nested + 1, false);
    if (source.match('|')) {
      this.parseBranch(verbose, nested + 1, false);
      if (source.next === '|') throw source.error('conditional backref with more than two branches');
    }
    if (!source.match(')')) throw source.error('missing ), unterminated subpattern', source.tell() - start);
  }

  /** sre_parse._parse_flags: null for global flags `(?i)`, else [add, del]. */
  private parseFlags(firstChar: string): [number, number] | null {
    const { source, state } = this;
    let char: string | null = firstChar;
    let add = 0;
    let del = 0;
    if (char !== '-') {
      for (;;) {
        const flag = FLAG_LETTERS[char] ?? 0;
        if (char === 'L') throw source.error("bad inline flags: cannot use 'L' flag with a str pattern");
        add |= flag;
        if (flag & TYPE_FLAGS && (add & TYPE_FLAGS) !== flag) {
          throw source.error("bad inline flags: flags 'a', 'u' and 'L' are incompatible");
        }
        char = source.get();
        if (char === null) throw source.error('missing -, : or )');
        if (')-:'.includes(char)) break;
        if (!(char in FLAG_LETTERS)) {
          const message = /^\p{L}$/u.test(char) ? 'unknown flag' : 'missing -, : or )';
          throw source.error(message, char.length);
        }
      }
    }
    if (char === ')') {
      state.flags |= add;
      return null;
    }
    if (char === '-') {
      char = source.get();
      if (char === null) throw source.error('missing flag');
      if (!(char in FLAG_LETTERS)) {
        throw source.error(/^\p{L}$/u.test(char) ? 'unknown flag' : 'missing flag', char.length);
      }
      for (;;) {
        const flag = FLAG_LETTERS[char] ?? 0;
        if (flag & TYPE_FLAGS) {
          throw source.error("bad inline flags: cannot turn off flags 'a', 'u' and 'L'");
        }
        del |= flag;
        char = source.get();
        if (char === null) throw source.error('missing :');
        if (char === ':') break;
        if (!(char in FLAG_LETTERS)) {
          throw source.error(/^\p{L}$/u.test(char) ? 'unknown flag' : 'missing :', char.length);
        }
      }
    }
    if (add & del) throw source.error('bad inline flags: flag turned on and off', 1);
    return [add, del];
  }
}

function repeatCount(digits: string): number {
  const value = Number(digits);
  if (value >= MAXREPEAT) {
    throw new PythonRegexSyntaxError('OverflowError', 'the repetition number is too large');
  }
  return value;
}

function isPossessive(node: RegexNode): boolean {
  return node.type === 'unsupported' && node.feature === 'possessive repeat';
}

/** Parses a Python pattern; throws PythonRegexSyntaxError where Python would. */
export function parsePythonPattern(pattern: string): ParsedPattern {
  return new PatternParser(new Source(pattern)).parse();
}
