import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { GUIDE_HAPROXY_HEADERS, apacheEnv, haproxyHeaders, idpId, issuerDn } from '../../libs/x509/src';
import { TestPki } from '../support/pki';
import { startTestRegistry, type TestRegistry } from '../support/registry';
import { SERVICE_SCOPE, recordServiceWorld } from '../support/service-world';
import { until } from '../support/wait';

/**
 * Authorize remembers decisions per exact body while the index stands
 * still. These are the ways a remembered answer could go wrong: a change
 * it would hide, a caller it would skip, a body it would not re-check, or
 * an identity that is not in the body at all.
 */
describe('the same authorize body, asked again', () => {
  const pki = new TestPki();
  let reg: TestRegistry;
  let glance: string;
  let stranger: string;

  before(async () => {
    pki.ca('root', '/DC=com/DC=somedemo/O=openstack/CN=Root CA');
    pki.ca('other', '/DC=org/DC=elsewhere/CN=Other CA');
    glance = pki.pem(pki.client('glance', '/DC=com/DC=somedemo/O=Default/CN=glance', 'root'));
    stranger = pki.pem(pki.client('stranger', '/DC=org/DC=elsewhere/O=Default/CN=glance', 'other'));
    // This process is the trusted proxy.
    reg = await startTestRegistry({ env: { TRUSTED_PROXIES: '127.0.0.1/32,::1' } });
    await recordServiceWorld((m, p, b) => reg.call(m, p, b), issuerDn(glance, 'apache'), idpId(glance, 'apache'));
    assert.equal((await reg.call('POST', '/v3/roles', { role: { id: 'r-extra', name: 'extra' } })).status, 201);
  });
  after(async () => reg?.stop());

  const body = () => JSON.stringify({ env: apacheEnv(glance), headers: SERVICE_SCOPE });
  const ask = () => reg.call('POST', '/v1/authorize', body());

  test('every change shows in the next answer to the very same bytes', async () => {
    const first = await ask();
    assert.deepEqual(first.body.auth_context.roles, ['member']);
    assert.deepEqual((await ask()).body, first.body, 'unchanged index, same answer');

    const grant = await reg.call('PUT', '/v3/projects/p-service/users/u-glance/roles/r-extra');
    assert.equal(grant.status, 204);
    const granted = await ask();
    assert.deepEqual(granted.body.auth_context.roles, ['extra', 'member']);
    assert.ok(granted.body.position > first.body.position);
    assert.equal(granted.headers.get('x-registry-position'), String(granted.body.position));

    assert.equal((await reg.call('PATCH', '/v3/users/u-glance', { user: { enabled: false } })).status, 200);
    try {
      // Keystone answers a disabled local user with its 500 (a quirk the registry keeps).
      const disabled = await ask();
      assert.equal(disabled.body.error.reason, 'user_disabled', JSON.stringify(disabled.body));
      const again = await ask();
      assert.equal(again.status, disabled.status);
      assert.deepEqual(again.body, disabled.body);
    } finally {
      assert.equal((await reg.call('PATCH', '/v3/users/u-glance', { user: { enabled: true } })).status, 200);
    }
    assert.equal((await reg.call('DELETE', '/v3/projects/p-service/users/u-glance/roles/r-extra')).status, 204);
    assert.deepEqual((await ask()).body.auth_context.roles, ['member']);
  });

  test('a remembered refusal still says how to authenticate', async () => {
    const unknown = JSON.stringify({ env: { ...apacheEnv(glance), SSL_CLIENT_I_DN: 'CN=Nobody' }, headers: SERVICE_SCOPE });
    for (let i = 0; i < 2; i++) {
      const res = await reg.call('POST', '/v1/authorize', unknown);
      assert.equal(res.status, 401);
      assert.equal(res.body.error.reason, 'untrusted_issuer');
      assert.match(res.headers.get('www-authenticate') ?? '', /^Keystone uri=/);
    }
  });

  test('the caller is checked on every call, whatever was answered before', async () => {
    assert.equal((await ask()).status, 200);
    const noToken = await fetch(`${reg.url}/v1/authorize`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: body() });
    assert.equal(noToken.status, 401);
    const wrongToken = await reg.call('POST', '/v1/authorize', body(), { 'X-Auth-Token': 'not-a-token' });
    assert.equal(wrongToken.status, 401);
    assert.equal(wrongToken.body.error.reason, 'token_invalid');
  });

  test('bodies that must be refused are refused every time', async () => {
    const surrogate = '{"env": {"SSL_CLIENT_I_DN": "x\\ud800"}, "headers": {}}';
    const poisoned = '{"env": {}, "headers": {}, "__proto__": {"x": 1}}';
    for (let i = 0; i < 2; i++) {
      const a = await reg.call('POST', '/v1/authorize', surrogate);
      assert.equal(a.status, 400);
      assert.equal(a.body.error.reason, 'invalid_unicode');
      const b = await reg.call('POST', '/v1/authorize', poisoned);
      assert.equal(b.status, 400);
      const c = await reg.call('POST', '/v1/authorize', '{"env": ');
      assert.equal(c.status, 400);
    }
  });

  test('a body without attributes is decided by each request\'s own certificate headers', async () => {
    // The same bytes, from a trusted proxy, first for glance and then for a stranger.
    const scopeOnly = JSON.stringify({ headers: SERVICE_SCOPE });
    const viaProxy = (pem: string) => {
      const all = haproxyHeaders(pem);
      const headers = Object.fromEntries(GUIDE_HAPROXY_HEADERS.map((name) => [name, all[name]]));
      return reg.call('POST', '/v1/authorize', scopeOnly, headers);
    };
    // The proxy's headers name the issuer as HAProxy does; trust that form too.
    const issuer = issuerDn(glance, 'haproxy');
    const idp = idpId(glance, 'haproxy');
    for (const [method, path, b] of [
      ['POST', '/v1/tokenless/trusted_issuers', { issuer }],
      ['PUT', `/v3/OS-FEDERATION/identity_providers/${idp}`, { identity_provider: { domain_id: 'default' } }],
      ['PUT', `/v3/OS-FEDERATION/identity_providers/${idp}/protocols/x509`, { protocol: { mapping_id: 'x509_local' } }],
    ] as const) {
      assert.ok((await reg.call(method, path, b)).status < 300, path);
    }
    const mine = await viaProxy(glance);
    assert.equal(mine.status, 200, JSON.stringify(mine.body));
    const theirs = await viaProxy(stranger);
    assert.equal(theirs.status, 401, JSON.stringify(theirs.body));
    assert.equal(theirs.body.error.reason, 'untrusted_issuer');
    assert.equal((await viaProxy(glance)).status, 200);
  });
});

