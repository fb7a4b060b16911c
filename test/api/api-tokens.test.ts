import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startTestRegistry, type TestRegistry } from '../support/registry';
import { until } from '../support/wait';
import type { HistoryEntry, LoggedEvent } from '../support/api-types';

const CLI_MAIN = join(process.cwd(), 'dist', 'apps', 'cli', 'src', 'main.js');

function tokenless(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI_MAIN, ...args], { env: { ...process.env, ...env } }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

describe('registry API tokens: roles, attribution and revocation', () => {
  let reg: TestRegistry;
  let admin: { id: string; secret: string };
  let auditor: { id: string; secret: string };
  let reader: { id: string; secret: string };
  const as = (secret: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
    reg.call(method, path, body, { 'X-Auth-Token': secret, ...headers });

  before(async () => {
    reg = await startTestRegistry({ withWorker: true });
  });
  after(async () => {
    await reg?.stop();
  });

  test('`tokenless token create` makes the first admin token in the database; the running registry accepts it', async () => {
    const env = { DATABASE_URL: reg.registry.databaseUrl };
    const res = await tokenless(['token', 'create', '--name', 'ops-alice', '--role', 'admin', '--reason', 'bootstrap', '--json'], env);
    assert.equal(res.code, 0, res.stderr);
    admin = JSON.parse(res.stdout);
    assert.match(admin.secret, /^tlr_[A-Za-z0-9_-]{43}$/);
    // The registry follows the log; the token works once it has seen the event.
    await until(async () => (await as(admin.secret, 'GET', '/v1/tokens')).status === 200);

    const dup = await tokenless(['token', 'create', '--name', 'ops-alice', '--role', 'reader'], env);
    assert.equal(dup.code, 1);
    assert.match(dup.stderr, /Duplicate entry found with name ops-alice/);
    const badRole = await tokenless(['token', 'create', '--name', 'x', '--role', 'root'], env);
    assert.equal(badRole.code, 2);
    assert.match(badRole.stderr, /--role must be one of admin, auditor, reader/);
    const listed = await tokenless(['token', 'list', '--json'], env);
    assert.deepEqual(JSON.parse(listed.stdout), [{ id: admin.id, name: 'ops-alice', role: 'admin' }]);
  });

  test('an admin creates auditor and reader tokens over HTTP; secrets are shown once and stored only hashed', async () => {
    const a = await as(admin.secret, 'POST', '/v1/tokens', { token: { name: 'audit-bob', role: 'auditor' } });
    assert.equal(a.status, 201, JSON.stringify(a.body));
    assert.equal(a.headers.get('cache-control'), 'no-store');
    auditor = a.body.token;
    const r = await as(admin.secret, 'POST', '/v1/tokens', { token: { name: 'dashboard', role: 'reader' } });
    reader = r.body.token;
    assert.equal(r.body.token.role, 'reader');

    const bad = await as(admin.secret, 'POST', '/v1/tokens', { token: { name: 'x', role: 'owner' } });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.reason, 'invalid_body');
    const dup = await as(admin.secret, 'POST', '/v1/tokens', { token: { name: 'dashboard', role: 'reader' } });
    assert.equal(dup.status, 409);

    const list = await as(admin.secret, 'GET', '/v1/tokens');
    assert.deepEqual(
      list.body.tokens.map((t: Record<string, unknown>) => Object.keys(t).sort().join(',')),
      ['id,name,role', 'id,name,role', 'id,name,role'],
    );
    const log = await as(admin.secret, 'GET', '/v1/events?after=0&limit=1000');
    const created = (log.body.events as LoggedEvent[]).filter((e) => e.type === 'ApiTokenCreated');
    assert.equal(created.length, 3);
    const text = JSON.stringify(log.body);
    for (const t of [admin, auditor, reader]) {
      assert.ok(!text.includes(t.secret), 'no secret in the log');
      const event = created.find((e) => e.data.token?.id === t.id);
      assert.ok(event, t.id);
      assert.equal(event.stream, `token:${t.id}`);
      assert.equal(event.data.token?.secret_sha256, sha256(t.secret));
    }
    assert.equal(created[0].metadata.actor_kind, 'system');
    assert.equal(created[0].metadata.reason, 'bootstrap');
    assert.equal(created[1].metadata.actor, 'ops-alice');
  });

  test('readers read; auditors also read history and the log; only admins change anything', async () => {
    assert.equal((await as(reader.secret, 'GET', '/v3/domains')).status, 200);
    assert.equal((await as(reader.secret, 'GET', '/v1/tokenless')).status, 200);
    for (const path of ['/v1/events', '/v1/history/domain/default']) {
      const refused = await as(reader.secret, 'GET', path);
      assert.equal(refused.status, 403, path);
      assert.equal(refused.body.error.reason, 'insufficient_role');
      assert.equal((await as(auditor.secret, 'GET', path)).status, 200, path);
    }
    for (const secret of [reader.secret, auditor.secret]) {
      const write = await as(secret, 'POST', '/v3/domains', { domain: { name: 'nope' } });
      assert.equal(write.status, 403);
      assert.equal((await as(secret, 'POST', '/v1/tokens', { token: { name: 'self-made', role: 'admin' } })).status, 403);
      assert.equal((await as(secret, 'DELETE', `/v1/tokens/${admin.id}`)).status, 403);
    }
    assert.equal((await as('tlr_not-a-token', 'GET', '/v3/domains')).status, 401);
    assert.equal((await as(reader.secret, 'GET', '/v1/tokens')).status, 403);
    const audited = await as(auditor.secret, 'GET', '/v1/tokens');
    assert.equal(audited.status, 200);
    assert.ok(!JSON.stringify(audited.body).includes('secret'));
  });

  test('every change names the token as its actor, with request id, client address and X-Change-Reason', async () => {
    const created = await as(admin.secret, 'POST', '/v3/domains', { domain: { name: 'acme' } }, { 'X-Change-Reason': 'CHG-42 onboarding' });
    assert.equal(created.status, 201);
    const id = created.body.domain.id;
    const patched = await as(admin.secret, 'PATCH', `/v3/domains/${id}`, { domain: { description: 'ACME' } });
    const position = Number(patched.headers.get('x-registry-position'));
    await until(async () => (await as(auditor.secret, 'GET', `/v1/history/domain/${id}`)).body.projected_through >= position);
    const h = await as(auditor.secret, 'GET', `/v1/history/domain/${id}`);
    assert.deepEqual(
      (h.body.history as HistoryEntry[]).map((e) => [e.event_type, e.actor, e.actor_kind, e.reason, e.client_address]),
      [
        ['DomainCreated', 'ops-alice', 'token', 'CHG-42 onboarding', '127.0.0.1'],
        ['DomainUpdated', 'ops-alice', 'token', null, '127.0.0.1'],
      ],
    );
    assert.equal(h.body.history[0].request_id, created.headers.get('x-openstack-request-id'));
    assert.deepEqual(h.body.history[1].changes, { description: { from: '', to: 'ACME' } });
  });

  test('a revoked token is refused at once; the revocation is itself an event', async () => {
    const revoked = await as(admin.secret, 'DELETE', `/v1/tokens/${reader.id}`, undefined, { 'X-Change-Reason': 'dashboard retired' });
    assert.equal(revoked.status, 204);
    const refused = await as(reader.secret, 'GET', '/v3/domains');
    assert.equal(refused.status, 401);
    assert.equal(refused.body.error.code, 401);
    const again = await as(admin.secret, 'DELETE', `/v1/tokens/${reader.id}`);
    assert.equal(again.status, 404);
    assert.equal(again.body.error.message, `Could not find token: ${reader.id}.`);
    const log = await as(auditor.secret, 'GET', '/v1/events?after=0&limit=1000');
    const event = (log.body.events as LoggedEvent[]).find((e) => e.type === 'ApiTokenRevoked');
    assert.ok(event);
    assert.deepEqual(event.data, { id: reader.id, name: 'dashboard' });
    assert.equal(event.stream, `token:${reader.id}`);
    assert.equal(event.metadata.actor, 'ops-alice');
    assert.equal(event.metadata.reason, 'dashboard retired');

    // The CLI revokes by id too, straight in the database.
    const res = await tokenless(['token', 'revoke', auditor.id], { DATABASE_URL: reg.registry.databaseUrl });
    assert.equal(res.code, 0, res.stderr);
    await until(async () => (await as(auditor.secret, 'GET', '/v3/domains')).status === 401);
    const list = await as(admin.secret, 'GET', '/v1/tokens');
    assert.deepEqual(list.body.tokens.map((t: Record<string, unknown>) => t.name), ['ops-alice']);
  });
});
