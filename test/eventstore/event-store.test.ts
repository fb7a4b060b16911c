import { MIGRATIONS } from '../../migrations';
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { DataSource } from 'typeorm';
import type { EventMetadata, PendingEvent } from '../../libs/domain/src';
import {
  EventStore,
  GENESIS_HASH,
  StreamVersionConflict,
  createDataSource,
  eventHash,
  migrate,
} from '../../libs/store/src';
import { createTestDatabase, onServer, type TestDatabase } from '../support/db';

const META: EventMetadata = { actor: 'test', actor_kind: 'system', request_id: 'req-1' };

function event(stream: string, version: number, data: Record<string, unknown> = { issuer: 'CN=x' }) {
  return { stream, version, type: 'TrustedIssuerAdded', data } as unknown as PendingEvent & { version: number };
}

describe('event store', () => {
  let db: TestDatabase;
  let ds: DataSource;
  let store: EventStore;

  before(async () => {
    db = await createTestDatabase();
    ds = createDataSource({ url: db.url, poolSize: 6 });
    await ds.initialize();
    await migrate(ds);
    store = new EventStore(ds);
  });

  after(async () => {
    await ds.destroy();
    await db.drop();
  });

  test('appends and reads back in position order, with metadata', async () => {
    const written = await store.transaction(async (tx) => {
      await tx.lock();
      return tx.append([event('s:a', 1), event('s:a', 2)], META);
    });
    const read = await store.readAfter(0);
    assert.deepEqual(
      read.map((e) => [e.position, e.stream, e.version]),
      written.map((e) => [e.position, e.stream, e.version]),
    );
    assert.equal(read[0].metadata.actor, 'test');
    assert.equal(read[0].metadata.request_id, 'req-1');
  });

  test('the database refuses UPDATE, DELETE and TRUNCATE on events', async () => {
    await assert.rejects(ds.query(`UPDATE events SET type = 'x'`), /append-only: UPDATE/);
    await assert.rejects(ds.query(`DELETE FROM events`), /append-only: DELETE/);
    await assert.rejects(ds.query(`TRUNCATE events`), /append-only: TRUNCATE/);
    assert.ok((await store.readAfter(0)).length >= 2);
  });

  test('two writers on one stream at the same version: exactly one lands (BR-18)', async (t) => {
    if (!(await onServer())) return t.skip('needs concurrent sessions of a PostgreSQL server');
    const attempt = () =>
      store.transaction(async (tx) => {
        await tx.lock();
        // Both decided on version 0 of the stream; the unique key must stop the second.
        return tx.append([event('s:race', 1)], META);
      });
    const results = await Promise.allSettled([attempt(), attempt()]);
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
    const failed = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    assert.ok(failed.reason instanceof StreamVersionConflict);
    const rows = await ds.query(`SELECT count(*)::int AS n FROM events WHERE stream_id = 's:race'`);
    assert.equal(rows[0].n, 1);
  });

  test('a rolled-back append leaves no event behind', async () => {
    const before = await store.headPosition();
    await assert.rejects(
      store.transaction(async (tx) => {
        await tx.lock();
        await tx.append([event('s:rollback', 1)], META);
        throw new Error('command failed after appending');
      }),
      /command failed/,
    );
    assert.equal(await store.headPosition(), before);
    const rows = await ds.query(`SELECT count(*)::int AS n FROM events WHERE stream_id = 's:rollback'`);
    assert.equal(rows[0].n, 0);
  });

  test('a reader never skips an event whose transaction commits late (BR-17)', async (t) => {
    if (!(await onServer())) return t.skip('needs concurrent sessions of a PostgreSQL server');
    const start = await store.headPosition();
    let releaseA!: () => void;
    const aMayCommit = new Promise<void>((r) => (releaseA = r));
    let aAppended!: () => void;
    const aHasAppended = new Promise<void>((r) => (aAppended = r));

    const txA = store.transaction(async (tx) => {
      await tx.lock();
      await tx.append([event('mapping/m1', 1)], META);
      aAppended();
      await aMayCommit;
    });
    await aHasAppended;
    // B starts while A is open; it must not take a position that becomes visible before A's.
    const txB = store.transaction(async (tx) => {
      await tx.lock();
      await tx.append([event('idp/ca1', 1)], META);
    });
    await new Promise((r) => setTimeout(r, 100));
    const seenEarly = await store.readAfter(start);
    assert.equal(seenEarly.length, 0, 'nothing is visible while the first writer is open');
    let checkpoint = start;

    releaseA();
    await Promise.all([txA, txB]);
    const seen = await store.readAfter(checkpoint);
    assert.deepEqual(seen.map((e) => e.stream), ['mapping/m1', 'idp/ca1']);
    checkpoint = seen.at(-1)!.position;
    assert.ok(seen[0].position < seen[1].position);
  });

  test('the hash chain recomputes from what jsonb hands back (BR-26)', async () => {
    await store.transaction(async (tx) => {
      await tx.lock();
      // jsonb reorders these keys and drops the whitespace; the hash must not care.
      return tx.append([event('s:hash', 1, { zeta: 1, a: { long_key: 'é', b: [3, 2, 1] }, mm: null })], META);
    });
    let prev = GENESIS_HASH;
    for (const e of await store.readAfter(0)) {
      assert.equal(e.prev_hash, prev, `chain link at ${e.position}`);
      const recomputed = eventHash(prev, {
        position: e.position,
        stream_id: e.stream,
        stream_version: e.version,
        type: e.type,
        schema_version: e.schema_version,
        data: e.data,
        metadata: e.metadata,
        recorded_at: e.recorded_at,
      });
      assert.equal(recomputed, e.hash, `hash at ${e.position}`);
      prev = e.hash;
    }
  });
});

describe('migrations', () => {
  test('three replicas migrating one fresh database at once all start, each migration applied once (BR-35)', async (t) => {
    if (!(await onServer())) return t.skip('needs concurrent sessions of a PostgreSQL server');
    const db = await createTestDatabase();
    const sources = [1, 2, 3].map(() => createDataSource({ url: db.url, poolSize: 2 }));
    try {
      await Promise.all(sources.map((s) => s.initialize()));
      const results = await Promise.all(sources.map((s) => migrate(s)));
      assert.equal(results.flat().length, MIGRATIONS.length, 'each migration ran exactly once, in one replica');
      const rows = await sources[0].query('SELECT name, count(*)::int AS n FROM migrations GROUP BY name');
      assert.ok(rows.length > 0);
      for (const row of rows) assert.equal(row.n, 1);
    } finally {
      await Promise.all(sources.map((s) => (s.isInitialized ? s.destroy() : undefined)));
      await db.drop();
    }
  });
});
