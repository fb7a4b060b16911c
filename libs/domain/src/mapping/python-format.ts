import { PythonFormatError } from './python-format-error';
import { formatStringWithSpec, readDecimal } from './python-format-spec';
import { pythonListRepr, pythonStringAscii, pythonStringRepr } from './python-repr';

export { PythonFormatError } from './python-format-error';
export type { PythonFormatErrorClass } from './python-format-error';
export {
  pythonListRepr,
  pythonRepr,
  pythonStringAscii,
  pythonStringRepr,
} from './python-repr';

/**
 * Python's `str.format(*args)` as Keystone applies it to every string of a
 * rule's local side (A.5). An argument is one attribute value (a string)
 * or a list of them; a list renders as a Python list literal.
 *
 * A template is compiled once into segments. CPython parses lazily, field
 * by field, so a malformed tail only fails after the fields before it were
 * rendered: the first syntax error is kept as a final "error" segment and
 * raised when rendering reaches it, which keeps the error Keystone would
 * report when several problems exist (e.g. `{5} {` is an IndexError).
 *
 * Supported: literal text, `{{` `}}`, `{}` auto-numbering, `{N}`,
 * `{N[i]}` indexing (repeatable), conversions `!r` `!s` `!a`, and format
 * specs for strings (fill, align, width, precision, nested `{N}` fields).
 * Attribute access `{0.attr}` fails with an AttributeError (500): Python
 * would return real attributes such as bound methods, whose text has no
 * stable form.
 */

export type FormatArg = string | readonly string[];

type FieldArg =
  | { kind: 'index'; index: number }
  | { kind: 'named'; name: string }
  | { kind: 'error'; error: PythonFormatError };

type Accessor =
  | { kind: 'index'; index: number }
  | { kind: 'key'; key: string }
  | { kind: 'attribute'; name: string }
  | { kind: 'error'; error: PythonFormatError };

interface Field {
  readonly text: string;
  readonly arg: FieldArg;
  readonly accessors: readonly Accessor[];
  readonly conversion: string;
  /** null: no spec; otherwise the spec template (literal or with fields). */
  readonly spec: readonly Segment[] | null;
}

type Segment =
  | { kind: 'literal'; text: string }
  | { kind: 'field'; field: Field }
  | { kind: 'error'; error: PythonFormatError };

/** What a template refers to, for static checks (mapping warnings). */
export interface FormatFieldRef {
  /** The field as written, without braces, e.g. `0`, `1[0]`, `"name"`. */
  readonly text: string;
  /** Positional argument index (auto-numbering resolved), or null. */
  readonly argIndex: number | null;
  /** Set when the field names a keyword argument: always a KeyError. */
  readonly argName: string | null;
}

export interface CompiledFormat {
  readonly template: string;
  /** True when the template has no field and no error: output = input. */
  readonly isLiteral: boolean;
  /** Fields in rendering order, nested spec fields included. */
  readonly fields: readonly FormatFieldRef[];
  /** Errors that do not depend on the arguments, in template order. */
  readonly staticErrors: readonly PythonFormatError[];
  render(args: readonly FormatArg[]): string;
}

const AUTO_INIT = 0;
const AUTO_AUTOMATIC = 1;
const AUTO_MANUAL = 2;

interface AutoNumber {
  state: number;
  next: number;
}

class TemplateParser {
  private readonly chars: string[];

  constructor(template: string) {
    this.chars = Array.from(template);
  }

  parse(): Segment[] {
    return this.parseRange(0, this.chars.length, 2, { state: AUTO_INIT, next: 0 });
  }

  private text(start: number, end: number): string {
    return this.chars.slice(start, end).join('');
  }

