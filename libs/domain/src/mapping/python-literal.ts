import {
  PyDict,
  PySet,
  PyTuple,
  PythonTypeError,
  pythonHashKey,
  type PyValue,
} from './python-value';

/**
 * The "literal parse" of A.6: Python's `ast.literal_eval` on the text of a
 * `groups` / `group_ids` entry, as Keystone uses it (only a list result is
 * kept; anything else means "one element: the text itself").
 *
 * Accepted, as in Python: strings (single/double/triple quotes, `r` and `u`
 * prefixes, escapes, implicit concatenation), ints (decimal, 0x, 0o, 0b,
 * underscores), floats, `+`/`-` on a number, None/True/False, lists,
 * tuples, dicts, sets and `set()`; comments, line continuations and
 * newlines inside brackets; Python's rules for indentation and for at most
 * 200 nested brackets.
 *
 * Treated as a parse failure although Python would accept them (they cannot
 * come out of an attribute value in any useful form): bytes literals,
 * complex numbers, `...`, `\N{NAME}` escapes. Other expressions (names,
 * calls, operators) fail in Python too; here they fail at parse time, so a
 * TypeError Python would raise for an unhashable key *before* reaching such
 * an expression is not reported (the text is simply kept as one element).
 *
 * A TypeError (unhashable dict key or set element) is reported as such:
 * Keystone does not catch it, and answers 400.
 */

export type LiteralEvalResult =
  | { kind: 'value'; value: PyValue }
  | { kind: 'invalid'; reason: string }
  | { kind: 'type_error'; message: string };

type Node =
  | { kind: 'constant'; value: PyValue; numeric: boolean }
  | { kind: 'unsupported'; what: string }
  | { kind: 'name'; name: string }
  | { kind: 'empty_set' }
  | { kind: 'unary'; operators: string; operand: Node }
  | { kind: 'list' | 'tuple' | 'set'; items: Node[] }
  | { kind: 'dict'; keys: Node[]; values: Node[] };

type Token =
  | { kind: 'number'; node: Node }
  | { kind: 'string'; value: string; plain: boolean }
  | { kind: 'name'; name: string }
  | { kind: 'op'; op: string }
  | { kind: 'newline' }
  | { kind: 'end' };

class LiteralSyntaxError extends Error {}

const MAX_NESTING = 200;
const MAX_DECIMAL_DIGITS = 4300;

// Fixed patterns applied with the sticky flag at one position: they contain
// no nested quantifiers, so the native engine runs them in linear time.
const HEX_INT = /0[xX](?:_?[0-9a-fA-F])+/y;
const OCT_INT = /0[oO](?:_?[0-7])+/y;
const BIN_INT = /0[bB](?:_?[01])+/y;
const DIGIT_PART = /[0-9](?:_?[0-9])*/y;
const EXPONENT = /[eE][+-]?[0-9](?:_?[0-9])*/y;
const NAME_CHARS = /[\p{L}\p{Nl}\p{Mn}\p{Mc}\p{Nd}\p{Pc}]+/uy;
const STRING_PREFIXES = new Set(['r', 'u', 'f', 'b', 'br', 'rb', 'fr', 'rf']);

function stickyMatch(pattern: RegExp, text: string, pos: number): string | null {
  pattern.lastIndex = pos;
  const match = pattern.exec(text);
  return match ? match[0] : null;
}

class Tokenizer {
  private pos = 0;
  private depth = 0;
  private atLineStart = true;
  readonly tokens: Token[] = [];

  constructor(private readonly text: string) {}

  run(): Token[] {
    while (this.pos < this.text.length) {
      if (this.atLineStart && this.depth === 0) {
        this.lineStart();
        continue;
      }
      this.next();
    }
    this.tokens.push({ kind: 'end' });
    return this.tokens;
  }

