import { MappingError, NO_MATCHING_RULE_MESSAGE } from './mapping-error';
import { PythonFormatError, compileFormat, type CompiledFormat, type FormatArg } from './python-format';
import { literalEval } from './python-literal';
import { PythonRegexError, compilePythonRegex, type PythonRegex } from './python-regex';
import { pythonRepr } from './python-repr';
import {
  PyDict,
  PySet,
  PyTuple,
  PythonTypeError,
  pythonContains,
  pythonHashKey,
  pythonTypeName,
  toJsonValue,
  type PyValue,
} from './python-value';

/**
 * Keystone's federation mapping engine (RuleProcessor), Part A of the
 * semantics document: requirement matching, direct values, placeholder
 * substitution with Python `str.format`, and the transform into mapped
 * properties, with every observable Keystone quirk kept by default.
 *
 * `compileMapping` does all per-mapping work once: regexes are translated
 * to RE2 and compiled, local strings are parsed as format templates,
 * operand lists are turned into sets. `evaluate` then only walks the
 * compiled rules, so it can run on every request.
 *
 * Errors: `compileMapping` never throws for the content of the rules. A
 * stored mapping is trusted, as in Keystone, and anything Keystone would
 * only notice while evaluating (an invalid or unsupported regex, a
 * malformed placeholder, a malformed rule) is raised by `evaluate`, as a
 * MappingError, exactly when Keystone would raise it: only for a request
 * that reaches that part of the rules. Patterns that cannot run on the
 * linear-time engine (backreferences, lookarounds...) are therefore
 * refused at evaluation time with 500 `unsupported_regex`; the recording
 * path reports them in advance through `mappingWarnings`.
 */

export interface MappedProperties {
  user: Record<string, unknown>;
  group_ids: string[];
  group_names: Array<Record<string, unknown>>;
  projects: unknown[];
}

export interface CompiledMapping {
  /** Maps one assertion; throws MappingError. */
  evaluate(assertion: Record<string, unknown>): MappedProperties;
}

export interface CompileMappingOptions {
  /** Appears in error messages only (DirectMappingError). */
  mappingId?: string;
  /**
   * Opt-in, default false (Keystone's behaviour): when true, a requirement
   * whose whitelist/blacklist removed every value of the attribute makes
   * the rule not apply, instead of applying it with an empty list.
   */
  filteredValuesGateRule?: boolean;
}

// ------------------------------------------------------------ errors

/** Builds a fresh error each time: deferred errors may be raised often. */
type Fail = () => MappingError;

function typeError(message: string): MappingError {
  return MappingError.validation(message, 'type_error', 'TypeError');
}

function keyError(key: string): MappingError {
  return MappingError.unexpected(pythonRepr(key), 'malformed_rule', 'KeyError');
}

function attributeError(value: unknown, attribute: string): MappingError {
  return MappingError.unexpected(
    `'${pythonTypeName(value)}' object has no attribute '${attribute}'`,
    'malformed_rule',
    'AttributeError',
  );
}

function invalidRule(identityValue: Record<string, unknown>): MappingError {
  return MappingError.validation(
    `Invalid rule: ${pythonRepr(identityValue)}. Both 'groups' and 'domain' keywords must be specified.`,
    'invalid_rule',
  );
}

function regexFailure(error: PythonRegexError): MappingError {
  return MappingError.unexpected(
    error.message,
    error.kind === 'invalid' ? 'invalid_regex' : 'unsupported_regex',
    error.pythonClass,
  );
}

/** Runs Python-semantics code, turning their TypeError into Keystone's 400. */
function py<T>(action: () => T): T {
  try {
    return action();
  } catch (error) {
    if (error instanceof PythonTypeError) throw typeError(error.message);
    throw error;
  }
}

// ------------------------------------------------------------ Python semantics

function isDict(value: unknown): value is Record<string, unknown> {
  return (
    value !== null &&
    typeof value === 'object' &&
    !Array.isArray(value) &&
    !(value instanceof PyTuple) &&
    !(value instanceof PySet) &&
    !(value instanceof PyDict)
  );
}

function hasOwn(object: object, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(object, key);
}