  /** CPython's MarkupIterator over chars[start..end) (build_string). */
  private parseRange(start: number, end: number, depth: number, auto: AutoNumber): Segment[] {
    if (depth <= 0) {
      return [errorSegment('ValueError', 'Max string recursion exceeded')];
    }
    const segments: Segment[] = [];
    let pos = start;
    while (pos < end) {
      const literalStart = pos;
      let char = '';
      let markup = false;
      while (pos < end) {
        char = this.chars[pos++] ?? '';
        if (char === '{' || char === '}') {
          markup = true;
          break;
        }
      }
      const atEnd = pos >= end;
      let length = pos - literalStart;
      if (char === '}' && markup && (atEnd || this.chars[pos] !== '}')) {
        segments.push(errorSegment('ValueError', "Single '}' encountered in format string"));
        return segments;
      }
      if (atEnd && char === '{' && markup) {
        segments.push(errorSegment('ValueError', "Single '{' encountered in format string"));
        return segments;
      }
      if (!atEnd) {
        if (this.chars[pos] === char) {
          // "{{" or "}}": one literal brace, no field follows.
          pos += 1;
          markup = false;
        } else {
          length -= 1;
        }
      }
      if (length > 0) {
        segments.push({ kind: 'literal', text: this.text(literalStart, literalStart + length) });
      }
      if (!markup) continue;
      const parsed = this.parseField(pos, end, depth, auto);
      if ('error' in parsed) {
        segments.push({ kind: 'error', error: parsed.error });
        return segments;
      }
      segments.push({ kind: 'field', field: parsed.field });
      pos = parsed.next;
    }
    return segments;
  }

  /** CPython's parse_field followed by the field's compile-time parts. */
  private parseField(
    start: number,
    end: number,
    depth: number,
    auto: AutoNumber,
  ): { field: Field; next: number } | { error: PythonFormatError } {
    let pos = start;
    let char = '';
    while (pos < end) {
      char = this.chars[pos++] ?? '';
      if (char === '{') {
        return { error: new PythonFormatError('ValueError', "unexpected '{' in field name") };
      }
      if (char === '[') {
        while (pos < end && this.chars[pos] !== ']') pos += 1;
        continue;
      }
      if (char === '}' || char === ':' || char === '!') break;
    }
    const nameEnd = pos - 1;
    const name = this.text(start, nameEnd);
    if (char !== '!' && char !== ':') {
      if (char !== '}') {
        return {
          error: new PythonFormatError('ValueError', "expected '}' before end of string"),
        };
      }
      return { field: this.buildField(name, '', null, depth, auto), next: pos };
    }
    let conversion = '';
    if (char === '!') {
      if (pos >= end) {
        return {
          error: new PythonFormatError(
            'ValueError',
            'end of string while looking for conversion specifier',
          ),
        };
      }
      conversion = this.chars[pos++] ?? '';
      if (pos < end) {
        const next = this.chars[pos++];
        if (next === '}') {
          return { field: this.buildField(name, conversion, null, depth, auto), next: pos };
        }
        if (next !== ':') {
          return {
            error: new PythonFormatError('ValueError', "expected ':' after conversion specifier"),
          };
        }
      }
    }
    const specStart = pos;
    let count = 1;
    let needsExpanding = false;
    while (pos < end) {
      const specChar = this.chars[pos++];
      if (specChar === '{') {
        needsExpanding = true;
        count += 1;
      } else if (specChar === '}') {
        count -= 1;
        if (count === 0) {
          const spec = { start: specStart, end: pos - 1, needsExpanding };
          return { field: this.buildField(name, conversion, spec, depth, auto), next: pos };
        }
      }
    }
    return { error: new PythonFormatError('ValueError', "unmatched '{' in format spec") };
  }

  private buildField(
    name: string,
    conversion: string,
    spec: { start: number; end: number; needsExpanding: boolean } | null,
    depth: number,
    auto: AutoNumber,
  ): Field {
    // The argument is resolved before the spec is expanded, as CPython does:
    // auto-numbering therefore counts the outer field first.
    const { arg, accessors } = splitFieldName(name, auto);
    let specSegments: Segment[] | null = null;
    if (spec) {
      specSegments = spec.needsExpanding
        ? this.parseRange(spec.start, spec.end, depth - 1, auto)
        : [{ kind: 'literal', text: this.text(spec.start, spec.end) }];
    }
    return { text: name, arg, accessors, conversion, spec: specSegments };
  }
}

function errorSegment(pythonClass: 'ValueError', message: string): Segment {
  return { kind: 'error', error: new PythonFormatError(pythonClass, message) };
}

