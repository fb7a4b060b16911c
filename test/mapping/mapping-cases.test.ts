import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import {
  MappingError,
  compileMapping,
  mappingValidationMessage,
  validateMapping,
  type MappedProperties,
} from '../../libs/domain/src/mapping';
import { readCases } from './case-files';

/**
 * Runs every Keystone-computed mapping case (test/fixtures/cases/mapping)
 * and the mapping bug reports BR-10..BR-13, with the comparison rules of
 * the semantics document, Part D.
 */

interface ErrorExpectation {
  outcome: 'error';
  stage: 'schema' | 'process';
  exception: string;
  message: string;
  http_status: number;
  rendered_as: string;
  debug_message?: string;
}

interface MappedExpectation {
  outcome: 'mapped';
  mapped_properties: MappedProperties;
  order_unspecified?: boolean;
  variants?: Array<{ outcome: 'mapped'; mapped_properties: MappedProperties }>;
}

interface MappingCase {
  description: string;
  rules?: unknown[];
  mapping?: unknown;
  assertion: Record<string, unknown>;
  expected: ErrorExpectation | MappedExpectation;
}

// Keystone's exception classes (as opposed to Python built-ins).
const KEYSTONE_CLASSES = new Set(['ValidationError', 'DirectMappingError', 'UnexpectedError']);
const CASE_MAPPING_ID = 'oracle_mapping';

function sortKey(value: unknown): string {
  return typeof value === 'string' ? `s${value}` : `n${JSON.stringify(value)}`;
}

/** group_ids is a set in Keystone: compare sorted. */
function normalized(properties: MappedProperties): MappedProperties {
  const ids = [...properties.group_ids].sort((a, b) => {
    if (typeof a === 'number' && typeof b === 'number') return a - b;
    const ka = sortKey(a);
    const kb = sortKey(b);
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  });
  return { ...properties, group_ids: ids };
}

function evaluateCase(rules: unknown[], assertion: Record<string, unknown>): MappedProperties | MappingError {
  try {
    return compileMapping(rules, { mappingId: CASE_MAPPING_ID }).evaluate(assertion);
  } catch (error) {
    if (error instanceof MappingError) return error;
    throw error;
  }
}

function assertMapped(actual: MappedProperties | MappingError, expected: MappedExpectation): void {
  if (actual instanceof MappingError) {
    assert.fail(`expected a mapping, got ${actual.status} ${actual.keystoneClass}: ${actual.message} (${actual.detail ?? ''})`);
  }
  const got = normalized(actual);
  const candidates = expected.order_unspecified && expected.variants
    ? expected.variants.map((variant) => variant.mapped_properties)
    : [expected.mapped_properties];
  const matches = candidates.some((candidate) => {
    try {
      assert.deepStrictEqual(got, normalized(candidate));
      return true;
    } catch {
      return false;
    }
  });
  if (!matches) assert.deepStrictEqual(got, normalized(candidates[0] as MappedProperties));
}

describe('Keystone mapping cases', () => {
  const cases = readCases<MappingCase>('mapping');

  test('all case files are present', () => {
    assert.equal(cases.length, 83);
  });

  for (const { name, data } of cases) {
    test(`${name}: ${data.description}`, () => {
      const expected = data.expected;
      const document = data.mapping ?? { rules: data.rules };
      const errors = validateMapping(document);

      if (expected.outcome === 'error' && expected.stage === 'schema') {
        assert.equal(expected.http_status, 400);
        assert.ok(errors.length >= 1, 'the schema check must reject the mapping');
        // One line per violation, as Keystone reports them.
        const expectedLines = expected.message.split('\n').filter((line) => line !== '');
        assert.equal(errors.length, expectedLines.length, `violations: ${JSON.stringify(errors)}`);
        // Not required by Part D (schema wording is implementation wording),
        // but the messages follow Python jsonschema's and currently match.
        assert.equal(mappingValidationMessage(errors), expected.message);
        return;
      }

      assert.deepEqual(errors, [], 'Keystone accepted this mapping');
      const actual = evaluateCase(data.rules ?? [], data.assertion);

      if (expected.outcome === 'mapped') {
        assertMapped(actual, expected);
        return;
      }
      assert.ok(actual instanceof MappingError, `expected ${expected.exception}, got a mapping`);
      assert.equal(actual.status, expected.http_status);
      assert.equal(actual.keystoneClass, expected.rendered_as);
      if (KEYSTONE_CLASSES.has(expected.exception)) {
        assert.equal(actual.message, expected.message);
      } else {
        // Python built-in: the message is implementation wording, the
        // client sees the generic text of the rendered class.
        assert.equal(actual.pythonClass, expected.exception);
        if (actual.status === 500) assert.equal(actual.detail, expected.message);
      }
      if (expected.debug_message !== undefined) assert.equal(actual.debugMessage, expected.debug_message);
    });
  }
});

