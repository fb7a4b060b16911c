import { createHash } from 'node:crypto';
import type { PoolClient } from 'pg';
import QueryStream from 'pg-query-stream';
import { stringify } from 'csv-stringify/sync';
import type { DataSource } from 'typeorm';
import type { RecordedEvent } from '../../../libs/domain/src';
import { EVENT_COLUMNS, GENESIS_HASH, eventHash, type EventRow } from '../../../libs/store/src';
import { changesOf } from './history-projector';
import { TIMELINE_PROJECTION } from './grant-timeline';

export type ExportFormat = 'csv' | 'jsonl';

/** What an export covers; stored in its manifest so `verify` can produce the same bytes again. */
export interface ExportPlan {
  format: ExportFormat;
  filters: { from: string | null; to: string | null };
  /** Events up to and including `to` (the log's head when the export started). */
  position_range: { to: number };
  hash_chain_head: { position: number; hash: string };
  /** The grant timeline as projected through this position (intervals closed later show as open). */
  timeline_through: number;
}

export interface ExportManifest extends ExportPlan {
  columns: string[];
  rows: number;
  sha256: string;
  generated_at: string;
}

export const EXPORT_COLUMNS = [
  'kind', 'position', 'recorded_at', 'event_type', 'stream', 'actor', 'actor_kind', 'reason', 'request_id', 'hash',
  'changes', 'identity_id', 'issuer', 'subject', 'target_type', 'target_id', 'roles', 'from', 'to',
  'closed_by_position', 'closed_by_event_type', 'closed_by_actor', 'closed_by_reason',
] as const;
const NUMERIC = new Set(['position', 'closed_by_position']);

type Cell = string | number | null;
export type ExportRecord = Record<(typeof EXPORT_COLUMNS)[number], Cell | string[]>;

/**
 * A text cell a spreadsheet could read as a formula gets one leading
 * apostrophe (and so does one already starting with an apostrophe, so
 * removing exactly one undoes it). Only text cells: numbers the exporter
 * produces are never touched.
 */