/** Reads a whole text as a decimal number, or -1 (CPython get_integer). */
function wholeInteger(text: string): number {
  const chars = Array.from(text);
  if (chars.length === 0) return -1;
  const read = readDecimal(chars, 0, chars.length);
  return read.consumed === chars.length ? read.value : -1;
}

/** CPython's field_name_split plus the FieldNameIterator steps. */
function splitFieldName(name: string, auto: AutoNumber): { arg: FieldArg; accessors: Accessor[] } {
  const chars = Array.from(name);
  let split = 0;
  while (split < chars.length && chars[split] !== '[' && chars[split] !== '.') split += 1;
  const first = chars.slice(0, split).join('');
  let index: number;
  try {
    index = wholeInteger(first);
  } catch (error) {
    return { arg: { kind: 'error', error: error as PythonFormatError }, accessors: [] };
  }
  const isEmpty = first.length === 0;
  const usesPosition = isEmpty || index !== -1;
  if (auto.state === AUTO_INIT && usesPosition) {
    auto.state = isEmpty ? AUTO_AUTOMATIC : AUTO_MANUAL;
  }
  if (usesPosition && auto.state === AUTO_MANUAL && isEmpty) {
    return {
      arg: {
        kind: 'error',
        error: new PythonFormatError(
          'ValueError',
          'cannot switch from manual field specification to automatic field numbering',
        ),
      },
      accessors: [],
    };
  }
  if (usesPosition && auto.state === AUTO_AUTOMATIC && !isEmpty) {
    return {
      arg: {
        kind: 'error',
        error: new PythonFormatError(
          'ValueError',
          'cannot switch from automatic field numbering to manual field specification',
        ),
      },
      accessors: [],
    };
  }
  if (isEmpty) index = auto.next++;
  const arg: FieldArg = index === -1 ? { kind: 'named', name: first } : { kind: 'index', index };
  return { arg, accessors: parseAccessors(chars.slice(split)) };
}

function parseAccessors(chars: readonly string[]): Accessor[] {
  const accessors: Accessor[] = [];
  const fail = (message: string): Accessor[] => {
    accessors.push({ kind: 'error', error: new PythonFormatError('ValueError', message) });
    return accessors;
  };
  let pos = 0;
  while (pos < chars.length) {
    const char = chars[pos++];
    if (char === '.') {
      const start = pos;
      while (pos < chars.length && chars[pos] !== '.' && chars[pos] !== '[') pos += 1;
      if (pos === start) return fail('Empty attribute in format string');
      accessors.push({ kind: 'attribute', name: chars.slice(start, pos).join('') });
    } else if (char === '[') {
      const start = pos;
      while (pos < chars.length && chars[pos] !== ']') pos += 1;
      if (pos >= chars.length) return fail("Missing ']' in format string");
      const key = chars.slice(start, pos).join('');
      pos += 1;
      let index: number;
      try {
        index = wholeInteger(key);
      } catch (error) {
        accessors.push({ kind: 'error', error: error as PythonFormatError });
        return accessors;
      }
      if (key === '') return fail('Empty attribute in format string');
      accessors.push(index === -1 ? { kind: 'key', key } : { kind: 'index', index });
    } else {
      return fail("Only '.' or '[' may follow ']' in format field specifier");
    }
  }
  return accessors;
}

// ---------------------------------------------------------------- rendering

function typeName(value: FormatArg): string {
  return typeof value === 'string' ? 'str' : 'list';
}

function lookupArg(field: Field, args: readonly FormatArg[]): FormatArg {
  const { arg } = field;
  if (arg.kind === 'error') throw arg.error;
  if (arg.kind === 'named') throw new PythonFormatError('KeyError', pythonStringRepr(arg.name));
  const value = args[arg.index];
  if (value === undefined) {
    throw new PythonFormatError(
      'IndexError',
      `Replacement index ${arg.index} out of range for positional args tuple`,
    );
  }
  return value;
}

