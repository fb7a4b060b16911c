import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { apacheEnv, idpId, issuerDn } from '../../libs/x509/src';
import { createTestDatabase, onServer, type TestDatabase } from '../support/db';
import { TestPki } from '../support/pki';
import { startServeProcess, type ServedRegistry } from '../support/serve';
import { SERVICE_SCOPE, recordServiceWorld } from '../support/service-world';
import { until } from '../support/wait';

const TOKEN = 'authorize-log-test-token';

/**
 * `POST /v1/authorize` is served outside the Nest application, without its
 * hooks, and writes its own request line as it answers. Every kind of answer
 * (decided, repeated from the decision cache, refused, unreadable) must still
 * leave exactly one line with the same fields as every other request's, and
 * carry the headers every answer carries; the token never appears.
 */
describe('authorize request lines in the log of a served registry', async () => {
  const server = await onServer();
  const skip = !server && 'needs the PostgreSQL server';
  const pki = new TestPki();
  let db: TestDatabase;
  let served: ServedRegistry | undefined;

  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(served!.url + path, {
      method,
      headers: { 'X-Auth-Token': TOKEN, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : null };
  };

  /** The one request line whose req_id the answer named. */
  const lineOf = async (answer: { headers: Headers }) => {
    const id = answer.headers.get('x-openstack-request-id');
    assert.match(id ?? '', /^req-[0-9a-f-]{36}$/);
    let found: Record<string, unknown>[] = [];
    await until(async () => (found = served!.lines().filter((l) => l.msg === 'request' && l.req_id === id)).length > 0);
    assert.equal(found.length, 1, 'one line per request');
    return found[0];
  };

  let glance: string;
  before(async () => {
    if (!server) return;
    pki.ca('root', '/DC=com/DC=somedemo/O=openstack/CN=Root CA');
    glance = pki.pem(pki.client('glance', '/DC=com/DC=somedemo/O=Default/CN=glance', 'root'));
    db = await createTestDatabase();
    served = await startServeProcess(db.url, { REGISTRY_ADMIN_TOKEN: TOKEN });
    await recordServiceWorld((m, p, b) => call(m, p, b), issuerDn(glance, 'apache'), idpId(glance, 'apache'));
  });

  after(async () => {
    await served?.stop();
    await db?.drop();
  });

  test('a decision and its repeat from the cache log the same fields', { skip }, async () => {
    const body = JSON.stringify({ env: apacheEnv(glance), headers: SERVICE_SCOPE });
    const first = await call('POST', '/v1/authorize', body);
    const again = await call('POST', '/v1/authorize', body);
    assert.equal(first.status, 200, JSON.stringify(first.body));
    assert.deepEqual(again.body, first.body);
    for (const answer of [first, again]) {
      assert.equal(answer.headers.get('vary'), 'X-Auth-Token');
      assert.equal(answer.headers.get('x-registry-position'), String(first.body.position));
    }
    const [a, b] = [await lineOf(first), await lineOf(again)];
    assert.notEqual(a.req_id, b.req_id);
    for (const line of [a, b]) {
      assert.equal(line.level, 30);
      assert.equal(line.service, 'tokenless-registry');
      assert.equal(typeof line.time, 'string');
      assert.equal(typeof line.ms, 'number');
      assert.ok((line.ms as number) >= 0);
    }
    const fields = (l: Record<string, unknown>) => {
      const { req_id: _id, time: _time, ms: _ms, ...rest } = l;
      return rest;
    };
    assert.deepEqual(fields(b), fields(a));
    assert.deepEqual(Object.keys(b), Object.keys(a), 'in the same order');
    assert.deepEqual(fields(a), {
      level: 30,
      service: 'tokenless-registry',
      method: 'POST',
      path: '/v1/authorize',
      status: 200,
      client: '127.0.0.1',
      actor: 'admin-token',
      decision: 'granted',
      user_type: 'local',
      idp_id: idpId(glance, 'apache'),
      msg: 'request',
    });
  });

  test('refusals, repeated or not, log the decision and its reason once', { skip }, async () => {
    const body = JSON.stringify({ env: { ...apacheEnv(glance), SSL_CLIENT_I_DN: 'CN=Nobody' }, headers: SERVICE_SCOPE });
    for (let i = 0; i < 2; i++) {
      const res = await call('POST', '/v1/authorize?verbose=1', body);
      assert.equal(res.status, 401);
      const line = await lineOf(res);
      assert.equal(line.path, '/v1/authorize', 'without the query');
      assert.equal(line.status, 401);
      assert.equal(line.decision, 'refused');
      assert.equal(line.reason, 'untrusted_issuer');
      // JSON.parse keeps the last of repeated keys; the written line must not repeat any.
      const raw = served!.output().split('\n').find((l) => l.includes(String(line.req_id)))!;
      assert.equal(raw.match(/"status":/g)?.length, 1, raw);
    }
  });

  test('unreadable bodies and a wrong token are logged with their reasons', { skip }, async () => {
    const malformed = await call('POST', '/v1/authorize', '{"env": ');
    assert.equal(malformed.status, 400);
    assert.equal(malformed.headers.get('vary'), 'X-Auth-Token');
    const line = await lineOf(malformed);
    assert.equal(line.status, 400);
    assert.equal(line.decision, 'refused');
    assert.equal(line.reason, malformed.body.error.reason);

    const res = await fetch(`${served!.url}/v1/authorize`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'X-Auth-Token': 'not-the-token' },
      body: JSON.stringify({ env: apacheEnv(glance), headers: SERVICE_SCOPE }),
    });
    assert.equal(res.status, 401);
    const refused = await lineOf(res);
    assert.equal(refused.decision, 'refused');
    assert.equal(refused.reason, 'token_invalid');
    assert.equal(refused.actor, undefined);
    assert.ok(!served!.output().includes('not-the-token'), 'no token in the log');
    assert.ok(!served!.output().includes(TOKEN), 'no token in the log');
  });

  test('a NUL in the URL is refused like on every other route', { skip }, async () => {
    const res = await call('POST', '/v1/authorize?x=%00', JSON.stringify({ env: apacheEnv(glance), headers: SERVICE_SCOPE }));
    assert.equal(res.status, 400);
    assert.equal(res.body.error.reason, 'invalid_unicode');
    const line = await lineOf(res);
    assert.equal(line.reason, 'invalid_unicode');
  });
});
