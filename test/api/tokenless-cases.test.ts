import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { loadCases } from '../support/fixtures';
import { startTestRegistry } from '../support/registry';
import { loadWorld, sortedContext } from '../support/world';

const PYTHON_BUILTINS = ['KeyError', 'TypeError', 'ValueError', 'AssertionError', 're.error', 'AttributeError', 'IndexError'];

/**
 * Every tokenless case Keystone was run on: the case's world is recorded
 * through the HTTP API on a fresh database, then its request is authorized.
 */
describe('tokenless cases, loaded over HTTP, answer as Keystone did', () => {
  for (const { name, data: kase } of loadCases('tokenless')) {
    test(name, async () => {
      const reg = await startTestRegistry();
      try {
        await loadWorld(reg, kase);
        const res = await reg.call('POST', '/v1/authorize', kase.request);
        const exp = kase.expected;
        if (exp.outcome === 'authenticated') {
          assert.equal(res.status, 200, JSON.stringify(res.body));
          assert.deepEqual(sortedContext(res.body.auth_context), sortedContext(exp.auth_context));
          assert.equal(typeof res.body.position, 'number');
        } else if (exp.outcome === 'unauthenticated') {
          assert.equal(res.status, exp.protected_api_status, JSON.stringify(res.body));
          assert.match(res.body.error.reason, /^[a-z_]+$/);
        } else {
          assert.equal(res.status, exp.http_status, JSON.stringify(res.body));
          assert.equal(res.body.error.title, exp.title);
          assert.match(res.body.error.reason, /^[a-z_]+$/);
          // Keystone's own messages must match; Python built-ins' wording is implementation detail.
          if (!PYTHON_BUILTINS.includes(exp.exception) || exp.http_status === 500) {
            assert.equal(res.body.error.message, exp.message);
          }
        }
      } finally {
        await reg.stop();
      }
    });
  }
});