function applyAccessor(value: FormatArg, accessor: Accessor): FormatArg {
  switch (accessor.kind) {
    case 'error':
      throw accessor.error;
    case 'attribute':
      throw new PythonFormatError(
        'AttributeError',
        `'${typeName(value)}' object attribute '${accessor.name}' is not supported in a mapping`,
      );
    case 'key':
      throw new PythonFormatError(
        'TypeError',
        typeof value === 'string'
          ? "string indices must be integers, not 'str'"
          : 'list indices must be integers or slices, not str',
      );
    case 'index': {
      // Python indexes strings by code point, not by UTF-16 unit.
      const items = typeof value === 'string' ? Array.from(value) : value;
      const item = items[accessor.index];
      if (item === undefined) {
        throw new PythonFormatError(
          'IndexError',
          `${typeof value === 'string' ? 'string' : 'list'} index out of range`,
        );
      }
      return item;
    }
  }
}

function toText(value: FormatArg): string {
  return typeof value === 'string' ? value : pythonListRepr(value);
}

function convert(value: FormatArg, conversion: string): FormatArg {
  switch (conversion) {
    case '':
      return value;
    case 's':
      return toText(value);
    case 'r':
      return typeof value === 'string' ? pythonStringRepr(value) : pythonListRepr(value);
    case 'a':
      return typeof value === 'string'
        ? pythonStringAscii(value)
        : `[${value.map(pythonStringAscii).join(', ')}]`;
    default: {
      const codePoint = conversion.codePointAt(0) ?? 0;
      const label =
        codePoint > 32 && codePoint < 127 ? conversion : `\\x${codePoint.toString(16)}`;
      throw new PythonFormatError('ValueError', `Unknown conversion specifier ${label}`);
    }
  }
}

function renderSegments(segments: readonly Segment[], args: readonly FormatArg[]): string {
  let out = '';
  for (const segment of segments) {
    if (segment.kind === 'literal') out += segment.text;
    else if (segment.kind === 'error') throw segment.error;
    else out += renderField(segment.field, args);
  }
  return out;
}

function renderField(field: Field, args: readonly FormatArg[]): string {
  let value = lookupArg(field, args);
  for (const accessor of field.accessors) value = applyAccessor(value, accessor);
  value = convert(value, field.conversion);
  const spec = field.spec === null ? '' : renderSegments(field.spec, args);
  if (typeof value !== 'string') {
    // object.__format__ accepts only an empty spec.
    if (spec !== '') {
      throw new PythonFormatError('TypeError', 'unsupported format string passed to list.__format__');
    }
    return pythonListRepr(value);
  }
  return formatStringWithSpec(value, spec);
}

function collectFields(segments: readonly Segment[], fields: FormatFieldRef[], errors: PythonFormatError[]): void {
  for (const segment of segments) {
    if (segment.kind === 'error') {
      errors.push(segment.error);
      continue;
    }
    if (segment.kind !== 'field') continue;
    const { arg, accessors, spec, text } = segment.field;
    if (arg.kind === 'error') errors.push(arg.error);
    fields.push({
      text,
      argIndex: arg.kind === 'index' ? arg.index : null,
      argName: arg.kind === 'named' ? arg.name : null,
    });
    for (const accessor of accessors) {
      if (accessor.kind === 'error') errors.push(accessor.error);
    }
    if (spec) collectFields(spec, fields, errors);
  }
}

/** Compiles a template once; `render` may then run for every request. */
export function compileFormat(template: string): CompiledFormat {
  const segments = new TemplateParser(template).parse();
  const fields: FormatFieldRef[] = [];
  const staticErrors: PythonFormatError[] = [];
  collectFields(segments, fields, staticErrors);
  const isLiteral = segments.every((segment) => segment.kind === 'literal');
  // A template without fields renders the same text for any arguments.
  const constant = isLiteral ? renderSegments(segments, []) : null;
  return {
    template,
    isLiteral,
    fields,
    staticErrors,
    render: (args) => constant ?? renderSegments(segments, args),
  };
}

/** One-shot `template.format(*args)`. Throws PythonFormatError. */
export function pythonFormat(template: string, args: readonly FormatArg[]): string {
  return compileFormat(template).render(args);
}