/** Python's `container[key]` for a string key. */
function getItem(container: unknown, key: string): unknown {
  if (isDict(container)) {
    if (!hasOwn(container, key)) throw keyError(key);
    return container[key];
  }
  if (container instanceof PyDict) {
    const entry = container.entries.find(([k]) => k === key);
    if (!entry) throw keyError(key);
    return entry[1];
  }
  if (typeof container === 'string') throw typeError("string indices must be integers, not 'str'");
  if (Array.isArray(container)) throw typeError('list indices must be integers or slices, not str');
  if (container instanceof PyTuple) throw typeError('tuple indices must be integers or slices, not str');
  throw typeError(`'${pythonTypeName(container)}' object is not subscriptable`);
}

/** Python's `container.get(key)`; undefined stands for None. */
function dictGet(container: unknown, key: string): unknown {
  if (isDict(container)) return hasOwn(container, key) ? container[key] : undefined;
  if (container instanceof PyDict) return container.entries.find(([k]) => k === key)?.[1];
  throw attributeError(container, 'get');
}

function truthy(value: unknown): boolean {
  if (value === null || value === undefined) return false;
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number') return value !== 0;
  if (typeof value === 'bigint') return value !== 0n;
  if (typeof value === 'string') return value.length > 0;
  if (Array.isArray(value)) return value.length > 0;
  if (value instanceof PyTuple || value instanceof PySet) return value.items.length > 0;
  if (value instanceof PyDict) return value.entries.length > 0;
  return Object.keys(value as object).length > 0;
}

/** Python's `in` on a value of the mapping (TypeError → 400). */
function contains(container: unknown, needle: string): boolean {
  return py(() => pythonContains((container ?? null) as PyValue, needle));
}

/** Python's `str(value)` for error texts. */
function pythonStr(value: unknown): string {
  return typeof value === 'string' ? value : pythonRepr(value);
}

/** What `for x in value` yields, or a failure (non-iterable). */
function iterate(value: unknown): unknown[] | Fail {
  if (Array.isArray(value)) return value;
  if (typeof value === 'string') return Array.from(value);
  if (isDict(value)) return Object.keys(value);
  const name = pythonTypeName(value);
  return () => typeError(`'${name}' object is not iterable`);
}

/** Keystone's `_ast_literal_eval`: a list literal's items, else `[text]`. */
function literalList(value: unknown): unknown[] {
  if (typeof value !== 'string') return [value];
  const result = literalEval(value);
  if (result.kind === 'type_error') throw typeError(result.message);
  if (result.kind === 'value' && Array.isArray(result.value)) return result.value;
  return [value];
}

/** Python's `str.lstrip(chars)`. */
function lstripChars(text: string, chars: string): string {
  let start = 0;
  while (start < text.length && chars.includes(text[start] as string)) start += 1;
  return text.slice(start);
}

function hashKey(value: unknown): string {
  return py(() => pythonHashKey((value ?? null) as PyValue));
}

function toJson(value: unknown): unknown {
  return toJsonValue((value ?? null) as PyValue);
}

// ------------------------------------------------------------ compiled forms

type RequirementKind = 'plain' | 'any_one_of' | 'not_any_of' | 'blacklist' | 'whitelist';

/** A list operand compiled once: regexes or a set of the string entries. */
type Matcher =
  | { regex: true; patterns: Array<{ re: PythonRegex } | { fail: Fail }> }
  | { regex: false; strings: ReadonlySet<string> }
  | { regex: boolean; fail: Fail };

interface CompiledRequirement {
  /** Raised when the requirement is reached (malformed requirement). */
  readonly fail?: Fail;
  /** Attribute name; null when it can never be present (non-string). */
  readonly attribute: string | null;
  readonly kind: RequirementKind;
  readonly matcher?: Matcher;
}

type Template =
  | { kind: 'string'; format: CompiledFormat }
  | { kind: 'object'; entries: ReadonlyArray<readonly [string, Template]> }
  | { kind: 'array'; items: readonly Template[] }
  | { kind: 'fail'; fail: Fail };