  /** Indentation and blank-line handling at the start of a logical line. */
  private lineStart(): void {
    let column = 0;
    let pos = this.pos;
    for (; pos < this.text.length; pos += 1) {
      const char = this.text[pos];
      if (char === ' ') column += 1;
      else if (char === '\t') column = (Math.floor(column / 8) + 1) * 8;
      else if (char === '\f') column = 0;
      // A continuation before any token joins the next line's indentation.
      else if (char === '\\' && this.text[pos + 1] === '\n') {
        if (pos + 2 >= this.text.length) throw new LiteralSyntaxError('unexpected EOF');
        pos += 1;
      } else break;
    }
    const char = this.text[pos];
    if (char === '\n' || char === '#') {
      // Blank or comment-only line: skipped, whatever its indentation.
      const newline = this.text.indexOf('\n', pos);
      this.pos = newline === -1 ? this.text.length : newline + 1;
      return;
    }
    // CPython reports a trailing whitespace-only line as an unexpected
    // indent, like any indented line.
    if (column > 0) throw new LiteralSyntaxError('unexpected indent');
    this.pos = pos;
    this.atLineStart = false;
  }

  private next(): void {
    const char = this.text[this.pos] ?? '';
    if (char === ' ' || char === '\t' || char === '\f') {
      this.pos += 1;
    } else if (char === '#') {
      const newline = this.text.indexOf('\n', this.pos);
      this.pos = newline === -1 ? this.text.length : newline;
    } else if (char === '\\') {
      if (this.text[this.pos + 1] !== '\n' || this.pos + 2 >= this.text.length) {
        throw new LiteralSyntaxError('unexpected character after line continuation character');
      }
      this.pos += 2;
    } else if (char === '\n') {
      this.pos += 1;
      if (this.depth === 0) {
        this.tokens.push({ kind: 'newline' });
        this.atLineStart = true;
      }
    } else if ('([{'.includes(char)) {
      if (this.depth >= MAX_NESTING) throw new LiteralSyntaxError('too many nested parentheses');
      this.depth += 1;
      this.op(char);
    } else if (')]}'.includes(char)) {
      if (this.depth === 0) throw new LiteralSyntaxError(`unmatched '${char}'`);
      this.depth -= 1;
      this.op(char);
    } else if (',:+-'.includes(char)) {
      this.op(char);
    } else if (char === '.' && this.text.startsWith('...', this.pos)) {
      this.pos += 3;
      this.tokens.push({ kind: 'number', node: { kind: 'unsupported', what: 'Ellipsis' } });
    } else if (char === '"' || char === "'") {
      this.string('');
    } else if ((char >= '0' && char <= '9') || (char === '.' && /[0-9]/.test(this.text[this.pos + 1] ?? ''))) {
      this.number();
    } else {
      this.name();
    }
  }

  private op(op: string): void {
    this.pos += 1;
    this.tokens.push({ kind: 'op', op });
  }

  private name(): void {
    const name = stickyMatch(NAME_CHARS, this.text, this.pos);
    if (name === null) throw new LiteralSyntaxError('invalid character');
    this.pos += name.length;
    const quote = this.text[this.pos];
    if ((quote === '"' || quote === "'") && STRING_PREFIXES.has(name.toLowerCase())) {
      this.string(name.toLowerCase());
      return;
    }
    this.tokens.push({ kind: 'name', name });
  }

  private number(): void {
    const start = this.pos;
    const radixInt =
      stickyMatch(HEX_INT, this.text, start) ??
      stickyMatch(OCT_INT, this.text, start) ??
      stickyMatch(BIN_INT, this.text, start);
    let node: Node;
    if (radixInt !== null) {
      this.pos += radixInt.length;
      const digits = radixInt.replace(/_/g, '');
      node = { kind: 'constant', value: BigInt(digits.toLowerCase()), numeric: true };
    } else {
      node = this.decimalNumber(start);
    }
    // "1abc", "1_": CPython's "invalid decimal literal".
    if (stickyMatch(NAME_CHARS, this.text, this.pos) !== null) {
      throw new LiteralSyntaxError('invalid decimal literal');
    }
    this.tokens.push({ kind: 'number', node });
  }

