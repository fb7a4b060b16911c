import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { onServer } from '../support/db';
import { loadCase } from '../support/fixtures';
import { ADMIN_TOKEN, startTestRegistry, type Answer, type TestRegistry } from '../support/registry';
import { loadWorld } from '../support/world';
import { freePort } from '../support/serve';

const CASE = loadCase('tokenless', '001-doc-local-mapping-project-id');

/** A second API process (the real CLI, its own OS process) on the same database. */
async function startSecondProcess(databaseUrl: string): Promise<{ url: string; proc: ChildProcess; stop(): Promise<void> }> {
  const port = await freePort();
  const proc = spawn(process.execPath, [join(process.cwd(), 'dist/apps/cli/src/main.js'), 'serve', '--no-worker'], {
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      PORT: String(port),
      HOST: '127.0.0.1',
      REGISTRY_ADMIN_TOKEN: ADMIN_TOKEN,
      LOG_LEVEL: 'silent',
      // Far longer than any test's timeout: a position the log has not reached must be refused without waiting.
      MAX_WAIT_MS: '600000',
      // Long enough that only LISTEN/NOTIFY or min_position's own catch-up can explain quick answers.
      POLL_INTERVAL_MS: '250',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  let exited = false;
  proc.once('exit', () => (exited = true));
  for (let i = 0; ; i++) {
    if (exited) throw new Error('the second API process exited during start-up');
    if (i > 600) throw new Error('the second API process did not become ready');
    try {
      const res = await fetch(`${url}/ready`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url,
    proc,
    stop: () =>
      new Promise<void>((resolve) => {
        if (exited) return resolve();
        proc.once('exit', () => resolve());
        proc.kill('SIGTERM');
      }),
  };
}

async function callAt(base: string, method: string, path: string, body?: unknown): Promise<Answer> {
  const res = await fetch(base + path, {
    method,
    headers: { 'X-Auth-Token': ADMIN_TOKEN, ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : null };
}

function positionOf(res: Answer): number {
  const header = res.headers.get('x-registry-position');
  assert.match(header ?? '', /^\d+$/, `X-Registry-Position on a ${res.status} answer`);
  return Number(header);
}

describe('consistency tokens across two API processes on one database', () => {
  let a: TestRegistry;
  let b: Awaited<ReturnType<typeof startSecondProcess>>;
  let skip = false;

  before(async () => {
    if (!(await onServer())) {
      skip = true;
      return;
    }
    a = await startTestRegistry({ env: { MAX_WAIT_MS: '3000' } });
    await loadWorld(a, CASE);
    b = await startSecondProcess(a.db.url);
  });
  after(async () => {
    await b?.stop();
    await a?.stop();
  });

  test('every kind of admin write answers with its position, and positions grow', async (t) => {
    if (skip) return t.skip('needs a PostgreSQL server shared by two processes');
    const writes: [string, string, unknown?][] = [
      ['POST', '/v3/projects', { project: { id: 'p-ct', name: 'ct', domain_id: 'default' } }],
      ['PATCH', '/v3/projects/p-ct', { project: { description: 'changed' } }],
      ['PUT', '/v3/projects/p-ct/users/u-glance/roles/r-reader'],
      ['DELETE', '/v3/projects/p-ct/users/u-glance/roles/r-reader'],
      ['POST', '/v3/groups', { group: { id: 'g-ct', name: 'ct', domain_id: 'default' } }],
      ['PUT', '/v3/groups/g-ct/users/u-glance'],
      ['PUT', '/v1/tokenless', { ...CASE.config, trusted_issuer: [...CASE.config.trusted_issuer, 'CN=Extra CA'] }],
      ['DELETE', '/v3/groups/g-ct'],
      ['DELETE', '/v3/projects/p-ct'],
    ];
    let last = 0;
    for (const [method, path, body] of writes) {
      const res = await a.call(method, path, body);
      assert.ok(res.status < 300, `${method} ${path} -> ${res.status}`);
      const position = positionOf(res);
      assert.ok(position > last, `${method} ${path} moves the position (${position} > ${last})`);
      last = position;
    }
    // The settings answer also carries, in its body, the position it was read at.
    const settings = await a.call('GET', '/v1/tokenless');
    assert.equal(settings.body.position, last);
    // A write that changes nothing still tells the client where the log is.
    const same = await a.call('PUT', '/v1/tokenless', { ...CASE.config, trusted_issuer: [...CASE.config.trusted_issuer, 'CN=Extra CA'] });
    assert.ok(same.status < 300);
    assert.equal(positionOf(same), last);
  });

  test('the same request with the same min_position gets the same answer from both processes', async (t) => {
    if (skip) return t.skip('needs a PostgreSQL server shared by two processes');
    const requests = [
      CASE.request,
      { ...CASE.request, headers: { 'X-Project-Id': 'p-web' } },
      { ...CASE.request, env: { ...CASE.request.env, SSL_CLIENT_S_DN_CN: 'swift' } },
      { ...CASE.request, env: { ...CASE.request.env, SSL_CLIENT_I_DN: 'CN=Unknown CA' } },
    ];
    const compare = async (minPosition: number) => {
      const answers: Answer[][] = [];
      for (const base of [a.url, b.url]) {
        const row: Answer[] = [];
        for (const req of requests) row.push(await callAt(base, 'POST', '/v1/authorize', { ...req, min_position: minPosition }));
        answers.push(row);
      }
      for (let i = 0; i < requests.length; i++) {
        const [fromA, fromB] = [answers[0][i], answers[1][i]];
        assert.equal(fromB.status, fromA.status, `request ${i} status`);
        assert.deepEqual(fromB.body, fromA.body, `request ${i} body`);
        assert.equal(fromA.body.position, minPosition);
        assert.equal(positionOf(fromA), fromA.body.position);
        assert.equal(positionOf(fromB), fromB.body.position);
      }
      return answers[0];
    };

    // A write on the first process, read at its position on the second: the change is there.
    const granted = await a.call('PUT', '/v3/projects/p-service/users/u-glance/roles/r-observer');
    const p1 = positionOf(granted);
    const first = await compare(p1);
    assert.ok(first[0].body.auth_context.roles.includes('observer'));

    // And the other way round.
    const revoked = await callAt(b.url, 'DELETE', '/v3/projects/p-service/users/u-glance/roles/r-observer');
    assert.equal(revoked.status, 204);
    const p2 = positionOf(revoked);
    assert.ok(p2 > p1);
    const second = await compare(p2);
    assert.ok(!second[0].body.auth_context.roles.includes('observer'));
  });

  test('a min_position the log has not reached is refused with 503 and the position the index has, without waiting', { timeout: 60_000 }, async (t) => {
    if (skip) return t.skip('needs a PostgreSQL server shared by two processes');
    const head = positionOf(await callAt(b.url, 'POST', '/v1/authorize', CASE.request));
    const res = await callAt(b.url, 'POST', '/v1/authorize', { ...CASE.request, min_position: head + 1000 });
    assert.equal(res.status, 503);
    assert.equal(res.body.error.reason, 'index_behind');
    assert.equal(res.body.position, head);
    assert.equal(positionOf(res), head);
    assert.equal(res.headers.get('retry-after'), '1');
  });

  test('a malformed min_position is a 400 that names it', async (t) => {
    if (skip) return t.skip('needs a PostgreSQL server shared by two processes');
    for (const bad of [-1, 1.5, 'soon', true]) {
      const res = await a.call('POST', '/v1/authorize', { ...CASE.request, min_position: bad });
      assert.equal(res.status, 400, `min_position ${JSON.stringify(bad)}`);
      assert.equal(res.body.error.reason, 'invalid_body');
      assert.match(res.body.error.message, /^min_position: /);
    }
    const asString = await a.call('POST', '/v1/authorize', { ...CASE.request, min_position: '1' });
    assert.equal(asString.status, 200);
    const notObject = await a.call('POST', '/v1/authorize', { ...CASE.request, env: ['x'] });
    assert.equal(notObject.status, 400);
    assert.equal(notObject.body.error.message, 'env: env must be an object');
  });
});
