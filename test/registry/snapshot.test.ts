import { configFromEnv, type RegistryConfig } from '../../apps/api/src/config';
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startRegistry } from '../../apps/api/src/app';
import { RegistryIndexService } from '../../apps/api/src/registry/registry-index.service';
import {
  RECORD_MAPS,
  RegistryState,
  SET_MAPS,
  SNAPSHOT_FORMAT_VERSION,
  deserializeState,
  serializeState,
} from '../../libs/domain/src';
import { EventStore, latestSnapshot } from '../../libs/store/src';
import { loadCase } from '../support/fixtures';
import { startTestRegistry, type TestRegistry } from '../support/registry';
import { loadWorld } from '../support/world';

/** Folds the whole log from position zero, as a process without snapshots does. */
async function stateFromZero(store: EventStore): Promise<RegistryState> {
  const state = RegistryState.withDefaultDomain();
  for (;;) {
    const batch = await store.readAfter(state.position, 500);
    for (const e of batch) state.applyRecorded(e);
    if (batch.length < 500) return state;
  }
}

test('a snapshot carries every map the state keeps', () => {
  // A map left out would come back empty after a start from a snapshot (API tokens lost, say).
  const maps = Object.entries(RegistryState.withDefaultDomain())
    .filter(([, v]) => v instanceof Map)
    .map(([k]) => k)
    .sort();
  assert.deepEqual(maps, [...RECORD_MAPS, ...SET_MAPS].sort());
});

describe('state snapshots (real PostgreSQL)', () => {
  let reg: TestRegistry;
  let store: EventStore;

  before(async () => {
    // A snapshot after every 7 events, so several are written while the world loads.
    reg = await startTestRegistry({ env: { SNAPSHOT_EVERY: '7' } });
    store = new EventStore(reg.registry.dataSource);
    await loadWorld(reg, loadCase('tokenless', '001-doc-local-mapping-project-id'));
  });
  after(async () => reg?.stop());

  async function waitForSnapshot(): Promise<NonNullable<Awaited<ReturnType<typeof latestSnapshot>>>> {
    for (let i = 0; i < 800; i++) {
      const s = await latestSnapshot(reg.registry.dataSource, SNAPSHOT_FORMAT_VERSION);
      if (s) return s;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error('no snapshot was written');
  }

  test('the state built from a snapshot plus the tail equals the state folded from zero', async () => {
    const snapshot = await waitForSnapshot();
    // Changes after the snapshot: the tail a starting process folds on top of it.
    const must = async (method: string, path: string, body?: unknown) => {
      const res = await reg.call(method, path, body);
      assert.ok(res.status < 300, `${method} ${path} -> ${res.status} ${JSON.stringify(res.body)}`);
    };
    await must('POST', '/v3/projects', { project: { id: 'p-tail', name: 'tail', domain_id: 'default' } });
    await must('PATCH', '/v3/users/u-nova', { user: { enabled: false } });
    await must('DELETE', '/v3/groups/g-readers');
    await must('PUT', '/v3/projects/p-tail/users/u-glance/roles/r-reader');
    await must('DELETE', '/v3/projects/p-web');

    const head = await store.headPosition();
    assert.ok(snapshot.position < head, 'the snapshot is behind the head, so there is a tail');
    const fromSnapshot = deserializeState(snapshot.state);
    assert.equal(fromSnapshot.position, snapshot.position);
    for (const e of await store.readAfter(snapshot.position, 100_000)) fromSnapshot.applyRecorded(e);

    const fromZero = await stateFromZero(store);
    assert.equal(fromZero.position, head);
    assert.deepStrictEqual(fromSnapshot, fromZero);
    // Map and set order matters too (answers list roles and groups in it); deepStrictEqual ignores it.
    for (const name of ['projects', 'assignments', 'assignmentsByActor', 'groupsOfUser'] as const) {
      assert.deepEqual([...fromSnapshot[name].keys()], [...fromZero[name].keys()], `${name} order`);
    }
  });

  test('a second process starts from the snapshot and ends with the same state as the log', async () => {
    const other = await startRegistry(secondConfig(reg));
    try {
      const index = other.app.get(RegistryIndexService);
      assert.equal(index.startedFrom.source, 'snapshot');
      assert.ok(index.startedFrom.snapshot_position > 0);
      assert.deepStrictEqual(index.state, await stateFromZero(store));
    } finally {
      await other.close();
    }
  });

  test('a snapshot of an unknown format version, or of another log, is ignored', async () => {
    const ds = reg.registry.dataSource;
    const head = await store.headPosition();
    const [{ hash }] = await ds.query('SELECT hash FROM events WHERE position = $1', [head]);
    const bogus = RegistryState.withDefaultDomain();
    await ds.query(
      `INSERT INTO snapshots (position, format_version, event_hash, state) VALUES ($1, $2, $3, $4)`,
      [head, SNAPSHOT_FORMAT_VERSION + 1, hash, serializeState(bogus)],
    );
    await ds.query(
      `INSERT INTO snapshots (position, format_version, event_hash, state) VALUES ($1, $2, $3, $4)
       ON CONFLICT (position, format_version) DO UPDATE SET event_hash = excluded.event_hash, state = excluded.state`,
      [head, SNAPSHOT_FORMAT_VERSION, 'f'.repeat(64), serializeState(bogus)],
    );
    const chosen = await latestSnapshot(ds, SNAPSHOT_FORMAT_VERSION);
    assert.ok(chosen === undefined || chosen.position < head, 'neither bogus snapshot is chosen');
    const other = await startRegistry(secondConfig(reg));
    try {
      const index = other.app.get(RegistryIndexService);
      assert.deepStrictEqual(index.state, await stateFromZero(store));
    } finally {
      await other.close();
    }
  });
});

function secondConfig(reg: TestRegistry): RegistryConfig {
  return {
    ...configFromEnv({}),
    databaseUrl: reg.db.url,
    dataDir: '',
    host: '127.0.0.1',
    port: 0,
    adminToken: 'test-admin-token',
    pollIntervalMs: 50,
    maxWaitMs: 2000,
    snapshotEvery: 0,
    logLevel: 'silent',
    insecureDebug: false,
  };
}