// ---------------------------------------------------------------- reports

interface DialectResult {
  pattern: string;
  value: string;
  keystone_python_re_search: 'match' | 'no match';
}

interface ReportResult {
  assertion: Record<string, unknown>;
  schema: string;
  outcome: 'mapped' | 'error';
  error?: string;
  http_status?: number;
  user?: Record<string, unknown>;
  group_names_set?: unknown[];
  group_ids_set?: unknown[];
  keystone_raw?: MappedProperties;
}

interface Report {
  id: string;
  description: string;
  input: Record<string, unknown>;
  expected: Record<string, unknown>;
}

/** Which input mapping each expectation list of a report was computed with. */
const REPORT_MAPPINGS: Record<string, Record<string, string>> = {
  'BR-10': {
    unanchored: 'mapping_unanchored',
    anchored: 'mapping_anchored',
    whitelist_unanchored: 'mapping_whitelist_unanchored',
    whitelist_anchored: 'mapping_whitelist_anchored',
    not_any_of_unanchored: 'mapping_not_any_of_unanchored',
  },
  'BR-11': {
    single_rule_ou_absent: 'mapping_single_rule',
    two_rules_ou_absent: 'mapping_two_rules',
    two_rules_ou_present: 'mapping_two_rules',
    not_any_of_ou_absent: 'mapping_not_any_of',
    no_rule_matches: 'mapping_org_condition',
    empty_cn_present: 'mapping_two_rules',
  },
  'BR-12': { groups: 'mapping_groups', group_ids: 'mapping_group_ids' },
  'BR-13': {
    index_1_at_evaluation_in_keystone: 'mapping_index_1',
    index_0: 'mapping_index_0',
    not_any_of_between: 'mapping_not_any_of_between',
  },
};

function setOf(items: readonly unknown[]): string[] {
  return [...new Set(items.map((item) => JSON.stringify(sortedKeys(item))))].sort();
}

function sortedKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortedKeys);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value as object)
        .sort()
        .map((key) => [key, sortedKeys((value as Record<string, unknown>)[key])]),
    );
  }
  return value;
}

describe('mapping bug reports BR-10..BR-13', () => {
  const reports = readCases<Report>('reports', (name) => /^BR-1[0-3]-/.test(name));

  test('the four reports are present', () => {
    assert.equal(reports.length, 4);
  });

  for (const { data: report } of reports) {
    const mappings = REPORT_MAPPINGS[report.id] ?? {};
    for (const [key, value] of Object.entries(report.expected)) {
      if (!Array.isArray(value)) continue;
      const mappingName = mappings[key];
      if (key === 'python_vs_javascript_dialect') {
        for (const [i, result] of (value as DialectResult[]).entries()) {
          test(`${report.id} ${key} #${i}: ${JSON.stringify(result.pattern)} on ${JSON.stringify(result.value)}`, () => {
            const rules = [
              {
                local: [{ user: { name: 'x' } }],
                remote: [{ type: 'V', any_one_of: [result.pattern], regex: true }],
              },
            ];
            assert.deepEqual(validateMapping({ rules }), []);
            const actual = evaluateCase(rules, { V: result.value });
            const matched = !(actual instanceof MappingError);
            if (actual instanceof MappingError) assert.equal(actual.reason, 'no_matching_rule');
            assert.equal(matched, result.keystone_python_re_search === 'match');
          });
        }
        continue;
      }
      (value as ReportResult[]).forEach((result, i) => {
        test(`${report.id} ${key} #${i}`, () => {
          assert.ok(mappingName, `no input mapping known for ${key}`);
          const mapping = report.input[mappingName] as { rules: unknown[] };
          assert.deepEqual(validateMapping(mapping), []);
          const actual = evaluateCase(mapping.rules, result.assertion);
          if (result.outcome === 'error') {
            assert.ok(actual instanceof MappingError, `expected ${result.error}, got a mapping`);
            assert.equal(actual.status, result.http_status);
            assert.equal(actual.keystoneClass, result.error);
            return;
          }
          assert.ok(!(actual instanceof MappingError), `unexpected error: ${(actual as Error).message}`);
          assert.deepStrictEqual(actual.user, result.user);
          assert.deepStrictEqual(setOf(actual.group_names), setOf(result.group_names_set ?? []));
          assert.deepStrictEqual(setOf(actual.group_ids), setOf(result.group_ids_set ?? []));
          // Keystone's unmodified answer (deterministic for these mappings).
          if (result.keystone_raw) {
            assert.deepStrictEqual(normalized(actual), normalized(result.keystone_raw));
          }
        });
      });
    }
  }
});
