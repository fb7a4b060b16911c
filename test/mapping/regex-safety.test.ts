import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { MappingError, compileMapping, mappingWarnings } from '../../libs/domain/src/mapping';

/**
 * Rule patterns run on a linear-time engine (RE2). A pattern that would
 * backtrack catastrophically in Python or JavaScript completes, and one
 * that needs backtracking (backreference, lookaround) is refused.
 *
 * Where the refusal happens: compileMapping never throws for rule content
 * (a stored mapping is trusted, as in Keystone); the refusal is raised by
 * evaluate(), with 500 and reason 'unsupported_regex', when a request
 * reaches the requirement, which is also where Keystone reports an
 * invalid pattern. mappingWarnings reports it when the mapping is recorded.
 */

function anyOneOf(pattern: string): unknown[] {
  return [
    {
      local: [{ user: { name: '{0}' } }],
      remote: [{ type: 'CN' }, { type: 'OU', any_one_of: [pattern], regex: true }],
    },
  ];
}

function evaluate(rules: unknown[], assertion: Record<string, unknown>): unknown {
  try {
    return compileMapping(rules).evaluate(assertion);
  } catch (error) {
    if (error instanceof MappingError) return error;
    throw error;
  }
}

describe('regex safety', () => {
  test('a catastrophic pattern on a long value completes with the right answer', () => {
    const rules = anyOneOf('(a+)+$');
    const mapping = compileMapping(rules);
    const hostile = `${'a'.repeat(30_000)}!`;
    assert.throws(
      () => mapping.evaluate({ CN: 'x', OU: hostile }),
      (error: unknown) => error instanceof MappingError && error.reason === 'no_matching_rule',
    );
    // Python's re.search('(a+)+$', ...) matches when the value ends in a's.
    const ok = mapping.evaluate({ CN: 'x', OU: `!${'a'.repeat(30_000)}` });
    assert.equal(ok.user.name, 'x');
  });

  test('nested alternation on a long value completes', () => {
    const mapping = compileMapping(anyOneOf('^(a|aa)+b'));
    assert.throws(() => mapping.evaluate({ CN: 'x', OU: 'a'.repeat(30_000) }), MappingError);
    assert.equal(mapping.evaluate({ CN: 'x', OU: `${'a'.repeat(30_000)}b` }).user.name, 'x');
  });

  for (const pattern of ['(a)\\1', '(?P<x>a)(?P=x)', '(?=admin)', '(?<!x)admin']) {
    test(`${JSON.stringify(pattern)} is refused at evaluation (500 unsupported_regex)`, () => {
      const rules = anyOneOf(pattern);
      const mapping = compileMapping(rules); // does not throw
      const error = evaluate(rules, { CN: 'x', OU: 'aa' });
      assert.ok(error instanceof MappingError);
      assert.equal(error.status, 500);
      assert.equal(error.reason, 'unsupported_regex');
      assert.equal(error.keystoneClass, 'UnexpectedError');
      assert.match(error.detail ?? '', /linear-time/);
      // Only requests that reach the requirement fail.
      assert.throws(
        () => mapping.evaluate({ OU: 'aa' }),
        (e: unknown) => e instanceof MappingError && e.reason === 'no_matching_rule',
      );
      assert.ok(mappingWarnings(rules).some((w) => w.code === 'unsupported_regex'));
    });
  }

  test('an invalid pattern fails with 500 invalid_regex, Python wording in detail', () => {
    const error = evaluate(anyOneOf('(unclosed'), { CN: 'x', OU: 'a' });
    assert.ok(error instanceof MappingError);
    assert.equal(error.status, 500);
    assert.equal(error.reason, 'invalid_regex');
    assert.equal(error.pythonClass, 're.error');
    assert.equal(error.detail, 'missing ), unterminated subpattern at position 0');
  });

  test('a non-string pattern is a 400 (TypeError)', () => {
    const rules = [{ local: [{ user: { name: 'x' } }], remote: [{ type: 'OU', any_one_of: [5], regex: true }] }];
    const error = evaluate(rules, { OU: 'a' });
    assert.ok(error instanceof MappingError);
    assert.equal(error.status, 400);
    assert.equal(error.keystoneClass, 'ValidationError');
  });

  test('Python dialect: search semantics, inline flags, named groups, $ before a final newline', () => {
    const matches = (pattern: string, value: string): boolean =>
      !(evaluate(anyOneOf(pattern), { CN: 'x', OU: value }) instanceof MappingError);
    assert.equal(matches('admin', 'sysadmin-readonly'), true);
    assert.equal(matches('^admin$', 'sysadmin'), false);
    assert.equal(matches('(?i)admin', 'ADMIN'), true);
    assert.equal(matches('admin', 'ADMIN'), false);
    assert.equal(matches('(?P<role>adm)in', 'admin'), true);
    assert.equal(matches('^admin$', 'admin\n'), true);
    assert.equal(matches('^admin\\Z', 'admin\n'), false);
    assert.equal(matches('\\Aadm', 'xadm'), false);
  });
});
