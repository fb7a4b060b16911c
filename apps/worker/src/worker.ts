import { Client } from 'pg';
import type { DataSource } from 'typeorm';
import { EVENTS_CHANNEL, LOCKS } from '../../../libs/store/src';
import { GrantTimelineProjector } from './grant-timeline';
import { HistoryProjector } from './history-projector';

export interface WorkerOptions {
  dataSource: DataSource;
  /** A connection string for LISTEN and the leadership lock (a server, not the embedded database). */
  listenUrl?: string;
  pollIntervalMs: number;
  log: (fields: Record<string, unknown>) => void;
}

export interface RunningWorker {
  stop(): Promise<void>;
  /** Resolves when the projection has reached `position`. */
  projector: HistoryProjector;
  /** The audit's grant timeline, following the same log. */
  timeline: GrantTimelineProjector;
}

/**
 * Follows the log and keeps the change history current. With a server
 * database one worker at a time holds a session advisory lock; a second one
 * waits as a standby and takes over when the first goes away.
 */
export async function startWorker(opts: WorkerOptions): Promise<RunningWorker> {
  const projector = new HistoryProjector(opts.dataSource);
  const timeline = new GrantTimelineProjector(opts.dataSource);
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let client: Client | undefined;
  let running = false;

  const tick = async () => {
    if (stopped || running) return;
    running = true;
    try {
      await projector.catchUp();
    } catch (err) {
      opts.log({ level: 'warn', msg: 'history projection step failed; retrying', err: String(err) });
    }
    try {
      await timeline.catchUp();
    } catch (err) {
      opts.log({ level: 'warn', msg: 'grant timeline step failed; retrying', err: String(err) });
    } finally {
      running = false;
    }
  };

  const loop = () => {
    if (stopped) return;
    timer = setTimeout(() => void tick().finally(loop), opts.pollIntervalMs);
  };

  const lead = async () => {
    if (opts.listenUrl) {
      client = new Client({ connectionString: opts.listenUrl });
      client.on('error', (err) => opts.log({ level: 'warn', msg: 'worker connection error', err: err.message }));
      await client.connect();
      // Standby until this worker holds the lock; the lock dies with its session.
      for (;;) {
        const { rows } = await client.query('SELECT pg_try_advisory_lock($1) AS locked', [LOCKS.historyWorker]);
        if ((rows[0] as { locked: boolean }).locked) break;
        if (stopped) return;
        await new Promise((r) => setTimeout(r, 1000));
      }
      opts.log({ level: 'info', msg: 'worker holds the history projection' });
      await client.query(`LISTEN ${EVENTS_CHANNEL}`);
      client.on('notification', () => void tick());
    }
    await tick();
    loop();
  };
  const leading = lead().catch((err) => opts.log({ level: 'error', msg: 'worker failed to start', err: String(err) }));

  return {
    projector,
    timeline,
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await leading;
      while (running) await new Promise((r) => setTimeout(r, 10));
      await client?.end().catch(() => undefined);
    },
  };
}