interface CompiledRule {
  /** Raised when the rule is reached (`rule['remote']` fails). */
  readonly remoteFail?: Fail;
  readonly requirements: readonly CompiledRequirement[];
  /** Raised when the rule applies and its local side is read. */
  readonly localFail?: Fail;
  readonly locals: readonly Template[];
}

function compileMatcher(operand: unknown, regex: boolean): Matcher {
  const items = iterate(operand);
  if (typeof items === 'function') return { regex, fail: items };
  if (regex) {
    return {
      regex: true,
      patterns: items.map((pattern) => {
        if (typeof pattern !== 'string') {
          // re.search(non-string, value)
          const message = Array.isArray(pattern) || isDict(pattern)
            ? `unhashable type: '${pythonTypeName(pattern)}'`
            : 'first argument must be string or compiled pattern';
          return { fail: () => typeError(message) };
        }
        try {
          return { re: compilePythonRegex(pattern) };
        } catch (error) {
          if (error instanceof PythonRegexError) return { fail: () => regexFailure(error) };
          throw error;
        }
      }),
    };
  }
  // set(values): every entry must be hashable; only strings can ever equal
  // an attribute value.
  for (const item of items) {
    if (Array.isArray(item) || isDict(item)) {
      const name = pythonTypeName(item);
      return { regex: false, fail: () => typeError(`unhashable type: '${name}'`) };
    }
  }
  return { regex: false, strings: new Set(items.filter((item): item is string => typeof item === 'string')) };
}

function compileRequirement(requirement: unknown): CompiledRequirement {
  let attributeValue: unknown;
  try {
    attributeValue = getItem(requirement, 'type');
  } catch (error) {
    const failure = error as MappingError;
    return { fail: () => failure, attribute: null, kind: 'plain' };
  }
  const spec = requirement as Record<string, unknown>;
  let attribute: string | null = null;
  if (typeof attributeValue === 'string') attribute = attributeValue;
  else if (Array.isArray(attributeValue) || isDict(attributeValue)) {
    const name = pythonTypeName(attributeValue);
    return { fail: () => typeError(`unhashable type: '${name}'`), attribute: null, kind: 'plain' };
  }
  const regex = truthy(dictGet(spec, 'regex'));
  const present = (key: string): boolean => hasOwn(spec, key) && spec[key] !== null;
  for (const kind of ['any_one_of', 'not_any_of', 'blacklist', 'whitelist'] as const) {
    if (present(kind)) return { attribute, kind, matcher: compileMatcher(spec[kind], regex) };
  }
  return { attribute, kind: 'plain' };
}

function compileValue(value: unknown): Template {
  if (typeof value === 'string') return { kind: 'string', format: compileFormat(value) };
  if (isDict(value)) return compileDict(value);
  if (Array.isArray(value)) {
    return {
      kind: 'array',
      items: value.map((item) =>
        isDict(item) ? compileDict(item) : { kind: 'fail', fail: () => attributeError(item, 'items') },
      ),
    };
  }
  return { kind: 'fail', fail: () => attributeError(value, 'format') };
}

function compileDict(value: Record<string, unknown>): Template {
  return { kind: 'object', entries: Object.entries(value).map(([key, item]) => [key, compileValue(item)] as const) };
}

function compileRule(rule: unknown): CompiledRule {
  let remoteFail: Fail | undefined;
  let requirements: CompiledRequirement[] = [];
  try {
    const items = iterate(getItem(rule, 'remote'));
    if (typeof items === 'function') remoteFail = items;
    else requirements = items.map(compileRequirement);
  } catch (error) {
    const failure = error as MappingError;
    remoteFail = () => failure;
  }
  let localFail: Fail | undefined;
  let locals: Template[] = [];
  if (remoteFail === undefined) {
    try {
      const items = iterate(getItem(rule, 'local'));
      if (typeof items === 'function') localFail = items;
      else {
        locals = items.map((entry) =>
          isDict(entry) ? compileDict(entry) : { kind: 'fail', fail: () => attributeError(entry, 'items') },
        );
      }
    } catch (error) {
      const failure = error as MappingError;
      localFail = () => failure;
    }
  }
  return {
    ...(remoteFail ? { remoteFail } : {}),
    requirements,
    ...(localFail ? { localFail } : {}),
    locals,
  };
}

