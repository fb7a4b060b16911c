import type { DataSource, QueryRunner } from 'typeorm';
import type { EventMetadata, PendingEvent, RecordedEvent } from '../../domain/src';
import { GENESIS_HASH, eventHash } from './event-hash';
import { LOCKS } from './data-source';

/** An `events` row as pg returns it (bigint position as text). */
export interface EventRow {
  position: string;
  stream_id: string;
  stream_version: number;
  type: string;
  schema_version: number;
  data: unknown;
  metadata: EventMetadata;
  recorded_at: Date;
  prev_hash: string;
  hash: string;
}

/** The `events` columns an EventRow holds, in table order. */
export const EVENT_COLUMNS =
  'position, stream_id, stream_version, type, schema_version, data, metadata, recorded_at, prev_hash, hash';

export const EVENTS_CHANNEL = 'registry_events';

/** Rows per INSERT statement when a transaction appends many events. */
const INSERT_CHUNK = 2_000;

/** An `events` row as the event it records. */
export function toRecorded(row: EventRow): RecordedEvent {
  return {
    position: Number(row.position),
    stream: row.stream_id,
    version: row.stream_version,
    type: row.type,
    schema_version: row.schema_version,
    data: row.data,
    metadata: row.metadata,
    recorded_at: row.recorded_at.toISOString(),
    prev_hash: row.prev_hash,
    hash: row.hash,
  } as RecordedEvent;
}

/** Thrown when the database refuses an append because a stream moved on. */
export class StreamVersionConflict extends Error {
  constructor(readonly stream: string) {
    super(`stream ${stream} was changed concurrently`);
    this.name = 'StreamVersionConflict';
  }
}

/**
 * One transaction that appends to the log. `lock()` takes the global append
 * lock: while it is held nobody else can append, so positions are assigned
 * and committed in the same order, and the hash chain has one head.
 */
export class AppendTransaction {
  private locked = false;

  constructor(readonly runner: QueryRunner) {}

  async lock(): Promise<void> {
    if (this.locked) return;
    await this.runner.query('SELECT pg_advisory_xact_lock($1)', [LOCKS.append]);
    this.locked = true;
  }

  readAfter(position: number, limit = 10_000): Promise<RecordedEvent[]> {
    return readAfter(this.runner, position, limit);
  }

  /**
   * Appends events with the stream versions the caller computed from the
   * state it decided on. The unique (stream, version) key is the final
   * guard: a concurrent writer that slipped past makes this throw.
   */
  async append(
    events: (PendingEvent & { version: number })[],
    metadata: EventMetadata,
  ): Promise<RecordedEvent[]> {
    if (!this.locked) throw new Error('append requires the append lock');
    if (events.length === 0) return [];
    const head = (await this.runner.query(
      'SELECT hash, recorded_at FROM events ORDER BY position DESC LIMIT 1',
    )) as { hash: string; recorded_at: Date }[];
    let prevHash = head[0]?.hash ?? GENESIS_HASH;
    // Never earlier than the event before: as-of queries rely on time following position.
    const now = Math.max(Date.now(), head[0]?.recorded_at.getTime() ?? 0);
    const recordedAt = new Date(now).toISOString();
    // Every position in one round trip, then multi-row inserts: a large batch costs a few statements, not two per event.
    const positions = (
      (await this.runner.query(`SELECT nextval('events_position_seq') AS nextval FROM generate_series(1, $1)`, [
        events.length,
      ])) as { nextval: string }[]
    )
      .map((r) => Number(r.nextval))
      .sort((a, b) => a - b);
    const metadataJson = JSON.stringify(metadata);
    const recorded: RecordedEvent[] = [];
    const rows: unknown[][] = [[], [], [], [], [], [], [], [], []];
    events.forEach((event, i) => {
      const fields = {
        position: positions[i],
        stream_id: event.stream,
        stream_version: event.version,
        type: event.type,
        schema_version: 1,
        data: event.data,
        metadata,
        recorded_at: recordedAt,
      };
      const hash = eventHash(prevHash, fields);
      const values = [
        fields.position,
        fields.stream_id,
        fields.stream_version,
        fields.type,
        JSON.stringify(fields.data),
        metadataJson,
        recordedAt,
        prevHash,
        hash,
      ];
      values.forEach((v, c) => rows[c].push(v));
      recorded.push({
        ...event,
        position: fields.position,
        schema_version: 1,
        metadata,
        recorded_at: recordedAt,
        prev_hash: prevHash,
        hash,
      } as RecordedEvent);
      prevHash = hash;
    });
    for (let from = 0; from < events.length; from += INSERT_CHUNK) {
      const chunk = rows.map((column) => column.slice(from, from + INSERT_CHUNK));
      try {
        await this.runner.query(
          `INSERT INTO events (${EVENT_COLUMNS})
           SELECT p, s, v, t, 1, d::jsonb, m::jsonb, r::timestamptz, ph, h
             FROM unnest($1::bigint[], $2::text[], $3::int[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[])
                  AS x(p, s, v, t, d, m, r, ph, h)
            ORDER BY p`,
          chunk,
        );
      } catch (err) {
        if ((err as { code?: string }).code === '23505') {
          const detail = String((err as { detail?: string }).detail ?? '');
          const stream = /=\((.*), \d+\) already exists/.exec(detail)?.[1] ?? events[from].stream;
          throw new StreamVersionConflict(stream);
        }
        throw err;
      }
    }
    // Delivered at commit, never for a rolled-back append.
    await this.runner.query(`SELECT pg_notify($1, $2)`, [EVENTS_CHANNEL, String(recorded.at(-1)!.position)]);
    return recorded;
  }
}

export function readAfter(runner: QueryRunner | DataSource, position: number, limit: number): Promise<RecordedEvent[]> {
  return runner
    .query(`SELECT ${EVENT_COLUMNS} FROM events WHERE position > $1 ORDER BY position LIMIT $2`, [position, limit])
    .then((rows: EventRow[]) => rows.map(toRecorded));
}

/** The PostgreSQL event store: appends in locked transactions, reads by position. */
export class EventStore {
  constructor(readonly dataSource: DataSource) {}

  /** Runs `work` in one transaction; everything it appends commits or rolls back together. */
  async transaction<T>(work: (tx: AppendTransaction) => Promise<T>): Promise<T> {
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    try {
      await runner.startTransaction('READ COMMITTED');
      const result = await work(new AppendTransaction(runner));
      await runner.commitTransaction();
      return result;
    } catch (err) {
      if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
      throw err;
    } finally {
      await runner.release();
    }
  }

  readAfter(position: number, limit = 10_000): Promise<RecordedEvent[]> {
    return readAfter(this.dataSource, position, limit);
  }

  async readRange(fromExclusive: number, toInclusive: number, limit = 10_000): Promise<RecordedEvent[]> {
    const rows = (await this.dataSource.query(
      `SELECT ${EVENT_COLUMNS} FROM events WHERE position > $1 AND position <= $2 ORDER BY position LIMIT $3`,
      [fromExclusive, toInclusive, limit],
    )) as EventRow[];
    return rows.map(toRecorded);
  }

  async headPosition(): Promise<number> {
    const rows = (await this.dataSource.query('SELECT max(position) AS head FROM events')) as { head: string | null }[];
    return rows[0]?.head === null || rows[0]?.head === undefined ? 0 : Number(rows[0].head);
  }
}