  private decimalNumber(start: number): Node {
    const whole = stickyMatch(DIGIT_PART, this.text, start) ?? '';
    this.pos = start + whole.length;
    let isFloat = false;
    if (this.text[this.pos] === '.') {
      isFloat = true;
      this.pos += 1;
      this.pos += (stickyMatch(DIGIT_PART, this.text, this.pos) ?? '').length;
    }
    const exponent = stickyMatch(EXPONENT, this.text, this.pos);
    if (exponent !== null) {
      isFloat = true;
      this.pos += exponent.length;
    }
    const literal = this.text.slice(start, this.pos).replace(/_/g, '');
    if (this.text[this.pos] === 'j' || this.text[this.pos] === 'J') {
      this.pos += 1;
      return { kind: 'unsupported', what: 'complex' };
    }
    if (isFloat) return { kind: 'constant', value: Number(literal), numeric: true };
    if (/^0+$/.test(literal)) return { kind: 'constant', value: 0n, numeric: true };
    if (literal.startsWith('0')) {
      throw new LiteralSyntaxError('leading zeros in decimal integer literals are not permitted');
    }
    if (literal.length > MAX_DECIMAL_DIGITS) {
      throw new LiteralSyntaxError('Exceeds the limit (4300 digits) for integer string conversion');
    }
    return { kind: 'constant', value: BigInt(literal), numeric: true };
  }

  private string(prefix: string): void {
    const quote = this.text[this.pos] ?? '';
    const triple = this.text.startsWith(quote.repeat(3), this.pos);
    const delimiter = triple ? quote.repeat(3) : quote;
    const raw = prefix.includes('r');
    this.pos += delimiter.length;
    let value = '';
    for (;;) {
      if (this.pos >= this.text.length) throw new LiteralSyntaxError('unterminated string literal');
      if (this.text.startsWith(delimiter, this.pos)) {
        this.pos += delimiter.length;
        break;
      }
      const char = this.text[this.pos] ?? '';
      if (char === '\n' && !triple) throw new LiteralSyntaxError('unterminated string literal');
      if (char !== '\\') {
        value += char;
        this.pos += 1;
        continue;
      }
      const escaped = this.text[this.pos + 1];
      if (escaped === undefined) throw new LiteralSyntaxError('unterminated string literal');
      if (raw) {
        // A raw string keeps the backslash; it only stops the quote ending it.
        value += char + escaped;
        this.pos += 2;
      } else {
        value += this.escape();
      }
    }
    const plain = !prefix.includes('b') && !prefix.includes('f');
    this.tokens.push({ kind: 'string', value, plain });
  }

  /** One backslash escape of a non-raw str literal, CPython's rules. */
  private escape(): string {
    const escaped = this.text[this.pos + 1] ?? '';
    this.pos += 2;
    const simple: Record<string, string> = {
      '\n': '',
      '\\': '\\',
      "'": "'",
      '"': '"',
      a: '\x07',
      b: '\b',
      f: '\f',
      n: '\n',
      r: '\r',
      t: '\t',
      v: '\v',
    };
    const mapped = simple[escaped];
    if (mapped !== undefined) return mapped;
    if (escaped >= '0' && escaped <= '7') {
      let digits = escaped;
      while (digits.length < 3 && /[0-7]/.test(this.text[this.pos] ?? '')) {
        digits += this.text[this.pos];
        this.pos += 1;
      }
      return String.fromCodePoint(parseInt(digits, 8));
    }
    const hexLength = { x: 2, u: 4, U: 8 }[escaped];
    if (hexLength !== undefined) {
      const digits = this.text.slice(this.pos, this.pos + hexLength);
      if (digits.length !== hexLength || !/^[0-9a-fA-F]+$/.test(digits)) {
        throw new LiteralSyntaxError(`truncated \\${escaped} escape`);
      }
      this.pos += hexLength;
      const codePoint = parseInt(digits, 16);
      if (codePoint > 0x10ffff) throw new LiteralSyntaxError('illegal Unicode character');
      return String.fromCodePoint(codePoint);
    }
    if (escaped === 'N') throw new LiteralSyntaxError('\\N{...} escapes are not supported');
    // Unknown escapes keep their backslash (a DeprecationWarning in Python).
    return `\\${escaped}`;
  }
}

