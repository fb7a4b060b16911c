import assert from 'node:assert/strict';
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { idpId, issuerDn } from '../../libs/x509/src';
import { curl, toolStatus } from '../support/curl';
import { TestPki } from '../support/pki';
import { startTestRegistry, type TestRegistry } from '../support/registry';
import { SERVICE_SCOPE, recordServiceWorld } from '../support/service-world';
import { freePort } from '../support/serve';

const haproxy = toolStatus('haproxy');

/** Resolves once something accepts connections on the port (HAProxy has bound it). */
async function listening(port: number, child: ChildProcess): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt++) {
    if (child.exitCode !== null) throw new Error(`haproxy exited with ${child.exitCode}`);
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`haproxy did not listen on ${port}`);
}

/** A plain HTTP GET sent from a chosen local address, straight to the registry. */
function getFrom(localAddress: string, url: string, headers: Record<string, string>): Promise<{ status: number; headers: Record<string, unknown>; body: any }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'GET', headers, localAddress }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: JSON.parse(text) }));
    });
    req.once('error', reject);
    req.end();
  });
}

if (haproxy.missing && process.env.CI) {
  test('HAProxy forward-auth end to end needs haproxy', () => {
    assert.fail(`${haproxy.message}; .ci/run installs it`);
  });
}

