import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { idpId, issuerDn } from '../../libs/x509/src';
import { curl } from '../support/curl';
import { TestPki } from '../support/pki';
import { ADMIN_TOKEN, startTestRegistry, type TestRegistry } from '../support/registry';
import type { HistoryEntry } from '../support/api-types';

/**
 * Admin by certificate, end to end: the registry terminates TLS itself with
 * REGISTRY_AUTH_PROJECT set, and Debian's `openstack` CLI authenticates with
 * keystoneauth's v3tokenlessauth plugin (a client certificate plus the scope
 * headers, no token). Whatever the certificate's own tokenless auth context
 * holds on the registry project is what the CLI may do.
 */
const CLI = 'openstack';
const available = spawnSync(CLI, ['--version'], { encoding: 'utf8' }).status === 0;
const inCi = process.env.CI === '1' || process.env.CI === 'true';
const skip = !available && !inCi ? `${CLI} not found; install python3-openstackclient to run this test` : false;

/** Certificates name local users of domain Default by their CN. */
const LOCAL_BY_CN = [
  { local: [{ user: { name: '{0}', domain: { name: 'Default' }, type: 'local' } }], remote: [{ type: 'SSL_CLIENT_S_DN_CN' }] },
];

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

describe('the openstack CLI administering the registry with a client certificate (v3tokenlessauth)', { skip }, () => {
  const pki = new TestPki();
  let reg: TestRegistry;

  /** A request with the start-up admin token, over the registry's TLS. */
  const admin = async (method: string, path: string, body?: unknown) => {
    const res = await curl(reg.url + path, { method, body, cacert: pki.path('root.pem'), headers: { 'X-Auth-Token': ADMIN_TOKEN } });
    assert.ok(res.status !== undefined && res.status < 300, `${method} ${path}: ${res.status} ${JSON.stringify(res.body)} ${res.stderr}`);
    return res.body;
  };

  before(async () => {
    if (!available) return;
    pki.ca('root', '/DC=com/DC=somedemo/O=openstack/OU=keystone/CN=Root CA');
    pki.ca('other', '/DC=org/DC=elsewhere/O=other/CN=Other CA');
    pki.ca('rogue', '/DC=com/DC=somedemo/O=openstack/OU=keystone/CN=Root CA');
    pki.server('keystone', '/DC=com/DC=somedemo/O=openstack/OU=keystone/CN=127.0.0.1', 'root');
    pki.client('ops', '/DC=com/DC=somedemo/O=Default/OU=keystone/CN=ops', 'root');
    pki.client('viewer', '/DC=com/DC=somedemo/O=Default/OU=keystone/CN=viewer', 'root');
    // Verified by the TLS handshake, but of an issuer the registry does not trust.
    pki.client('stranger', '/DC=org/DC=elsewhere/O=Default/CN=ops', 'other');
    // Same names as ops, signed by a CA outside the bundle: fails verification.
    pki.client('forged', '/DC=com/DC=somedemo/O=Default/OU=keystone/CN=ops', 'rogue');
    reg = await startTestRegistry({
      withWorker: true,
      env: {
        TLS_CERT: pki.path('keystone.pem'),
        TLS_KEY: pki.path('keystone.key'),
        TLS_CLIENT_CA: pki.bundle('client-ca.pem', ['root.pem', 'other.pem']),
        REGISTRY_AUTH_PROJECT: 'registry@Default',
      },
    });
    const ops = pki.pem('ops');
    const idp = idpId(ops, 'apache');
    await admin('PUT', '/v1/tokenless', { trusted_issuer: [issuerDn(ops, 'apache')], protocol: 'x509' });
    await admin('PUT', `/v3/OS-FEDERATION/identity_providers/${idp}`, { identity_provider: { domain_id: 'default' } });
    await admin('PUT', '/v3/OS-FEDERATION/mappings/registry_ops', { mapping: { rules: LOCAL_BY_CN } });
    await admin('PUT', `/v3/OS-FEDERATION/identity_providers/${idp}/protocols/x509`, { protocol: { mapping_id: 'registry_ops' } });
    await admin('POST', '/v3/projects', { project: { id: 'p-registry', name: 'registry', domain_id: 'default' } });
    await admin('POST', '/v3/projects', { project: { id: 'p-service', name: 'service', domain_id: 'default' } });
    await admin('POST', '/v3/roles', { role: { id: 'r-admin', name: 'admin' } });
    await admin('POST', '/v3/roles', { role: { id: 'r-reader', name: 'reader' } });
    // ops holds admin through its group; viewer holds reader itself, and admin on another project.
    await admin('POST', '/v3/users', { user: { id: 'u-ops', name: 'ops', domain_id: 'default' } });
    await admin('POST', '/v3/users', { user: { id: 'u-viewer', name: 'viewer', domain_id: 'default' } });
    await admin('POST', '/v3/groups', { group: { id: 'g-registry-admins', name: 'registry-admins', domain_id: 'default' } });
    await admin('PUT', '/v3/groups/g-registry-admins/users/u-ops');
    await admin('PUT', '/v3/projects/p-registry/groups/g-registry-admins/roles/r-admin');
    await admin('PUT', '/v3/projects/p-registry/users/u-viewer/roles/r-reader');
    await admin('PUT', '/v3/projects/p-service/users/u-viewer/roles/r-admin');
  });

  after(async () => {
    await reg?.stop();
  });

  // At most three CLIs at once: each spends a second of CPU starting up.
  let running = 0;
  const queue: (() => void)[] = [];
  const openstack = async (client: string, args: string[], project = 'registry'): Promise<CliResult> => {
    if (running >= 3) await new Promise<void>((r) => queue.push(r));
    running++;
    try {
      return await new Promise((resolve) => {
        const env: NodeJS.ProcessEnv = {};
        for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('OS_')) env[k] = v;
        execFile(
          CLI,
          [
            '--os-auth-type', 'v3tokenlessauth',
            '--os-auth-url', `${reg.url}/v3`,
            '--os-cert', pki.path(`${client}.pem`),
            '--os-key', pki.path(`${client}.key`),
            '--os-cacert', pki.path('root.pem'),
            '--os-project-name', project,
            '--os-project-domain-name', 'Default',
            ...args,
          ],
          { env, timeout: 60_000 },
          (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
        );
      });
    } finally {
      running--;
      queue.shift()?.();
    }
  };
  const json = ['-f', 'json'];

  test('the CLI is installed (CI installs python3-openstackclient)', () => {
    assert.ok(available, `${CLI} is missing: apt-get install -y python3-openstackclient`);
  });

  test('admin on the registry project (through a group): lists and creates; history names the certificate identity', async () => {
    const debug = await openstack('ops', ['--debug', 'domain', 'list', ...json]);
    assert.equal(debug.code, 0, debug.stderr);
    // No token anywhere: only the scope headers of v3tokenlessauth, over the client certificate.
    const requests = debug.stderr.split('\n').filter((l) => l.startsWith('REQ: '));
    assert.equal(requests.length, 1, `one request, no version discovery: ${requests.join('\n')}`);
    assert.match(requests[0], / -X GET https:\/\/127\.0\.0\.1:\d+\/v3\/domains\? /);
    assert.match(requests[0], / -H "X-Project-Domain-Name: Default" -H "X-Project-Name: registry"$/);
    assert.ok(!requests[0].includes('X-Auth-Token'), requests[0]);
    assert.deepEqual(JSON.parse(debug.stdout).map((d: { Name: string }) => d.Name), ['Default']);

    const created = await openstack('ops', ['domain', 'create', '--description', 'made by certificate', 'certified', ...json]);
    assert.equal(created.code, 0, created.stderr);
    const domain = JSON.parse(created.stdout);
    assert.equal(domain.name, 'certified');

    let history: { history?: HistoryEntry[] } | undefined;
    for (let i = 0; i < 100 && !((history?.history?.length ?? 0) > 0); i++) {
      if (i > 0) await new Promise((r) => setTimeout(r, 100));
      history = (await admin('GET', `/v1/history/domain/${domain.id}`)) as { history?: HistoryEntry[] };
    }
    assert.ok(history?.history, JSON.stringify(history));
    assert.equal(history.history.length, 1, JSON.stringify(history));
    const [entry] = history.history;
    assert.equal(entry.event_type, 'DomainCreated');
    assert.equal(entry.actor, 'cert:ops@Default');
    assert.equal(entry.actor_kind, 'certificate');
    assert.match(entry.request_id, /^req-[0-9a-f-]{36}$/);
    assert.equal(entry.client_address, '127.0.0.1');

    // The same certificate scoped to another project is identified there, but holds no registry role.
    const elsewhere = await openstack('ops', ['domain', 'list'], 'service');
    assert.equal(elsewhere.code, 1);
    assert.match(elsewhere.stderr, /needs the reader role\. \(HTTP 403\)/);
  });

  test('reader on the registry project: lists, but a create is refused 403; admin elsewhere gives nothing', async () => {
    const [listed, create, elsewhere] = await Promise.all([
      openstack('viewer', ['domain', 'list', ...json]),
      openstack('viewer', ['domain', 'create', 'refused']),
      openstack('viewer', ['domain', 'create', 'refused'], 'service'),
    ]);
    assert.equal(listed.code, 0, listed.stderr);
    assert.ok(JSON.parse(listed.stdout).some((d: { Name: string }) => d.Name === 'certified' || d.Name === 'Default'));
    assert.equal(create.code, 1);
    assert.match(create.stderr, /You are not authorized to perform the requested action: needs the admin role\. \(HTTP 403\)/);
    assert.equal(elsewhere.code, 1);
    assert.match(elsewhere.stderr, /\(HTTP 403\)/);
    const domains = await admin('GET', '/v3/domains?name=refused');
    assert.deepEqual(domains.domains, []);
  });

  test('an untrusted certificate is refused 401: a verified one of an untrusted issuer, and one failing verification', async () => {
    const [stranger, forged] = await Promise.all([
      openstack('stranger', ['domain', 'list']),
      openstack('forged', ['domain', 'create', 'forged']),
    ]);
    for (const res of [stranger, forged]) {
      assert.equal(res.code, 1, res.stdout);
      assert.match(res.stderr, /The request you have made requires authentication\. \(HTTP 401\)/);
    }
    assert.deepEqual((await admin('GET', '/v3/domains?name=forged')).domains, []);
  });
});