class Parser {
  private index = 0;

  constructor(private readonly tokens: Token[]) {}

  parse(): Node {
    const node = this.expressionList(['newline', 'end']);
    while (this.peek().kind === 'newline') this.index += 1;
    if (this.peek().kind !== 'end') throw new LiteralSyntaxError('invalid syntax');
    return node;
  }

  private peek(): Token {
    return this.tokens[this.index] ?? { kind: 'end' };
  }

  private isOp(op: string): boolean {
    const token = this.peek();
    return token.kind === 'op' && token.op === op;
  }

  private expect(op: string): void {
    if (!this.isOp(op)) throw new LiteralSyntaxError('invalid syntax');
    this.index += 1;
  }

  private atTerminator(terminators: readonly string[]): boolean {
    const token = this.peek();
    if (token.kind === 'op') return terminators.includes(token.op);
    return terminators.includes(token.kind);
  }

  /** `a` or `a, b, ...` (a tuple, trailing comma allowed). */
  private expressionList(terminators: readonly string[]): Node {
    const first = this.expression();
    if (!this.isOp(',')) return first;
    const items = [first];
    while (this.isOp(',')) {
      this.index += 1;
      if (this.atTerminator(terminators)) break;
      items.push(this.expression());
    }
    return { kind: 'tuple', items };
  }

  private expression(): Node {
    let operators = '';
    while (this.isOp('+') || this.isOp('-')) {
      const token = this.tokens[this.index++];
      if (token?.kind === 'op') operators += token.op;
    }
    const operand = this.atom();
    return operators ? { kind: 'unary', operators, operand } : operand;
  }

  private atom(): Node {
    const token = this.peek();
    this.index += 1;
    switch (token.kind) {
      case 'number':
        return token.node;
      case 'string':
        return this.strings(token);
      case 'name':
        return this.name(token.name);
      case 'op':
        if (token.op === '(') return this.parenthesized();
        if (token.op === '[') return { kind: 'list', items: this.sequence(']') };
        if (token.op === '{') return this.braces();
        break;
      default:
        break;
    }
    throw new LiteralSyntaxError('invalid syntax');
  }

  private strings(first: { value: string; plain: boolean }): Node {
    let value = first.value;
    let plain = first.plain;
    for (let token = this.peek(); token.kind === 'string'; token = this.peek()) {
      value += token.value;
      plain = plain && token.plain;
      this.index += 1;
    }
    return plain ? { kind: 'constant', value, numeric: false } : { kind: 'unsupported', what: 'bytes/f-string' };
  }

  private name(name: string): Node {
    if (name === 'None') return { kind: 'constant', value: null, numeric: false };
    if (name === 'True') return { kind: 'constant', value: true, numeric: false };
    if (name === 'False') return { kind: 'constant', value: false, numeric: false };
    if (name === 'set' && this.isOp('(')) {
      this.index += 1;
      this.expect(')');
      return { kind: 'empty_set' };
    }
    return { kind: 'name', name };
  }

  private parenthesized(): Node {
    if (this.isOp(')')) {
      this.index += 1;
      return { kind: 'tuple', items: [] };
    }
    const node = this.expressionList([')']);
    this.expect(')');
    return node;
  }

  private sequence(close: string): Node[] {
    const items: Node[] = [];
    while (!this.isOp(close)) {
      items.push(this.expression());
      if (this.isOp(',')) this.index += 1;
      else if (!this.isOp(close)) throw new LiteralSyntaxError('invalid syntax');
    }
    this.index += 1;
    return items;
  }