// ------------------------------------------------------------ evaluation

class Evaluator {
  private readonly split = new Map<string, string[] | null>();

  constructor(
    private readonly assertion: Record<string, unknown>,
    private readonly mappingId: string,
    private readonly gateOnFilteredValues: boolean,
  ) {}

  /** A.3: the attribute's `;`-split values, or null when absent or not a string. */
  values(attribute: string): string[] | null {
    let values = this.split.get(attribute);
    if (values === undefined) {
      const raw = hasOwn(this.assertion, attribute) ? this.assertion[attribute] : undefined;
      values = typeof raw === 'string' ? raw.split(';') : null;
      this.split.set(attribute, values);
    }
    return values;
  }

  /** A.4: the direct values of an applying rule, or null when it does not apply. */
  verify(rule: CompiledRule): FormatArg[] | null {
    if (rule.remoteFail) throw rule.remoteFail();
    const direct: FormatArg[] = [];
    for (const requirement of rule.requirements) {
      if (requirement.fail) throw requirement.fail();
      const values = requirement.attribute === null ? null : this.values(requirement.attribute);
      if (values === null) return null;
      const { kind, matcher } = requirement;
      if (kind === 'plain' || matcher === undefined) {
        direct.push(values.length === 1 ? (values[0] as string) : values);
        continue;
      }
      const matched = matchValues(matcher, values);
      if (kind === 'any_one_of') {
        if (matched.length === 0) return null;
        continue;
      }
      if (kind === 'not_any_of') {
        if (matched.length > 0) return null;
        continue;
      }
      let kept: string[];
      if (kind === 'whitelist') {
        kept = matcher.regex ? matched : unique(matched);
      } else {
        const removed = new Set(matched);
        kept = unique(values).filter((value) => !removed.has(value));
      }
      if (kept.length === 0 && this.gateOnFilteredValues) return null;
      direct.push(kept.length === 1 ? (kept[0] as string) : kept);
    }
    return direct;
  }

  render(template: Template, args: readonly FormatArg[]): unknown {
    switch (template.kind) {
      case 'string':
        try {
          return template.format.render(args);
        } catch (error) {
          if (error instanceof PythonFormatError) throw this.formatFailure(error);
          throw error;
        }
      case 'object': {
        const out: Record<string, unknown> = {};
        for (const [key, item] of template.entries) out[key] = this.render(item, args);
        return out;
      }
      case 'array':
        return template.items.map((item) => this.render(item, args));
      case 'fail':
        throw template.fail();
    }
  }

  private formatFailure(error: PythonFormatError): MappingError {
    if (error.pythonClass === 'IndexError') return MappingError.directMapping(this.mappingId, error.message);
    if (error.pythonClass === 'TypeError') {
      return MappingError.validation(error.message, 'format_error', 'TypeError');
    }
    return MappingError.unexpected(error.message, 'format_error', error.pythonClass);
  }
}

/**
 * The attribute values that match the operand, in attribute order with
 * duplicates. With regexes every pattern is searched in every value (as
 * Keystone's list comprehension does), so a failing pattern is raised even
 * when an earlier one matched.
 */
function matchValues(matcher: Matcher, values: readonly string[]): string[] {
  if ('fail' in matcher) throw matcher.fail();
  if (!matcher.regex) return values.filter((value) => matcher.strings.has(value));
  const matched: string[] = [];
  for (const value of values) {
    let any = false;
    for (const pattern of matcher.patterns) {
      if ('fail' in pattern) throw pattern.fail();
      let found: boolean;
      try {
        found = pattern.re.search(value);
      } catch (error) {
        if (error instanceof PythonRegexError) throw regexFailure(error);
        throw error;
      }
      any = any || found;
    }
    if (any) matched.push(value);
  }
  return matched;
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}

// ------------------------------------------------------------ transform (A.6)

