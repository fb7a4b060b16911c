import assert from 'node:assert/strict';
import { request } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createTestDatabase, onServer, type TestDatabase } from '../support/db';
import { startServeProcess, type ServedRegistry } from '../support/serve';

const TOKEN = 'forward-auth-log-test-token';

function getFrom(localAddress: string, url: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers, localAddress }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.once('error', reject);
    req.end();
  });
}

/**
 * The served registry's own log (a real `tokenless serve` process): refused
 * decisions carry decision and reason, ignored certificate headers are
 * warned about, and the token never appears.
 */
describe('forward-auth decisions in the log of a served registry', async () => {
  const server = await onServer();
  let db: TestDatabase;
  let served: ServedRegistry | undefined;
  const output = () => served?.output() ?? '';
  let url: string;

  before(async () => {
    if (!server) return;
    db = await createTestDatabase();
    served = await startServeProcess(db.url, {
      TRUSTED_PROXIES: '127.0.0.2/32',
      REGISTRY_ADMIN_TOKEN: TOKEN,
    });
    url = `${served.url}/v1/authorize`;
  });

  after(async () => {
    await served?.stop();
    await db?.drop();
  });

  const lines = () => served?.lines() ?? [];

  test('untrusted peer: headers ignored with a warning, refusal logged; trusted peer: forwarded client address', { skip: !server && 'needs the PostgreSQL server' }, async () => {
    const spoof = { 'X-SSL-Issuer': '/CN=Root', 'X-SSL-Client-CN': 'glance', 'X-Project-Id': 'p', 'X-Auth-Token': TOKEN };
    assert.equal(await getFrom('127.0.0.1', url, spoof), 401);
    assert.equal(await getFrom('127.0.0.2', url, { ...spoof, 'X-Forwarded-For': '198.51.100.7, 203.0.113.9' }), 401);
    // The request line is written when the answer has gone; wait for both.
    while (lines().filter((l) => l.path === '/v1/authorize').length < 2) await new Promise((r) => setTimeout(r, 20));

    const logged = lines();
    const warning = logged.find((l) => /not a trusted proxy/.test(String(l.msg ?? '')));
    assert.ok(warning, output());
    assert.equal(warning.level, 40);
    assert.equal(warning.peer, '127.0.0.1');
    assert.deepEqual(warning.headers, ['x-ssl-client-cn', 'x-ssl-issuer']);

    const [direct, proxied] = logged.filter((l) => l.path === '/v1/authorize');
    // The request line has the shape of every other line.
    for (const line of [direct, proxied]) {
      assert.equal(line.msg, 'request');
      assert.equal(line.level, 30);
      assert.equal(line.service, 'tokenless-registry');
      assert.match(String(line.time), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      assert.match(String(line.req_id), /^req-/);
    }
    assert.equal(direct.decision, 'refused');
    assert.equal(direct.reason, 'no_certificate');
    assert.equal(direct.status, 401);
    assert.equal(direct.client_address, '127.0.0.1');
    // From the trusted proxy the headers are believed; no issuer is trusted yet.
    assert.equal(proxied.decision, 'refused');
    assert.equal(proxied.reason, 'no_trusted_issuers');
    assert.equal(proxied.certificate_source, 'proxy');
    assert.equal(proxied.client_address, '203.0.113.9');

    assert.ok(!output().includes(TOKEN), 'the token is never logged');
  });
});