  private braces(): Node {
    if (this.isOp('}')) {
      this.index += 1;
      return { kind: 'dict', keys: [], values: [] };
    }
    const first = this.expression();
    if (!this.isOp(':')) {
      const rest = this.isOp(',') ? (this.index++, this.sequence('}')) : (this.expect('}'), []);
      return { kind: 'set', items: [first, ...rest] };
    }
    const keys = [first];
    const values: Node[] = [];
    for (;;) {
      this.expect(':');
      values.push(this.expression());
      if (this.isOp('}')) break;
      this.expect(',');
      if (this.isOp('}')) break;
      keys.push(this.expression());
    }
    this.index += 1;
    return { kind: 'dict', keys, values };
  }
}

class MalformedNode extends Error {}

/** literal_eval's _convert, in Python's evaluation order. */
function convert(node: Node): PyValue {
  switch (node.kind) {
    case 'constant':
      return node.value;
    case 'tuple':
      return new PyTuple(node.items.map(convert));
    case 'list':
      return node.items.map(convert);
    case 'set':
      return buildSet(node.items);
    case 'empty_set':
      return new PySet([]);
    case 'dict':
      return buildDict(node.keys, node.values);
    case 'unary': {
      const { operand } = node;
      if (node.operators.length !== 1 || operand.kind !== 'constant' || !operand.numeric) {
        throw new MalformedNode('malformed node or string');
      }
      const value = operand.value as bigint | number;
      return node.operators === '-' ? -value : value;
    }
    case 'unsupported':
      throw new MalformedNode(`unsupported literal: ${node.what}`);
    case 'name':
      throw new MalformedNode(`malformed node or string: name ${node.name}`);
  }
}

function buildSet(items: readonly Node[]): PySet {
  const seen = new Map<string, PyValue>();
  for (const item of items) {
    const value = convert(item);
    const key = pythonHashKey(value);
    if (!seen.has(key)) seen.set(key, value);
  }
  return new PySet([...seen.values()]);
}

function buildDict(keys: readonly Node[], values: readonly Node[]): PyDict {
  // Python keeps the first key object and the last value for equal keys.
  const entries = new Map<string, [PyValue, PyValue]>();
  keys.forEach((keyNode, index) => {
    const key = convert(keyNode);
    const valueNode = values[index];
    const value = valueNode ? convert(valueNode) : null;
    const hash = pythonHashKey(key);
    const existing = entries.get(hash);
    entries.set(hash, [existing ? existing[0] : key, value]);
  });
  return new PyDict([...entries.values()]);
}

/** Python's `ast.literal_eval(text)` (see the module comment for limits). */
export function literalEval(text: string): LiteralEvalResult {
  // literal_eval strips leading spaces and tabs; the tokenizer reads
  // "\r\n" and "\r" as newlines; a NUL byte is refused outright.
  const source = text.replace(/^[ \t]+/, '').replace(/\r\n?/g, '\n');
  if (source.includes('\0')) return { kind: 'invalid', reason: 'source code cannot contain null bytes' };
  let node: Node;
  try {
    node = new Parser(new Tokenizer(source).run()).parse();
  } catch (error) {
    if (error instanceof LiteralSyntaxError) return { kind: 'invalid', reason: error.message };
    throw error;
  }
  try {
    return { kind: 'value', value: convert(node) };
  } catch (error) {
    if (error instanceof MalformedNode) return { kind: 'invalid', reason: error.message };
    if (error instanceof PythonTypeError) return { kind: 'type_error', message: error.message };
    throw error;
  }
}

/**
 * Keystone's `_ast_literal_eval`: the parsed list when the text is a list
 * literal, else a one-element list holding the text. Throws
 * PythonTypeError where Python raises TypeError.
 */
export function literalList(text: string): PyValue[] {
  const result = literalEval(text);
  if (result.kind === 'type_error') throw new PythonTypeError(result.message);
  if (result.kind === 'value' && Array.isArray(result.value)) return result.value;
  return [text];
}