describe('HAProxy in front of the registry, configured as the guide shows', { skip: haproxy.missing && !process.env.CI ? haproxy.message : false }, () => {
  const pki = new TestPki();
  let reg: TestRegistry;
  let proxy: ChildProcess;
  let proxyLog = '';
  let frontend: string;
  let glanceHaproxyIssuer: string;

  before(async () => {
    pki.ca('root', '/DC=com/DC=somedemo/O=openstack/OU=keystone/CN=Root CA');
    pki.ca('intermediate', '/DC=com/DC=somedemo/O=openstack/OU=keystone/CN=Intermediate CA', 'root');
    pki.ca('other', '/DC=org/DC=elsewhere/O=other/CN=Other CA');
    pki.ca('rogue', '/DC=com/DC=somedemo/O=openstack/OU=keystone/CN=Intermediate CA');
    pki.server('keystone', '/DC=com/DC=somedemo/O=openstack/OU=keystone/CN=127.0.0.1', 'root');
    pki.client('glance', '/DC=com/DC=somedemo/O=Default/OU=keystone/CN=glance', 'intermediate');
    pki.client('stranger', '/DC=org/DC=elsewhere/O=Default/CN=glance', 'other');
    // Same subject and issuer DN as glance, but signed by a CA HAProxy does not know.
    pki.client('forged', '/DC=com/DC=somedemo/O=Default/OU=keystone/CN=glance', 'rogue');

    // Only HAProxy's backend address is a trusted proxy; every other local client is not.
    reg = await startTestRegistry({ env: { TRUSTED_PROXIES: '127.0.0.2/32' } });
    glanceHaproxyIssuer = issuerDn(pki.pem('glance'), 'haproxy');
    await recordServiceWorld(
      (method, path, body) => reg.call(method, path, body),
      glanceHaproxyIssuer,
      idpId(pki.pem('glance'), 'haproxy'),
    );

    const port = await freePort();
    const registryPort = new URL(reg.url).port;
    const crt = pki.bundle('keystone-haproxy.pem', ['keystone.pem', 'keystone.key']);
    const ca = pki.bundle('client-ca.pem', ['root.pem', 'intermediate.pem', 'other.pem']);
    const cfg = pki.path('haproxy.cfg');
    writeFileSync(
      cfg,
      [
        'global',
        '    maxconn 256',
        'defaults',
        '    mode http',
        '    timeout connect 5s',
        '    timeout client 30s',
        '    timeout server 30s',
        'frontend http-frontend',
        '    mode http',
        '    option forwardfor',
        `    bind 127.0.0.1:${port} ssl crt ${crt} ca-file ${ca} verify optional`,
        // The guide's `reqadd` line, in the syntax HAProxy 2.x accepts.
        '    http-request set-header X-Forwarded-Proto https if { ssl_fc }',
        '    http-request set-header X-SSL                   %[ssl_fc]',
        '    http-request set-header X-SSL-Client-Verify     %[ssl_c_verify]',
        '    http-request set-header X-SSL-Client-SHA1       %{+Q}[ssl_c_sha1]',
        '    http-request set-header X-SSL-Client-DN         %{+Q}[ssl_c_s_dn]',
        '    http-request set-header X-SSL-Client-CN         %{+Q}[ssl_c_s_dn(cn)]',
        '    http-request set-header X-SSL-Client-O          %{+Q}[ssl_c_s_dn(o)]',
        '    http-request set-header X-SSL-Issuer            %{+Q}[ssl_c_i_dn]',
        '    http-request set-header X-SSL-Issuer-CN         %{+Q}[ssl_c_i_dn(cn)]',
        '    default_backend registry',
        'backend registry',
        '    mode http',
        `    server registry 127.0.0.1:${registryPort} source 127.0.0.2`,
        '',
      ].join('\n'),
    );
    execFileSync('haproxy', ['-c', '-q', '-f', cfg], { stdio: ['ignore', 'pipe', 'pipe'] });
    proxy = spawn('haproxy', ['-db', '-f', cfg], { stdio: ['ignore', 'pipe', 'pipe'] });
    proxy.stdout?.on('data', (d) => (proxyLog += d));
    proxy.stderr?.on('data', (d) => (proxyLog += d));
    await listening(port, proxy);
    frontend = `https://127.0.0.1:${port}`;
  });

  after(async () => {
    if (proxy && proxy.exitCode === null) {
      const exited = new Promise((r) => proxy.once('exit', r));
      proxy.kill('SIGTERM');
      await exited;
    }
    await reg?.stop();
  });

  const through = (client: string | undefined, headers: Record<string, string> = SERVICE_SCOPE) =>
    curl(`${frontend}/v1/authorize`, {
      cacert: pki.path('root.pem'),
      ...(client ? { cert: pki.path(`${client}.pem`), key: pki.path(`${client}.key`) } : {}),
      headers,
    });

  test('the trusted issuer is the old-style DN HAProxy passes', () => {
    assert.equal(glanceHaproxyIssuer, '/DC=com/DC=somedemo/O=openstack/OU=keystone/CN=Intermediate CA');
  });

  test('curl --cert with a certificate of the trusted CA gets its user, project and roles', async () => {
    const res = await through('glance');
    assert.equal(res.exitCode, 0, res.stderr + proxyLog);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.headers['x-auth-user-id'], 'u-glance');
    assert.equal(res.headers['x-auth-user-name'], 'glance');
    assert.equal(res.headers['x-auth-project-id'], 'p-service');
    assert.equal(res.headers['x-auth-roles'], 'member');
    assert.equal(res.headers['x-auth-identity-provider'], idpId(pki.pem('glance'), 'haproxy'));
    assert.deepEqual(res.body.auth_context, { user_id: 'u-glance', is_delegated_auth: false, project_id: 'p-service', roles: ['member'] });
  });

  test('a certificate HAProxy verifies but whose issuer the registry does not trust is refused 401', async () => {
    const res = await through('stranger');
    assert.equal(res.status, 401, JSON.stringify(res.body));
    assert.equal(res.headers['x-auth-refused-reason'], 'untrusted_issuer');
    assert.equal(res.headers['x-auth-user-id'], undefined);
  });

  test('a certificate from an unknown CA never reaches the registry: HAProxy ends the handshake', async () => {
    const res = await through('forged');
    assert.notEqual(res.status, 200);
    assert.notEqual(res.exitCode, 0, 'curl reports the refused TLS handshake');
  });

  test('no client certificate: refused 401, and X-SSL-* headers sent by the client are overwritten', async () => {
    const bare = await through(undefined);
    assert.equal(bare.status, 401, JSON.stringify(bare.body));
    const spoofed = await through(undefined, {
      ...SERVICE_SCOPE,
      'X-SSL-Issuer': glanceHaproxyIssuer,
      'X-SSL-Client-CN': 'glance',
      'X-SSL-Client-O': 'Default',
      'X-SSL-Client-Verify': '0',
    });
    assert.equal(spoofed.status, 401, JSON.stringify(spoofed.body));
    assert.equal(spoofed.headers['x-auth-refused-reason'], bare.headers['x-auth-refused-reason']);
  });

  test('spoofed X-SSL-* headers sent straight to the registry from an untrusted address change nothing', async () => {
    const spoof = { ...SERVICE_SCOPE, 'X-SSL-Issuer': glanceHaproxyIssuer, 'X-SSL-Client-CN': 'glance', 'X-SSL-Client-O': 'Default' };
    const url = `${reg.url}/v1/authorize`;
    const direct = await getFrom('127.0.0.1', url, spoof);
    const plain = await getFrom('127.0.0.1', url, SERVICE_SCOPE);
    assert.equal(direct.status, 401);
    assert.equal(direct.headers['x-auth-refused-reason'], 'no_certificate');
    assert.deepEqual(direct.body, plain.body);
    assert.equal(direct.headers['x-auth-user-id'], undefined);
    // The same headers from the proxy's address are believed: the peer address is what decides.
    const fromProxyAddress = await getFrom('127.0.0.2', url, spoof);
    assert.equal(fromProxyAddress.status, 200);
    assert.equal(fromProxyAddress.headers['x-auth-user-id'], 'u-glance');
  });
});
