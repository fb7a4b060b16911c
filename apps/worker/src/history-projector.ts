import type { DataSource, QueryRunner } from 'typeorm';
import type { RecordedEvent } from '../../../libs/domain/src';
import { readAfter } from '../../../libs/store/src';

export const HISTORY_PROJECTION = 'change_history';

export interface HistoryRow {
  position: number;
  recorded_at: string;
  event_type: string;
  resource_type: string;
  resource_id: string;
  actor: string;
  actor_kind: string;
  request_id: string | null;
  reason: string | null;
  client_address: string | null;
  changes: Record<string, unknown>;
}

/** What an event changed, as `{field: {from, to}}` for updates and the facts themselves otherwise. */
export function changesOf(event: RecordedEvent): Record<string, unknown> {
  const data = event.data as Record<string, unknown>;
  if ('changes' in data && 'previous' in data) {
    const changes = data.changes as Record<string, unknown>;
    const previous = data.previous as Record<string, unknown>;
    return Object.fromEntries(Object.keys(changes).map((k) => [k, { from: previous[k] ?? null, to: changes[k] }]));
  }
  if (event.type === 'MappingReplaced') {
    const d = event.data;
    return { rules: { from: d.previous_rules, to: d.rules }, options: { from: d.previous_options, to: d.options } };
  }
  if (event.type === 'ProtocolUpdated') {
    return { mapping_id: { from: event.data.previous_mapping_id, to: event.data.mapping_id } };
  }
  if (event.type === 'TokenlessSettingsReplaced') {
    const { settings, previous } = event.data;
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(settings) as (keyof typeof settings)[]) {
      if (JSON.stringify(settings[key]) !== JSON.stringify(previous[key])) out[key] = { from: previous[key], to: settings[key] };
    }
    return out;
  }
  return data;
}

export function historyRow(event: RecordedEvent): HistoryRow {
  const colon = event.stream.indexOf(':');
  return {
    position: event.position,
    recorded_at: event.recorded_at,
    event_type: event.type,
    resource_type: event.stream.slice(0, colon),
    resource_id: event.stream.slice(colon + 1),
    actor: event.metadata.actor,
    actor_kind: event.metadata.actor_kind,
    request_id: event.metadata.request_id ?? null,
    reason: event.metadata.reason ?? null,
    client_address: event.metadata.client_address ?? null,
    changes: changesOf(event),
  };
}

/**
 * Folds the log into `change_history`, one row per event. Each batch and
 * the checkpoint that follows it commit together, so a worker killed at any
 * point resumes after the last committed batch and writes nothing twice.
 */
export class HistoryProjector {
  constructor(
    private readonly dataSource: DataSource,
    private readonly batchSize = 1000,
  ) {}

  /** Projects one batch; returns how many events it applied. */
  async step(): Promise<number> {
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    try {
      await runner.startTransaction();
      const checkpoint = await this.lockCheckpoint(runner);
      const events = await readAfter(runner, checkpoint, this.batchSize);
      for (const event of events) await this.insert(runner, historyRow(event));
      if (events.length > 0) {
        await runner.query('UPDATE checkpoints SET position = $2, updated_at = now() WHERE name = $1', [
          HISTORY_PROJECTION,
          events.at(-1)!.position,
        ]);
      }
      await runner.commitTransaction();
      return events.length;
    } catch (err) {
      if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
      throw err;
    } finally {
      await runner.release();
    }
  }

  /** Projects until the log is exhausted; returns the checkpoint reached. */
  async catchUp(): Promise<number> {
    while ((await this.step()) > 0) {
      // keep going
    }
    return this.checkpoint();
  }

  async checkpoint(): Promise<number> {
    const rows = (await this.dataSource.query('SELECT position FROM checkpoints WHERE name = $1', [
      HISTORY_PROJECTION,
    ])) as { position: string }[];
    return rows.length > 0 ? Number(rows[0].position) : 0;
  }

  private async lockCheckpoint(runner: QueryRunner): Promise<number> {
    await runner.query(
      'INSERT INTO checkpoints (name, position) VALUES ($1, 0) ON CONFLICT (name) DO NOTHING',
      [HISTORY_PROJECTION],
    );
    const rows = (await runner.query('SELECT position FROM checkpoints WHERE name = $1 FOR UPDATE', [
      HISTORY_PROJECTION,
    ])) as { position: string }[];
    return Number(rows[0].position);
  }

  private async insert(runner: QueryRunner, row: HistoryRow): Promise<void> {
    await runner.query(
      `INSERT INTO change_history (position, recorded_at, event_type, resource_type, resource_id, actor, actor_kind,
         request_id, reason, client_address, changes)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
       ON CONFLICT (position) DO NOTHING`,
      [
        row.position,
        row.recorded_at,
        row.event_type,
        row.resource_type,
        row.resource_id,
        row.actor,
        row.actor_kind,
        row.request_id,
        row.reason,
        row.client_address,
        JSON.stringify(row.changes),
      ],
    );
  }
}
