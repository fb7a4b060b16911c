import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { configFromEnv, registryProjectFrom } from '../../apps/api/src/config';
import { idpIdForIssuer } from '../../libs/domain/src';
import { createTestDatabase, onServer, type TestDatabase } from '../support/db';
import { startTestRegistry, type Answer, type TestRegistry } from '../support/registry';
import { startServeProcess, type ServedRegistry } from '../support/serve';

/**
 * Registry rights from a client certificate's own tokenless roles on the
 * registry project. The certificate arrives as the guide's HAProxy headers
 * from a trusted proxy (loopback here); test/e2e/admin-certificate.test.ts
 * does the same over the registry's own TLS with the openstack CLI.
 */
const ISSUER = 'CN=Ops CA,O=example';
const UNTRUSTED = 'CN=Elsewhere CA,O=example';
const IDP = idpIdForIssuer(ISSUER);
const REGISTRY_SCOPE = { 'X-Project-Name': 'registry', 'X-Project-Domain-Name': 'Default' };

/** Local users for CN=ops-*, ephemeral users in group registry-admins for CN=robot-*. */
const RULES = [
  {
    local: [{ user: { name: '{0}', domain: { name: 'Default' }, type: 'local' } }],
    remote: [{ type: 'SSL_CLIENT_S_DN_CN', any_one_of: ['^ops-.*$'], regex: true }, { type: 'SSL_CLIENT_S_DN_CN' }],
  },
  {
    local: [{ user: { name: '{0}', type: 'ephemeral' }, group: { name: 'registry-admins', domain: { name: 'Default' } } }],
    remote: [{ type: 'SSL_CLIENT_S_DN_CN', any_one_of: ['^robot-.*$'], regex: true }, { type: 'SSL_CLIENT_S_DN_CN' }],
  },
];

/** The guide's HAProxy headers for a certificate named `cn` of `issuer`. */
function cert(cn: string, issuer = ISSUER): Record<string, string> {
  return { 'X-SSL-Issuer': issuer, 'X-SSL-Client-CN': cn, 'X-SSL-Client-O': 'example', 'X-SSL-Client-Verify': '0' };
}