export function neutralise(value: string): string {
  return /^[=+\-@\t\r\n\0']/.test(value) ? `'${value}` : value;
}

// RFC 4180: CRLF between records; a cell with a CR or LF of its own is quoted too.
const CSV_OPTIONS = { record_delimiter: '\r\n', quoted_match: /[\r\n]/ } as const;

/** One record as the bytes the export writes for it. */
export function encodeRecord(record: ExportRecord, format: ExportFormat): string {
  if (format === 'jsonl') return `${JSON.stringify(record)}\n`;
  const cells = EXPORT_COLUMNS.map((c) => {
    const v = record[c];
    if (v === null) return '';
    if (NUMERIC.has(c)) return String(v);
    return neutralise(Array.isArray(v) ? v.join(' ') : String(v));
  });
  return stringify([cells], CSV_OPTIONS);
}

export function csvHeader(): string {
  return stringify([[...EXPORT_COLUMNS]], CSV_OPTIONS);
}

/** A grant_intervals row joined with its identity's DNs, as SQL returns it. */
export interface IntervalRow {
  identity_id: string;
  issuer_dn: string;
  subject_dn: string;
  target_type: 'project' | 'domain';
  target_id: string;
  roles: string[];
  from_position: string;
  from_at: Date;
  from_event_type: string;
  from_actor: string;
  from_reason: string | null;
  to_position: string | null;
  to_at: Date | null;
  to_event_type: string | null;
  to_actor: string | null;
  to_reason: string | null;
}

function stream<T>(client: PoolClient, text: string, values: unknown[]): AsyncIterable<T> {
  return client.query(new QueryStream(text, values, { batchSize: 1000 })) as unknown as AsyncIterable<T>;
}

function changeRecord(row: EventRow): ExportRecord {
  const event = { type: row.type, data: row.data } as unknown as RecordedEvent;
  return {
    kind: 'change',
    position: Number(row.position),
    recorded_at: row.recorded_at.toISOString(),
    event_type: row.type,
    stream: row.stream_id,
    actor: row.metadata.actor,
    actor_kind: row.metadata.actor_kind,
    reason: row.metadata.reason ?? null,
    request_id: row.metadata.request_id ?? null,
    hash: row.hash,
    changes: JSON.stringify(changesOf(event)),
    identity_id: null, issuer: null, subject: null, target_type: null, target_id: null, roles: null, from: null, to: null,
    closed_by_position: null, closed_by_event_type: null, closed_by_actor: null, closed_by_reason: null,
  };
}

function intervalRecord(row: IntervalRow): ExportRecord {
  return {
    kind: 'grant',
    position: Number(row.from_position),
    recorded_at: row.from_at.toISOString(),
    event_type: row.from_event_type,
    stream: null,
    actor: row.from_actor,
    actor_kind: null,
    reason: row.from_reason,
    request_id: null,
    hash: null,
    changes: null,
    identity_id: row.identity_id,
    issuer: row.issuer_dn,
    subject: row.subject_dn,
    target_type: row.target_type,
    target_id: row.target_id,
    roles: row.roles,
    from: row.from_at.toISOString(),
    to: row.to_at ? row.to_at.toISOString() : null,
    closed_by_position: row.to_position === null ? null : Number(row.to_position),
    closed_by_event_type: row.to_event_type,
    closed_by_actor: row.to_actor,
    closed_by_reason: row.to_reason,
  };
}

/**
 * One export, read in a single repeatable-read snapshot with server-side
 * cursors (memory stays constant whatever the size): the events in the
 * window as change rows in position order, then the grant intervals that
 * overlap it, ordered by opening position, identity and scope. Given the
 * same plan, the rows come out byte for byte the same.
 */
export class AuditExport {
  private constructor(
    private readonly client: PoolClient,
    private readonly release: () => Promise<void>,
    readonly plan: ExportPlan,
  ) {}

  /** Opens the snapshot; without `plan` the export covers the log as it is now. */
  static async open(
    dataSource: DataSource,
    request: { format: ExportFormat; from?: string | null; to?: string | null } | { plan: ExportPlan },
  ): Promise<AuditExport> {
    const runner = dataSource.createQueryRunner();
    const client = (await runner.connect()) as PoolClient;
    const release = async () => {
      await client.query('COMMIT').catch(() => undefined);
      await runner.release();
    };
    try {
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      let plan: ExportPlan;
      if ('plan' in request) {
        plan = request.plan;
      } else {
        const head = await client.query<{ position: string; hash: string }>(
          'SELECT position, hash FROM events ORDER BY position DESC LIMIT 1',
        );
        const checkpoint = await client.query<{ position: string }>(
          'SELECT position FROM checkpoints WHERE name = $1',
          [TIMELINE_PROJECTION],
        );
        const headPosition = head.rows.length > 0 ? Number(head.rows[0].position) : 0;
        plan = {
          format: request.format,
          filters: { from: request.from ?? null, to: request.to ?? null },
          position_range: { to: headPosition },
          hash_chain_head: { position: headPosition, hash: head.rows[0]?.hash ?? GENESIS_HASH },
          timeline_through: Math.min(headPosition, checkpoint.rows.length > 0 ? Number(checkpoint.rows[0].position) : 0),
        };
      }
      return new AuditExport(client, release, plan);
    } catch (err) {
      await release();
      throw err;
    }
  }

  async close(): Promise<void> {
    await this.release();
  }

  /** The records in export order. */
  async *records(): AsyncGenerator<ExportRecord> {
    const { from, to } = this.plan.filters;
    const upTo = this.plan.position_range.to;
    const through = this.plan.timeline_through;
    for await (const row of stream<EventRow>(
      this.client,
      `SELECT ${EVENT_COLUMNS}
       FROM events
       WHERE position <= $1 AND ($2::timestamptz IS NULL OR recorded_at >= $2) AND ($3::timestamptz IS NULL OR recorded_at < $3)
       ORDER BY position`,
      [upTo, from, to],
    )) {
      yield changeRecord(row);
    }
    // Intervals as the timeline stood at `through`: a later close is not shown. An identity authorize has
    // seen joins the timeline without an event; it is exported once the log has moved past where it joined,
    // so that an export made before it joined still verifies.
    for await (const row of stream<IntervalRow>(
      this.client,
      `SELECT i.identity_id, a.issuer_dn, a.subject_dn, i.target_type, i.target_id, i.roles, i.from_position, i.from_at,
              i.from_event_type, i.from_actor, i.from_reason,
              CASE WHEN i.to_position <= $1 THEN i.to_position END AS to_position,
              CASE WHEN i.to_position <= $1 THEN i.to_at END AS to_at,
              CASE WHEN i.to_position <= $1 THEN i.to_event_type END AS to_event_type,
              CASE WHEN i.to_position <= $1 THEN i.to_actor END AS to_actor,
              CASE WHEN i.to_position <= $1 THEN i.to_reason END AS to_reason
       FROM grant_intervals i JOIN audit_identities a ON a.id = i.identity_id
       WHERE i.from_position <= $1
         AND (a.source <> 'seen' OR a.since_position < $1)
         AND ($3::timestamptz IS NULL OR i.from_at < $3)
         AND ($2::timestamptz IS NULL OR i.to_position IS NULL OR i.to_position > $1 OR i.to_at > $2)
       ORDER BY i.from_position, i.identity_id, i.target_type, i.target_id`,
      [through, from, to],
    )) {
      yield intervalRecord(row);
    }
  }

  /** The file's bytes, chunk by chunk (a header first for CSV), each with the position of its row. */
  async *chunks(): AsyncGenerator<{ text: string; position: number | null }> {
    if (this.plan.format === 'csv') yield { text: csvHeader(), position: null };
    for await (const record of this.records()) {
      yield { text: encodeRecord(record, this.plan.format), position: record.position as number };
    }
  }
}

/** Writes an export through `write`, hashing the bytes as written; returns its manifest. */
export async function writeExport(
  exp: AuditExport,
  write: (chunk: Buffer) => Promise<void> | void,
  onRow?: (rows: number) => void,
): Promise<ExportManifest> {
  const sha = createHash('sha256');
  let rows = 0;
  for await (const { text, position } of exp.chunks()) {
    const bytes = Buffer.from(text, 'utf8');
    sha.update(bytes);
    await write(bytes);
    if (position !== null) {
      rows++;
      onRow?.(rows);
    }
  }
  return {
    ...exp.plan,
    columns: [...EXPORT_COLUMNS],
    rows,
    sha256: sha.digest('hex'),
    generated_at: new Date().toISOString(),
  };
}

/** The first event whose stored hashes do not follow from its content and the one before it. */
export async function verifyHashChain(
  dataSource: DataSource,
  onEvent?: (count: number) => void,
): Promise<{ ok: boolean; events: number; head: string; first_bad_position: number | null; problem?: string }> {
  const runner = dataSource.createQueryRunner();
  const client = (await runner.connect()) as PoolClient;
  try {
    let prev = GENESIS_HASH;
    let count = 0;
    for await (const row of stream<EventRow>(
      client,
      `SELECT ${EVENT_COLUMNS} FROM events ORDER BY position`,
      [],
    )) {
      count++;
      onEvent?.(count);
      const position = Number(row.position);
      if (row.prev_hash !== prev) {
        return { ok: false, events: count, head: prev, first_bad_position: position, problem: 'prev_hash does not match the event before' };
      }
      const expected = eventHash(prev, {
        position,
        stream_id: row.stream_id,
        stream_version: row.stream_version,
        type: row.type,
        schema_version: row.schema_version,
        data: row.data,
        metadata: row.metadata,
        recorded_at: row.recorded_at.toISOString(),
      });
      if (expected !== row.hash) {
        return { ok: false, events: count, head: prev, first_bad_position: position, problem: 'content does not match its hash' };
      }
      prev = row.hash;
    }
    return { ok: true, events: count, head: prev, first_bad_position: null };
  } finally {
    await runner.release();
  }
}
