import { compileFormat, type FormatFieldRef } from './python-format';
import { PythonRegexError, compilePythonRegex } from './python-regex';

/**
 * Advisory checks for an operator recording a mapping. None of them makes
 * the mapping invalid (Keystone accepts all of these); each points at a
 * place where Keystone's behaviour is likely not what the author meant,
 * or where evaluation is certain to fail.
 *
 * Codes:
 * - `whitelist_does_not_gate` / `blacklist_does_not_gate`: the rule still
 *   applies when the list filters out every value;
 * - `placeholder_index_skips_conditions`: a `{N}` placeholder is used in a
 *   rule where an any_one_of / not_any_of requirement comes before a
 *   value-producing one, so indices do not follow the remote entry order;
 * - `placeholder_out_of_range`: a `{N}` placeholder refers past the rule's
 *   direct values, so the rule fails with 500 whenever it applies;
 * - `format_error`: a local string Python's str.format cannot format
 *   (lone brace, named field...), so the rule fails with 500;
 * - `invalid_regex` / `unsupported_regex`: a pattern Python rejects, or one
 *   that needs a backtracking engine and is refused here (500);
 * - `request_header_attribute`: a requirement reads an `HTTP_*` variable,
 *   i.e. a request header the client chooses.
 */

export interface MappingWarning {
  code: string;
  message: string;
  /** Index of the rule in `rules`. */
  rule: number;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function present(requirement: Record<string, unknown>, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(requirement, key) && requirement[key] !== null;
}

/** The operator that decides how a requirement is evaluated (Keystone's precedence). */
function operatorOf(requirement: Record<string, unknown>): string | null {
  for (const key of ['any_one_of', 'not_any_of', 'blacklist', 'whitelist']) {
    if (present(requirement, key)) return key;
  }
  return null;
}

function isCondition(requirement: unknown): boolean {
  if (!isObject(requirement)) return false;
  const operator = operatorOf(requirement);
  return operator === 'any_one_of' || operator === 'not_any_of';
}

/** Every string of a local side, with a readable path. */
function localStrings(value: unknown, path: string, out: Array<{ path: string; text: string }>): void {
  if (typeof value === 'string') out.push({ path, text: value });
  else if (Array.isArray(value)) value.forEach((item, i) => localStrings(item, `${path}[${i}]`, out));
  else if (isObject(value)) {
    for (const [key, item] of Object.entries(value)) localStrings(item, path ? `${path}.${key}` : key, out);
  }
}

interface RuleFacts {
  requirements: unknown[];
  directValues: number;
  strings: Array<{ path: string; text: string; fields: readonly FormatFieldRef[]; staticError: string | null }>;
}

function ruleFacts(rule: unknown): RuleFacts {
  const requirements = isObject(rule) && Array.isArray(rule.remote) ? rule.remote : [];
  const directValues = requirements.filter((requirement) => !isCondition(requirement)).length;
  const raw: Array<{ path: string; text: string }> = [];
  if (isObject(rule) && Array.isArray(rule.local)) {
    rule.local.forEach((entry, i) => localStrings(entry, `local[${i}]`, raw));
  }
  const strings = raw.map(({ path, text }) => {
    const compiled = compileFormat(text);
    const first = compiled.staticErrors[0];
    return { path, text, fields: compiled.fields, staticError: first ? first.message : null };
  });
  return { requirements, directValues, strings };
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

/**
 * Placeholders that can never be filled: `{N}` with N at or beyond the
 * number of direct values of its rule (remote entries without any_one_of /
 * not_any_of). Keystone accepts such a mapping and fails every request the
 * rule applies to with 500 DirectMappingError; a registry that wants to
 * refuse it when it is written can use these messages.
 */
export function placeholderErrors(rules: unknown[]): string[] {
  const errors: string[] = [];
  rules.forEach((rule, index) => {
    const facts = ruleFacts(rule);
    for (const item of facts.strings) {
      for (const field of item.fields) {
        if (field.argIndex !== null && field.argIndex >= facts.directValues) {
          errors.push(
            `rule ${index}: ${item.path}: placeholder {${field.argIndex}} but the rule has ` +
              `${plural(facts.directValues, 'direct value')}`,
          );
        }
      }
    }
  });
  return errors;
}

/** Advisory warnings for `rules` (see the module comment for the codes). */
export function mappingWarnings(rules: unknown[]): MappingWarning[] {
  const warnings: MappingWarning[] = [];
  rules.forEach((rule, index) => {
    const facts = ruleFacts(rule);
    const warn = (code: string, message: string): void => {
      warnings.push({ code, message, rule: index });
    };

    let conditionSeen = false;
    let indexShifted = false;
    facts.requirements.forEach((requirement, position) => {
      if (!isObject(requirement)) return;
      const type = typeof requirement.type === 'string' ? requirement.type : '?';
      const operator = operatorOf(requirement);
      if (operator === 'any_one_of' || operator === 'not_any_of') conditionSeen = true;
      else if (conditionSeen) indexShifted = true;

      if (operator === 'whitelist' || operator === 'blacklist') {
        const kept = operator === 'whitelist' ? 'no value is whitelisted' : 'every value is blacklisted';
        warn(
          `${operator}_does_not_gate`,
          `remote[${position}] (${type}): the ${operator} only filters the values of ${type}; ` +
            `when ${kept}, the rule still applies (Keystone's behaviour) and its placeholder ` +
            `receives an empty list, substituted as the text "[]". Add an any_one_of requirement ` +
            `on ${type} to make the rule depend on the value, or enable the per-mapping option ` +
            `filtered_values_gate_rule so that a rule whose ${operator} removes every value does not apply.`,
        );
      }

      if (type.startsWith('HTTP_')) {
        warn(
          'request_header_attribute',
          `remote[${position}] reads ${type}, a request header chosen by the client, not a ` +
            `certificate attribute.`,
        );
      }

      if (truthyRegex(requirement.regex) && operator !== null) {
        const operand = requirement[operator];
        if (Array.isArray(operand)) {
          for (const pattern of operand) {
            if (typeof pattern !== 'string') continue;
            try {
              compilePythonRegex(pattern);
            } catch (error) {
              if (!(error instanceof PythonRegexError)) throw error;
              const invalid = error.kind === 'invalid';
              warn(
                invalid ? 'invalid_regex' : 'unsupported_regex',
                `remote[${position}] (${type}): pattern ${JSON.stringify(pattern)} ` +
                  (invalid
                    ? `is not a valid Python regular expression (${error.message})`
                    : `cannot be evaluated in linear time (${error.message})`) +
                  '; every request that reaches it fails with a server error (500).',
              );
            }
          }
        }
      }
    });

    const usesIndex = facts.strings.some((item) => item.fields.some((field) => field.argIndex !== null));
    if (indexShifted && usesIndex) {
      warn(
        'placeholder_index_skips_conditions',
        `placeholders {0}, {1}, ... count only the remote entries without any_one_of / not_any_of ` +
          `(${plural(facts.directValues, 'direct value')} in this rule); an any_one_of / not_any_of ` +
          `entry comes before a value entry, so placeholder numbers do not follow the remote entry positions.`,
      );
    }

    for (const item of facts.strings) {
      if (item.staticError !== null) {
        warn(
          'format_error',
          `${item.path} ${JSON.stringify(item.text)} cannot be formatted (${item.staticError}); ` +
            `literal braces must be doubled ({{ and }}). Every request this rule applies to fails with a server error (500).`,
        );
        continue;
      }
      for (const field of item.fields) {
        if (field.argName !== null) {
          warn(
            'format_error',
            `${item.path} ${JSON.stringify(item.text)} has the named field {${field.text}}; only ` +
              `numbered placeholders exist. Every request this rule applies to fails with a server error (500).`,
          );
        } else if (field.argIndex !== null && field.argIndex >= facts.directValues) {
          warn(
            'placeholder_out_of_range',
            `${item.path} ${JSON.stringify(item.text)} uses placeholder {${field.argIndex}} but the rule ` +
              `has ${plural(facts.directValues, 'direct value')} (remote entries without any_one_of / ` +
              `not_any_of); every request this rule applies to fails with a server error (500).`,
          );
        }
      }
    }
  });
  return warnings;
}

function truthyRegex(value: unknown): boolean {
  return value !== undefined && value !== null && value !== false && value !== 0 && value !== '';
}