/** A request without X-Auth-Token (the support's `call` adds the start-up admin token otherwise). */
async function bare(reg: TestRegistry, method: string, path: string, headers: Record<string, string>, body?: unknown): Promise<Answer> {
  const res = await fetch(reg.url + path, {
    method,
    headers: { ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text === '' ? null : JSON.parse(text) };
}

/** The world: project registry, users with each registry role, a group holding admin, a project elsewhere. */
async function recordWorld(call: (method: string, path: string, body?: unknown) => Promise<{ status: number; body: unknown }>) {
  const must = async (method: string, path: string, body?: unknown) => {
    const res = await call(method, path, body);
    assert.ok(res.status < 300, `${method} ${path}: ${res.status} ${JSON.stringify(res.body)}`);
  };
  await must('PUT', '/v1/tokenless', { trusted_issuer: [ISSUER], protocol: 'x509' });
  await must('PUT', `/v3/OS-FEDERATION/identity_providers/${IDP}`, { identity_provider: { domain_id: 'default' } });
  await must('PUT', '/v3/OS-FEDERATION/mappings/registry_ops', { mapping: { rules: RULES } });
  await must('PUT', `/v3/OS-FEDERATION/identity_providers/${IDP}/protocols/x509`, { protocol: { mapping_id: 'registry_ops' } });
  await must('POST', '/v3/projects', { project: { id: 'p-registry', name: 'registry', domain_id: 'default' } });
  await must('POST', '/v3/projects', { project: { id: 'p-service', name: 'service', domain_id: 'default' } });
  for (const role of ['admin', 'auditor', 'reader', 'member', 'manager']) await must('POST', '/v3/roles', { role: { id: `r-${role}`, name: role } });
  await must('PUT', '/v3/roles/r-manager/implies/r-admin');
  await must('POST', '/v3/groups', { group: { id: 'g-admins', name: 'registry-admins', domain_id: 'default' } });
  await must('PUT', '/v3/projects/p-registry/groups/g-admins/roles/r-admin');
  const grants: Array<[string, string[]]> = [
    ['ops-admin', []],
    ['ops-auditor', ['auditor']],
    ['ops-reader', ['reader', 'member']],
    ['ops-member', ['member']],
    ['ops-manager', ['manager']],
    ['ops-both', ['reader', 'auditor']],
    ['ops-nothing', []],
  ];
  for (const [name, roles] of grants) {
    await must('POST', '/v3/users', { user: { id: `u-${name}`, name, domain_id: 'default' } });
    for (const role of roles) await must('PUT', `/v3/projects/p-registry/users/u-${name}/roles/r-${role}`);
  }
  await must('PUT', '/v3/groups/g-admins/users/u-ops-admin');
  // Admin elsewhere only: a scope that is not the registry project gives nothing.
  await must('PUT', '/v3/projects/p-service/users/u-ops-reader/roles/r-admin');
  await must('PUT', '/v3/domains/default/users/u-ops-reader/roles/r-admin');
}

describe('REGISTRY_AUTH_PROJECT', () => {
  test('names the project as name@domain-name (split at the last @) or by id; unset turns the feature off', () => {
    assert.deepEqual(registryProjectFrom('registry@Default'), { name: 'registry', domainName: 'Default' });
    assert.deepEqual(registryProjectFrom(' ops@example.com@Default '), { name: 'ops@example.com', domainName: 'Default' });
    assert.deepEqual(registryProjectFrom('7c1d1a0e6f5c4c0f9e7f0e6b6b8a9d10'), { id: '7c1d1a0e6f5c4c0f9e7f0e6b6b8a9d10' });
    assert.equal(registryProjectFrom(undefined), undefined);
    assert.equal(registryProjectFrom(' '), undefined);
    assert.throws(() => registryProjectFrom('registry@'), /REGISTRY_AUTH_PROJECT: "registry@"/);
    assert.throws(() => registryProjectFrom('@Default'), /REGISTRY_AUTH_PROJECT/);
    assert.equal(configFromEnv({}).registryProject, undefined);
  });

  test('needs a way to see client certificates: TLS_CLIENT_CA or TRUSTED_PROXIES', () => {
    assert.throws(() => configFromEnv({ REGISTRY_AUTH_PROJECT: 'registry@Default' }), /needs TLS_CLIENT_CA or TRUSTED_PROXIES/);
    assert.throws(
      () => configFromEnv({ REGISTRY_AUTH_PROJECT: 'registry@Default', TLS_CERT: '/c.pem', TLS_KEY: '/k.pem' }),
      /needs TLS_CLIENT_CA or TRUSTED_PROXIES/,
    );
    assert.deepEqual(configFromEnv({ REGISTRY_AUTH_PROJECT: 'p-registry', TRUSTED_PROXIES: 'loopback' }).registryProject, { id: 'p-registry' });
    assert.ok(configFromEnv({ REGISTRY_AUTH_PROJECT: 'r@D', TLS_CERT: '/c', TLS_KEY: '/k', TLS_CLIENT_CA: '/ca' }).registryProject);
  });
});

describe('registry rights from a client certificate', () => {
  let reg: TestRegistry;
  const as = (cn: string, method: string, path: string, options: { body?: unknown; headers?: Record<string, string>; issuer?: string } = {}) =>
    bare(reg, method, path, { ...REGISTRY_SCOPE, ...cert(cn, options.issuer), ...options.headers }, options.body);

  before(async () => {
    reg = await startTestRegistry({ env: { TRUSTED_PROXIES: 'loopback', REGISTRY_AUTH_PROJECT: 'registry@Default' } });
    await recordWorld((m, p, b) => reg.call(m, p, b));
  });
  after(async () => {
    await reg?.stop();
  });

  test('admin through a group membership: writes, attributed to cert:<user>@<domain> with the request id and client address', async () => {
    const created = await as('ops-admin', 'POST', '/v3/domains', { body: { domain: { name: 'by-cert' } }, headers: { 'X-Change-Reason': 'certificate admin' } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const position = Number(created.headers.get('x-registry-position'));
    const log = await reg.call('GET', `/v1/events?after=${position - 1}&limit=1`);
    const [event] = log.body.events;
    assert.equal(event.type, 'DomainCreated');
    assert.deepEqual(event.metadata, {
      actor: 'cert:ops-admin@Default',
      actor_kind: 'certificate',
      request_id: created.headers.get('x-openstack-request-id'),
      reason: 'certificate admin',
      client_address: '127.0.0.1',
    });
  });

  test('an ephemeral user whose mapped group holds admin is recorded by its mapped name', async () => {
    const created = await as('robot-7', 'POST', '/v3/domains', { body: { domain: { name: 'by-robot' } } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const log = await reg.call('GET', `/v1/events?after=${Number(created.headers.get('x-registry-position')) - 1}&limit=1`);
    assert.equal(log.body.events[0].metadata.actor, 'cert:robot-7');
    assert.equal(log.body.events[0].metadata.actor_kind, 'certificate');
  });

  test('reader reads but may not write; auditor also reads the log; the highest role wins; implied roles count', async () => {
    assert.equal((await as('ops-reader', 'GET', '/v3/domains')).status, 200);
    const write = await as('ops-reader', 'POST', '/v3/domains', { body: { domain: { name: 'nope' } } });
    assert.equal(write.status, 403);
    assert.equal(write.body.error.reason, 'insufficient_role');
    assert.match(write.body.error.message, /needs the admin role/);
    const readerLog = await as('ops-reader', 'GET', '/v1/events');
    assert.equal(readerLog.status, 403);
    assert.match(readerLog.body.error.message, /needs the auditor role/);

    assert.equal((await as('ops-auditor', 'GET', '/v1/events')).status, 200);
    assert.equal((await as('ops-auditor', 'GET', '/v1/tokens')).status, 200);
    assert.equal((await as('ops-auditor', 'POST', '/v3/roles', { body: { role: { name: 'x' } } })).status, 403);
    assert.equal((await as('ops-both', 'GET', '/v1/events')).status, 200, 'reader and auditor: auditor');
    assert.equal((await as('ops-both', 'DELETE', '/v3/roles/r-member')).status, 403);
    // manager implies admin on the registry project: the auth context holds admin.
    const implied = await as('ops-manager', 'POST', '/v3/domains', { body: { domain: { name: 'by-manager' } } });
    assert.equal(implied.status, 201, JSON.stringify(implied.body));
  });

  test('authenticated but no registry role: 403 insufficient_role (other roles, another project, a domain scope)', async () => {
    for (const [cn, scope] of [
      ['ops-member', REGISTRY_SCOPE],
      ['ops-nothing', REGISTRY_SCOPE],
      ['ops-reader', { 'X-Project-Name': 'service', 'X-Project-Domain-Name': 'Default' }],
      ['ops-reader', { 'X-Project-Id': 'p-service' }],
      ['ops-reader', { 'X-Domain-Name': 'Default' }],
    ] as const) {
      const res = await bare(reg, 'GET', '/v3/domains', { ...scope, ...cert(cn) });
      assert.equal(res.status, 403, `${cn} ${JSON.stringify(scope)}: ${JSON.stringify(res.body)}`);
      assert.equal(res.body.error.reason, 'insufficient_role');
      assert.match(res.body.error.message, /needs the reader role/);
    }
    assert.equal((await bare(reg, 'GET', '/v3/domains', { 'X-Project-Id': 'p-registry', ...cert('ops-reader') })).status, 200);
  });

  test('no usable certificate identity: 401, with the tokenless refusal as reason', async () => {
    const cases: Array<[Record<string, string>, string]> = [
      [REGISTRY_SCOPE, 'token_missing'],
      [{ ...REGISTRY_SCOPE, ...cert('ops-admin', UNTRUSTED) }, 'untrusted_issuer'],
      [{ ...REGISTRY_SCOPE, ...cert('ops-admin'), 'X-SSL-Client-Verify': '20' }, 'certificate_untrusted'],
      [{ ...REGISTRY_SCOPE, ...cert('stranger') }, 'no_matching_rule'],
      [{ ...REGISTRY_SCOPE, ...cert('ops-ghost') }, 'user_not_found'],
      [cert('ops-admin'), 'scope_missing'],
      [{ 'X-Project-Name': 'registry', 'X-Project-Domain-Name': 'Nowhere', ...cert('ops-admin') }, 'scope_invalid'],
    ];
    for (const [headers, reason] of cases) {
      const res = await bare(reg, 'GET', '/v3/domains', headers);
      assert.equal(res.status, 401, `${reason}: ${JSON.stringify(res.body)}`);
      assert.equal(res.body.error.reason, reason);
      assert.equal(res.body.error.message, 'The request you have made requires authentication.');
      assert.match(res.headers.get('www-authenticate') ?? '', /^Keystone uri=/);
    }
  });

  test('an X-Auth-Token, when present, decides alone', async () => {
    const reader = await reg.call('POST', '/v1/tokens', { token: { name: 'dashboard', role: 'reader' } });
    const secret = reader.body.token.secret;
    const invalid = await as('ops-admin', 'GET', '/v3/domains', { headers: { 'X-Auth-Token': 'not-a-token' } });
    assert.equal(invalid.status, 401);
    assert.equal(invalid.body.error.reason, 'token_invalid');
    const lower = await as('ops-admin', 'POST', '/v3/domains', { body: { domain: { name: 'nope' } }, headers: { 'X-Auth-Token': secret } });
    assert.equal(lower.status, 403, 'the reader token, not the admin certificate');
    const higher = await as('ops-nothing', 'POST', '/v3/domains', { body: { domain: { name: 'by-token' } }, headers: { 'X-Auth-Token': 'test-admin-token' } });
    assert.equal(higher.status, 201);
    const log = await reg.call('GET', `/v1/events?after=${Number(higher.headers.get('x-registry-position')) - 1}&limit=1`);
    assert.equal(log.body.events[0].metadata.actor, 'admin-token');
    assert.equal(log.body.events[0].metadata.actor_kind, 'token');
  });

  test('POST /v1/authorize admits a certificate reader too (and decides for its own certificate)', async () => {
    const res = await as('ops-reader', 'POST', '/v1/authorize', { body: { headers: REGISTRY_SCOPE } });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual(res.body.auth_context.roles, ['member', 'reader']);
    const refused = await as('ops-member', 'POST', '/v1/authorize', { body: { headers: REGISTRY_SCOPE } });
    assert.equal(refused.status, 403);
    assert.equal(refused.body.error.reason, 'insufficient_role');
  });

  test('the registry project is looked up per request: renamed away, it admits no one', async () => {
    assert.equal((await reg.call('PATCH', '/v3/projects/p-registry', { project: { name: 'registry-old' } })).status, 200);
    const res = await bare(reg, 'GET', '/v3/domains', { 'X-Project-Id': 'p-registry', ...cert('ops-admin') });
    assert.equal(res.status, 403);
    assert.equal((await reg.call('PATCH', '/v3/projects/p-registry', { project: { name: 'registry' } })).status, 200);
    assert.equal((await bare(reg, 'GET', '/v3/domains', { 'X-Project-Id': 'p-registry', ...cert('ops-admin') })).status, 200);
  });
});

describe('certificates without REGISTRY_AUTH_PROJECT, and the project named by id', () => {
  let off: TestRegistry;
  let byId: TestRegistry;

  before(async () => {
    off = await startTestRegistry({ env: { TRUSTED_PROXIES: 'loopback' } });
    byId = await startTestRegistry({ env: { TRUSTED_PROXIES: 'loopback', REGISTRY_AUTH_PROJECT: 'p-registry' } });
    await recordWorld((m, p, b) => off.call(m, p, b));
    await recordWorld((m, p, b) => byId.call(m, p, b));
  });
  after(async () => {
    await off?.stop();
    await byId?.stop();
  });

  test('off: a certificate gives no rights, the answer is today\'s 401 token_missing', async () => {
    const res = await bare(off, 'GET', '/v3/domains', { ...REGISTRY_SCOPE, ...cert('ops-admin') });
    assert.equal(res.status, 401);
    assert.equal(res.body.error.reason, 'token_missing');
  });

  test('by id: the project with that id, whatever its name', async () => {
    assert.equal((await bare(byId, 'GET', '/v3/domains', { ...REGISTRY_SCOPE, ...cert('ops-reader') })).status, 200);
    assert.equal((await byId.call('PATCH', '/v3/projects/p-registry', { project: { name: 'renamed' } })).status, 200);
    const renamed = { 'X-Project-Name': 'renamed', 'X-Project-Domain-Name': 'Default' };
    assert.equal((await bare(byId, 'GET', '/v3/domains', { ...renamed, ...cert('ops-reader') })).status, 200);
    assert.equal((await bare(byId, 'GET', '/v3/domains', { 'X-Project-Id': 'p-service', ...cert('ops-reader') })).status, 403);
  });
});

/** A served registry's own log: a certificate caller's refusals carry decision, reason and cause, never a token. */
describe('certificate admission in the log of a served registry', async () => {
  const server = await onServer();
  const TOKEN = 'certificate-admin-log-test-token';
  let db: TestDatabase;
  let served: ServedRegistry | undefined;
  const output = () => served?.output() ?? '';
  let url: string;

  before(async () => {
    if (!server) return;
    db = await createTestDatabase();
    served = await startServeProcess(db.url, {
      TRUSTED_PROXIES: 'loopback',
      REGISTRY_AUTH_PROJECT: 'registry@Default',
      REGISTRY_ADMIN_TOKEN: TOKEN,
    });
    url = `${served.url}`;
    await recordWorld(async (method, path, body) => {
      const res = await fetch(url + path, {
        method,
        headers: { 'X-Auth-Token': TOKEN, ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      return { status: res.status, body: text };
    });
  });

  after(async () => {
    await served?.stop();
    await db?.drop();
  });

  /** The request line of the request with this id, once written. */
  const lineOf = async (requestId: string): Promise<Record<string, unknown>> => {
    for (let i = 0; i < 100; i++) {
      const line = served?.lines().find((l) => l.req_id === requestId && l.msg === 'request');
      if (line) return line;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`no log line for ${requestId}: ${output()}`);
  };
  const get = async (headers: Record<string, string>) => {
    const res = await fetch(`${url}/v3/domains`, { headers });
    await res.text();
    return { status: res.status, id: res.headers.get('x-openstack-request-id')! };
  };

  test('refused and admitted certificate callers, one line each', { skip: !server && 'needs a PostgreSQL server' }, async () => {
    const untrusted = await get({ ...REGISTRY_SCOPE, ...cert('ops-admin', UNTRUSTED) });
    assert.equal(untrusted.status, 401);
    const line401 = await lineOf(untrusted.id);
    assert.equal(line401.auth, 'certificate');
    assert.equal(line401.decision, 'refused');
    assert.equal(line401.reason, 'untrusted_issuer');
    assert.equal(line401.cause, 'untrusted_issuer');
    assert.equal(line401.certificate_source, 'proxy');
    assert.equal(line401.keystone_status, 401);
    assert.match(String(line401.detail), /Issuer is not trusted/);

    const wrongScope = await get({ 'X-Project-Id': 'p-service', ...cert('ops-reader') });
    assert.equal(wrongScope.status, 403);
    const line403 = await lineOf(wrongScope.id);
    assert.deepEqual(
      [line403.decision, line403.reason, line403.cause, line403.identity, line403.status],
      ['refused', 'insufficient_role', 'scope_not_registry_project', 'cert:ops-reader@Default', 403],
    );
    assert.match(String(line403.detail), /scope is project p-service, not the registry project p-registry/);

    const noRole = await get({ ...REGISTRY_SCOPE, ...cert('ops-member') });
    assert.equal((await lineOf(noRole.id)).cause, 'no_registry_role');
    assert.match(String((await lineOf(noRole.id)).detail), /Roles on the registry project: member/);

    const res = await fetch(`${url}/v3/domains`, { method: 'POST', headers: { ...REGISTRY_SCOPE, ...cert('ops-reader'), 'Content-Type': 'application/json' }, body: '{"domain": {"name": "x"}}' });
    assert.equal(res.status, 403);
    const lowRole = await lineOf(res.headers.get('x-openstack-request-id')!);
    assert.deepEqual([lowRole.cause, lowRole.identity], ['insufficient_role', 'cert:ops-reader@Default']);

    const admitted = await get({ ...REGISTRY_SCOPE, ...cert('ops-admin') });
    assert.equal(admitted.status, 200);
    const ok = await lineOf(admitted.id);
    assert.deepEqual([ok.actor, ok.auth, ok.certificate_source, ok.decision], ['cert:ops-admin@Default', 'certificate', 'proxy', undefined]);
    assert.ok(!output().includes(TOKEN), 'the admin token is never logged');
  });
});
