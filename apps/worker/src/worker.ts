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
  /** Whether this worker is the one projecting now (always, without a server to share). */
  isLeader(): boolean;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Follows the log and keeps the change history and the grant timeline
 * current. With a server database one worker at a time holds a session
 * advisory lock; the others wait as standbys. The lock lives and dies with
 * its session, so a worker whose session ends (killed, network, server
 * restart) stops projecting at once and goes back to standing by with a new
 * session; whichever worker takes the lock next carries on from the
 * checkpoints.
 */
export async function startWorker(opts: WorkerOptions): Promise<RunningWorker> {
  const projector = new HistoryProjector(opts.dataSource);
  const timeline = new GrantTimelineProjector(opts.dataSource);
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let client: Client | undefined;
  let running = false;
  /** Without a server there is nobody to share with: this worker always leads. */
  let leader = opts.listenUrl === undefined;
  let wakeStop: () => void = () => undefined;
  const stopping = new Promise<void>((r) => (wakeStop = r));

  const tick = async () => {
    if (stopped || running || !leader) return;
    running = true;
    try {
      await projector.catchUp();
    } catch (err) {
      opts.log({ level: 'warn', msg: 'history projection step failed; retrying', err: String(err) });
    }
    try {
      if (leader) await timeline.catchUp();
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

  /** One session: stand by until it holds the lock, then lead until the session ends. */
  const session = async (url: string) => {
    const c = new Client({ connectionString: url });
    client = c;
    let ended!: (reason: string) => void;
    const lost = new Promise<string>((r) => (ended = r));
    c.on('error', (err) => {
      leader = false;
      ended(err.message);
    });
    c.on('end', () => {
      leader = false;
      ended('session ended');
    });
    try {
      await c.connect();
      for (;;) {
        if (stopped) return;
        const { rows } = await c.query('SELECT pg_try_advisory_lock($1) AS locked', [LOCKS.historyWorker]);
        if ((rows[0] as { locked: boolean }).locked) break;
        const why = await Promise.race([sleep(1000).then(() => undefined), lost, stopping.then(() => undefined)]);
        if (why !== undefined) throw new Error(why);
      }
      await c.query(`LISTEN ${EVENTS_CHANNEL}`);
      c.on('notification', () => void tick());
      leader = true;
      opts.log({ level: 'info', msg: 'worker holds the history projection' });
      void tick();
      const why = await Promise.race([lost, stopping.then(() => undefined)]);
      if (why !== undefined) throw new Error(why);
    } finally {
      leader = false;
      client = undefined;
      await c.end().catch(() => undefined);
    }
  };

  const lead = async () => {
    if (!opts.listenUrl) {
      await tick();
      loop();
      return;
    }
    loop();
    while (!stopped) {
      try {
        await session(opts.listenUrl);
      } catch (err) {
        if (stopped) return;
        opts.log({ level: 'warn', msg: 'worker lost its database session; standing by again', err: String(err) });
        await Promise.race([sleep(1000), stopping]);
      }
    }
  };
  const leading = lead().catch((err) => opts.log({ level: 'error', msg: 'worker stopped', err: String(err) }));

  return {
    projector,
    timeline,
    isLeader: () => leader,
    async stop() {
      stopped = true;
      wakeStop();
      if (timer) clearTimeout(timer);
      await leading;
      while (running) await new Promise((r) => setTimeout(r, 10));
      await client?.end().catch(() => undefined);
    },
  };
}
