import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { GUIDE_HAPROXY_HEADERS, apacheEnv, haproxyHeaders, idpId, issuerDn } from '../../libs/x509/src';
import { TestPki } from '../support/pki';
import { startTestRegistry, type TestRegistry } from '../support/registry';
import { SERVICE_SCOPE, recordServiceWorld } from '../support/service-world';

/** The names BR-28 sends through a forward-auth header, and what the header must carry. */
const NAMES: Array<[cn: string, name: string, header: string]> = [
  ['n-ascii', 'glance-svc', 'glance-svc'],
  ['n-latin1', 'José', 'Jos%C3%A9'],
  ['n-cyrillic', 'Сервис', '%D0%A1%D0%B5%D1%80%D0%B2%D0%B8%D1%81'],
  ['n-cjk', '山田', '%E5%B1%B1%E7%94%B0'],
  ['n-crlf', 'alice\r\nX-Auth-Roles: admin', 'alice%0D%0AX-Auth-Roles%3A%20admin'],
  ['n-tab', 'a\tb', 'a%09b'],
  ['n-percent', '100%', '100%25'],
];

describe('authorize from a certificate, and forward-auth from a trusted proxy', () => {
  const pki = new TestPki();
  let reg: TestRegistry;
  let glance: string;
  let stranger: string;
  let haproxyIssuer: string;

  before(async () => {
    pki.ca('root', '/DC=com/DC=somedemo/O=openstack/OU=keystone/CN=Root CA');
    pki.ca('intermediate', '/DC=com/DC=somedemo/O=openstack/OU=keystone/CN=Intermediate CA', 'root');
    pki.ca('other', '/DC=org/DC=elsewhere/O=other/CN=Other CA');
    glance = pki.pem(pki.client('glance', '/DC=com/DC=somedemo/O=Default/OU=keystone/CN=glance', 'intermediate'));
    stranger = pki.pem(pki.client('stranger', '/DC=org/DC=elsewhere/O=Default/CN=glance', 'other'));
    // This process is the trusted proxy: it sends what HAProxy would.
    reg = await startTestRegistry({ env: { TRUSTED_PROXIES: '127.0.0.1/32,::1' } });
    await recordServiceWorld((m, p, b) => reg.call(m, p, b), issuerDn(glance, 'apache'), idpId(glance, 'apache'));
    // The same CA as HAProxy names it: a second trusted issuer and identity provider, same mapping.
    haproxyIssuer = issuerDn(glance, 'haproxy');
    const haproxyIdp = idpId(glance, 'haproxy');
    for (const [method, path, body] of [
      ['POST', '/v1/tokenless/trusted_issuers', { issuer: haproxyIssuer }],
      ['PUT', `/v3/OS-FEDERATION/identity_providers/${haproxyIdp}`, { identity_provider: { domain_id: 'default' } }],
      ['PUT', `/v3/OS-FEDERATION/identity_providers/${haproxyIdp}/protocols/x509`, { protocol: { mapping_id: 'x509_local' } }],
      // Trusted, with an identity provider but no protocol: Keystone's 404.
      ['POST', '/v1/tokenless/trusted_issuers', { issuer: '/CN=No Protocol CA' }],
    ] as const) {
      const res = await reg.call(method, path, body);
      assert.ok(res.status < 300, `${method} ${path}: ${JSON.stringify(res.body)}`);
    }
  });

  after(async () => {
    await reg?.stop();
  });

  const post = (body: unknown) => reg.call('POST', '/v1/authorize', body);
  /** The headers the guide's HAProxy frontend adds for `pem`. */
  const proxyHeaders = (pem: string): Record<string, string> => {
    const all = haproxyHeaders(pem);
    return Object.fromEntries(GUIDE_HAPROXY_HEADERS.map((name) => [name, all[name]]));
  };
  const forward = (headers: Record<string, string>, method = 'GET', path = '/v1/authorize', body?: string) =>
    fetch(reg.url + path, { method, headers, body });

  describe('POST /v1/authorize with a certificate', () => {
    test('apache: the same answer as the env Apache would have passed', async () => {
      const fromCert = await post({ certificate: glance, terminator: 'apache', headers: SERVICE_SCOPE });
      const fromEnv = await post({ env: apacheEnv(glance), headers: SERVICE_SCOPE });
      assert.equal(fromCert.status, 200, JSON.stringify(fromCert.body));
      assert.deepEqual(fromCert.body.auth_context, { user_id: 'u-glance', is_delegated_auth: false, project_id: 'p-service', roles: ['member'] });
      assert.deepEqual(fromCert.body.auth_context, fromEnv.body.auth_context);
    });

    test('haproxy: the old-style issuer DN leads to the HAProxy identity provider', async () => {
      const res = await post({ certificate: glance, terminator: 'haproxy', headers: SERVICE_SCOPE });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.deepEqual(res.body.auth_context.roles, ['member']);
    });

    test('the terminator decides the issuer string: without its issuer trusted, a terminator is refused', async () => {
      const removed = await reg.call('DELETE', `/v1/tokenless/trusted_issuers/${encodeURIComponent(haproxyIssuer)}`);
      assert.ok(removed.status < 300, JSON.stringify(removed.body));
      try {
        const res = await post({ certificate: glance, terminator: 'haproxy', headers: SERVICE_SCOPE });
        assert.equal(res.status, 401);
        assert.equal(res.body.error.reason, 'untrusted_issuer');
        assert.equal((await post({ certificate: glance, terminator: 'apache', headers: SERVICE_SCOPE })).status, 200);
      } finally {
        await reg.call('POST', '/v1/tokenless/trusted_issuers', { issuer: haproxyIssuer });
      }
    });

    test('an issuer nobody trusts is 401', async () => {
      const res = await post({ certificate: stranger, terminator: 'apache', headers: SERVICE_SCOPE });
      assert.equal(res.status, 401);
      assert.equal(res.body.error.reason, 'untrusted_issuer');
    });

    test('bad input is a 400 with a stable reason', async () => {
      const key = pki.sh('cat glance.key');
      const cases: Array<[unknown, string]> = [
        [{ certificate: glance, terminator: 'apache', env: {} }, 'env_and_certificate'],
        [{ certificate: glance, terminator: 'nginx' }, 'unknown_terminator'],
        [{ certificate: glance }, 'terminator_missing'],
        [{ env: apacheEnv(glance), terminator: 'apache' }, 'terminator_without_certificate'],
        [{ certificate: 'not a certificate', terminator: 'apache' }, 'invalid_certificate'],
        [{ certificate: key, terminator: 'haproxy' }, 'invalid_certificate'],
        [{ certificate: glance.replace(/[A-Za-z0-9+/]{10}\n/, '!!!!\n'), terminator: 'apache' }, 'invalid_certificate'],
        [{ certificate: 42, terminator: 'apache' }, 'invalid_body'],
      ];
      for (const [body, reason] of cases) {
        const res = await post(body);
        assert.equal(res.status, 400, `${reason}: ${JSON.stringify(res.body)}`);
        assert.equal(res.body.error.reason, reason);
      }
    });
  });

  describe('GET /v1/authorize (forward-auth) with a trusted proxy\'s headers', () => {
    test('200 with the identity in headers, for GET, HEAD and any method below the prefix; no token needed', async () => {
      const headers = { ...proxyHeaders(glance), ...SERVICE_SCOPE };
      // Bodies the gateway passes along are not parsed, whatever their type; the next request on
      // the same keep-alive connection still parses cleanly.
      for (const [method, path, type, body] of [
        ['GET', '/v1/authorize'],
        ['HEAD', '/v1/authorize'],
        ['DELETE', '/v1/authorize/api/servers/1', 'application/xml', '<server id="1"/>'],
        ['POST', '/v1/authorize/api/servers', 'application/json', '{"server": '],
        ['PUT', '/v1/authorize', 'text/plain', 'x'.repeat(10000)],
        ['GET', '/v1/authorize'],
      ]) {
        const res = await forward(type ? { ...headers, 'content-type': type } : headers, method, path, body);
        assert.equal(res.status, 200, `${method} ${path}`);
        assert.equal(res.headers.get('x-auth-user-id'), 'u-glance');
        assert.equal(res.headers.get('x-auth-user-name'), 'glance');
        assert.equal(res.headers.get('x-auth-project-id'), 'p-service');
        assert.equal(res.headers.get('x-auth-roles'), 'member');
        assert.equal(res.headers.get('x-auth-user-type'), 'local');
        const text = await res.text();
        if (method === 'HEAD') assert.equal(text, '');
        else assert.equal(JSON.parse(text).decision, 'granted');
      }
    });

    test('refusals are only 401 or 403, with the reason in a header and the body, and no identity headers', async () => {
      const glanceHeaders = proxyHeaders(glance);
      const cases: Array<[string, Record<string, string>, number, string]> = [
        ['no certificate headers', { ...SERVICE_SCOPE }, 401, 'no_certificate'],
        ['no certificate at the proxy', { ...glanceHeaders, 'x-ssl-issuer': '', 'x-ssl-client-cn': '', ...SERVICE_SCOPE }, 401, 'issuer_attribute_missing'],
        ['unknown issuer', { ...proxyHeaders(stranger), ...SERVICE_SCOPE }, 401, 'untrusted_issuer'],
        ['the proxy could not verify the certificate', { ...glanceHeaders, 'x-ssl-client-verify': '21', ...SERVICE_SCOPE }, 401, 'certificate_untrusted'],
        ['trusted issuer without protocol', { ...glanceHeaders, 'x-ssl-issuer': '/CN=No Protocol CA', ...SERVICE_SCOPE }, 403, 'no_mapping'],
        ['the mapped user does not exist', { ...glanceHeaders, 'x-ssl-client-cn': 'nova', ...SERVICE_SCOPE }, 403, 'user_not_found'],
        ['no scope', { ...glanceHeaders }, 403, 'scope_missing'],
        ['unknown project', { ...glanceHeaders, 'X-Project-Id': 'nope' }, 401, 'scope_invalid'],
      ];
      for (const [name, headers, status, reason] of cases) {
        const res = await forward(headers);
        const body: any = await res.json();
        assert.equal(res.status, status, `${name}: ${JSON.stringify(body)}`);
        assert.equal(res.headers.get('x-auth-refused-reason'), reason, name);
        assert.equal(body.error.reason, reason, name);
        assert.equal(res.headers.get('x-auth-user-id'), null, name);
        assert.equal(res.headers.get('x-auth-roles'), null, name);
      }
    });

    test('a user without a role on the scope is 403 no_roles', async () => {
      assert.equal((await reg.call('POST', '/v3/projects', { project: { id: 'p-empty', name: 'empty', domain_id: 'default' } })).status, 201);
      const res = await forward({ ...proxyHeaders(glance), 'X-Project-Id': 'p-empty' });
      assert.equal(res.status, 403);
      assert.equal(res.headers.get('x-auth-refused-reason'), 'no_roles');
    });

    test('every identity header is visible ASCII; names round-trip through decodeURIComponent (BR-28)', async () => {
      const rules = NAMES.map(([cn, name]) => ({
        local: [{ user: { name, domain: { name: 'Default' }, type: 'local' } }],
        remote: [{ type: 'SSL_CLIENT_S_DN_CN', any_one_of: [cn] }],
      }));
      assert.ok((await reg.call('PUT', '/v3/OS-FEDERATION/mappings/names', { mapping: { rules } })).status < 300);
      const idp = idpId(glance, 'haproxy');
      assert.equal((await reg.call('PATCH', `/v3/OS-FEDERATION/identity_providers/${idp}/protocols/x509`, { protocol: { mapping_id: 'names' } })).status, 200);
      try {
        for (const [cn, name, expected] of NAMES) {
          const created = await reg.call('POST', '/v3/users', { user: { name, domain_id: 'default' } });
          assert.equal(created.status, 201, JSON.stringify(created.body));
          const id = created.body.user.id;
          assert.equal((await reg.call('PUT', `/v3/projects/p-service/users/${id}/roles/r-member`)).status, 204);
          const res = await forward({ ...proxyHeaders(glance), 'x-ssl-client-cn': cn, ...SERVICE_SCOPE });
          assert.equal(res.status, 200, `${cn}: ${await res.clone().text()}`);
          assert.equal(res.headers.get('x-auth-user-name'), expected, cn);
          assert.equal(decodeURIComponent(res.headers.get('x-auth-user-name')!), name);
          assert.equal(res.headers.get('x-auth-roles'), 'member', `${cn}: the CRLF name adds no header`);
          for (const [header, value] of res.headers) assert.match(value, /^[\x20-\x7e]*$/, header);
        }
      } finally {
        await reg.call('PATCH', `/v3/OS-FEDERATION/identity_providers/${idp}/protocols/x509`, { protocol: { mapping_id: 'x509_local' } });
      }
    });
  });

  test('through a trusted proxy the client is the rightmost forwarded address, not the leftmost (BR-32)', async () => {
    const res = await reg.call('POST', '/v3/roles', { role: { id: 'r-xff', name: 'xff' } }, {
      'X-Forwarded-For': '198.51.100.7, 203.0.113.9',
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    const events = await reg.call('GET', '/v1/events?after=0&limit=1000');
    const recorded = events.body.events.find((e: any) => JSON.stringify(e).includes('r-xff'));
    assert.equal(recorded.metadata.client_address, '203.0.113.9');
  });
});
