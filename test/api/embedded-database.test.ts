import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startRegistry, type RunningRegistry } from '../../apps/api/src/app';
import { configFromEnv } from '../../apps/api/src/config';

// The README's default: no DATABASE_URL, the registry runs its own embedded PostgreSQL.
describe('the registry on its embedded database', () => {
  const token = 'embedded-admin';
  let registry: RunningRegistry;
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(registry.url + path, {
      method,
      headers: { 'X-Auth-Token': token, ...(body ? { 'Content-Type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
      signal: AbortSignal.timeout(60_000),
    });
    return { status: res.status, body: (await res.json().catch(() => null)) as any };
  };

  before(async () => {
    registry = await startRegistry(
      { ...configFromEnv({}), dataDir: 'memory://embedded-suite', port: 0, adminToken: token, logLevel: 'silent', pollIntervalMs: 50 },
      { withWorker: true },
    );
  });
  after(async () => {
    await registry?.close();
  });

  test('concurrent writes to one resource all answer, and none is lost', async () => {
    assert.equal((await call('POST', '/v3/projects', { project: { id: 'p-hot', name: 'hot' } })).status, 201);
    const writes = Array.from({ length: 40 }, (_, i) =>
      call('PATCH', '/v3/projects/p-hot', { project: { description: `edit ${i}` } }),
    );
    const answers = await Promise.all(writes);
    assert.deepEqual(answers.map((a) => a.status), answers.map(() => 200));
    const events = await registry.dataSource.query(`SELECT count(*)::int AS n FROM events WHERE stream_id = 'project:p-hot'`);
    assert.equal(events[0].n, 41, 'the creation and every edit are in the log');
    const shown = await call('GET', '/v3/projects/p-hot');
    assert.match(shown.body.project.description, /^edit \d+$/);
  });
});