describe('UTF-8 in headers', () => {
  const pki = new TestPki();
  let reg: TestRegistry;
  let cert: string;

  before(async () => {
    pki.ca('unicode', '/O=Müller GmbH/CN=Zürich CA 🚀');
    cert = pki.pem(pki.client('svc', '/O=Default/CN=glance', 'unicode'));
    reg = await startTestRegistry({ env: { TRUSTED_PROXIES: '127.0.0.1/32,::1' }, withWorker: true });
    // The issuer as HAProxy writes it, and its identity provider.
    const issuer = issuerDn(cert, 'haproxy');
    assert.match(issuer, /Zürich CA 🚀/);
    await recordServiceWorld((m, p, b) => reg.call(m, p, b), issuer, idpId(cert, 'haproxy'));
  });
  after(async () => reg?.stop());

  /** What goes on the wire: the UTF-8 bytes, which fetch takes one per character. */
  const wire = (text: string) => Buffer.from(text, 'utf8').toString('latin1');

  test("a trusted proxy's certificate headers carry UTF-8 DNs", async () => {
    const all = haproxyHeaders(cert);
    const headers = Object.fromEntries(GUIDE_HAPROXY_HEADERS.map((name) => [name, wire(all[name])]));
    const res = await reg.call('POST', '/v1/authorize', JSON.stringify({ headers: SERVICE_SCOPE }), headers);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual(res.body.auth_context.roles, ['member']);
  });

  test('a change reason in UTF-8 is recorded as written', async () => {
    const reason = 'ticket OPS-42 — Überprüfung';
    const res = await reg.call('PATCH', '/v3/projects/p-service', { project: { description: 'x' } }, { 'X-Change-Reason': wire(reason) });
    assert.equal(res.status, 200);
    const position = Number(res.headers.get('x-registry-position'));
    await until(async () => (await reg.call('GET', '/v1/history/project/p-service')).body.projected_through >= position);
    const history = (await reg.call('GET', '/v1/history/project/p-service')).body.history;
    assert.equal(history.at(-1).reason, reason);
  });
});
