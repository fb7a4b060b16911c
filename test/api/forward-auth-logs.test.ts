import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createTestDatabase, onServer, type TestDatabase } from '../support/db';

const TOKEN = 'forward-auth-log-test-token';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

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
  let child: ChildProcess;
  let output = '';
  let url: string;

  before(async () => {
    if (!server) return;
    db = await createTestDatabase();
    const port = await freePort();
    child = spawn(process.execPath, [join(__dirname, '../../apps/cli/src/main.js'), 'serve', '--no-worker'], {
      env: {
        ...process.env,
        DATABASE_URL: db.url,
        HOST: '127.0.0.1',
        PORT: String(port),
        TRUSTED_PROXIES: '127.0.0.2/32',
        REGISTRY_ADMIN_TOKEN: TOKEN,
        LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.setEncoding('utf8').on('data', (d) => (output += d));
    child.stderr!.setEncoding('utf8').on('data', (d) => (output += d));
    await new Promise<void>((resolve, reject) => {
      const check = () => (output.includes('registry listening') ? resolve() : undefined);
      child.stdout!.on('data', check);
      child.once('exit', (code) => reject(new Error(`serve exited with ${code}: ${output}`)));
    });
    url = `http://127.0.0.1:${port}/v1/authorize`;
  });

  after(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    await db?.drop();
  });

  const lines = () =>
    output
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l));

  test('untrusted peer: headers ignored with a warning, refusal logged; trusted peer: forwarded client address', { skip: !server && 'needs the PostgreSQL server' }, async () => {
    const spoof = { 'X-SSL-Issuer': '/CN=Root', 'X-SSL-Client-CN': 'glance', 'X-Project-Id': 'p', 'X-Auth-Token': TOKEN };
    assert.equal(await getFrom('127.0.0.1', url, spoof), 401);
    assert.equal(await getFrom('127.0.0.2', url, { ...spoof, 'X-Forwarded-For': '198.51.100.7, 203.0.113.9' }), 401);
    // The request line is written when the answer has gone; wait for both.
    while (lines().filter((l) => l.path === '/v1/authorize').length < 2) await new Promise((r) => setTimeout(r, 20));

    const logged = lines();
    const warning = logged.find((l) => /not a trusted proxy/.test(l.msg ?? ''));
    assert.ok(warning, output);
    assert.equal(warning.level, 40);
    assert.equal(warning.peer, '127.0.0.1');
    assert.deepEqual(warning.headers, ['x-ssl-client-cn', 'x-ssl-issuer']);

    const [direct, proxied] = logged.filter((l) => l.path === '/v1/authorize');
    // The request line has the shape of every other line.
    for (const line of [direct, proxied]) {
      assert.equal(line.msg, 'request');
      assert.equal(line.level, 30);
      assert.equal(line.service, 'tokenless-registry');
      assert.match(line.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      assert.match(line.req_id, /^req-/);
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

    assert.ok(!output.includes(TOKEN), 'the token is never logged');
  });
});