function transform(identityValues: ReadonlyArray<Record<string, unknown>>): MappedProperties {
  let user: unknown = {};
  const groupIds = new Map<string, unknown>();
  const groupNames: unknown[] = [];
  const groupsByDomain = new Map<string, Map<string, unknown>>();
  let projects: unknown = [];

  const addGroupId = (id: unknown): void => {
    const key = hashKey(id);
    if (!groupIds.has(key)) groupIds.set(key, id);
  };

  for (const identityValue of identityValues) {
    if (hasOwn(identityValue, 'user') && !truthy(user)) user = identityValue.user;

    if (hasOwn(identityValue, 'group')) {
      const group = identityValue.group;
      if (contains(group, 'id')) {
        addGroupId(getItem(group, 'id'));
      } else if (contains(group, 'name')) {
        const domain = getItem(group, 'domain');
        let domainKey = dictGet(domain, 'name');
        if (!truthy(domainKey)) domainKey = dictGet(domain, 'id');
        const bucketKey = hashKey(domainKey);
        let bucket = groupsByDomain.get(bucketKey);
        if (!bucket) {
          bucket = new Map();
          groupsByDomain.set(bucketKey, bucket);
        }
        // One object per distinct name: first position, last object.
        bucket.set(hashKey(getItem(group, 'name')), group);
      }
      for (const bucket of groupsByDomain.values()) groupNames.push(...bucket.values());
    }

    if (hasOwn(identityValue, 'groups')) {
      const text = identityValue.groups;
      if (contains(text, 'name')) {
        const groups = literalList(text).map((group) => {
          if (typeof group !== 'string' || !group.startsWith('JSON:')) return group;
          try {
            return JSON.parse(lstripChars(group, 'JSON:')) as unknown;
          } catch (error) {
            throw MappingError.unexpected((error as Error).message, 'invalid_group_json', 'json.JSONDecodeError');
          }
        });
        for (const group of groups) {
          if (!contains(group, 'domain')) throw invalidRule(identityValue);
        }
        groupNames.push(...groups);
      } else {
        const names = literalList(text);
        if (!hasOwn(identityValue, 'domain')) throw invalidRule(identityValue);
        const domain = identityValue.domain;
        for (const name of names) groupNames.push({ name, domain });
      }
    }

    if (hasOwn(identityValue, 'group_ids')) {
      for (const id of literalList(identityValue.group_ids)) addGroupId(id);
    }

    if (hasOwn(identityValue, 'projects')) projects = identityValue.projects;
  }

  // normalize_user
  const userType = dictGet(user, 'type');
  if (truthy(userType) && userType !== 'ephemeral' && userType !== 'local') {
    throw MappingError.validation(`User type ${pythonStr(userType)} not supported`, 'unsupported_user_type');
  }
  const userOut = { ...(user as Record<string, unknown>) };
  if (userType === undefined || userType === null) userOut.type = 'ephemeral';

  return {
    user: userOut,
    group_ids: [...groupIds.values()].map(toJson) as string[],
    group_names: groupNames.map(toJson) as Array<Record<string, unknown>>,
    projects: projects as unknown[],
  };
}

// ------------------------------------------------------------ entry point

/** Compiles the `rules` of a mapping once; see the module comment. */
export function compileMapping(rules: unknown[], options: CompileMappingOptions = {}): CompiledMapping {
  const mappingId = options.mappingId ?? '';
  const gate = options.filteredValuesGateRule === true;
  const compiled = rules.map(compileRule);
  return {
    evaluate(assertion: Record<string, unknown>): MappedProperties {
      const evaluator = new Evaluator(assertion, mappingId, gate);
      const identityValues: Array<Record<string, unknown>> = [];
      for (const rule of compiled) {
        const args = evaluator.verify(rule);
        if (args === null) continue;
        if (rule.localFail) throw rule.localFail();
        // Every local string is formatted, even without direct values (A.5).
        for (const local of rule.locals) {
          identityValues.push(evaluator.render(local, args) as Record<string, unknown>);
        }
      }
      if (identityValues.length === 0) {
        throw MappingError.validation(NO_MATCHING_RULE_MESSAGE, 'no_matching_rule');
      }
      return transform(identityValues);
    },
  };
}
