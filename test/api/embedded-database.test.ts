import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

describe('an embedded data folder', () => {
  test('serves one process at a time, and keeps its data for the next', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tokenless-data-'));
    const config = { ...configFromEnv({}), dataDir, port: 0, adminToken: 't', logLevel: 'silent', pollIntervalMs: 50 };
    let first: RunningRegistry | undefined;
    let third: RunningRegistry | undefined;
    try {
      first = await startRegistry(config);
      const created = await fetch(`${first.url}/v3/projects`, {
        method: 'POST',
        headers: { 'X-Auth-Token': 't', 'Content-Type': 'application/json' },
        body: JSON.stringify({ project: { id: 'p-kept', name: 'kept' } }),
      });
      assert.equal(created.status, 201);
      // A second process on the same folder would lose the first one's writes: it is refused.
      await assert.rejects(startRegistry(config), /in use by another registry process/);
      await first.close();
      first = undefined;
      third = await startRegistry(config);
      const kept = await fetch(`${third.url}/v3/projects/p-kept`, { headers: { 'X-Auth-Token': 't' } });
      assert.equal(kept.status, 200);
    } finally {
      await first?.close();
      await third?.close();
      rmSync(dataDir, { recursive: true, force: true });
      rmSync(`${dataDir}.lock`, { recursive: true, force: true });
    }
  });
});
