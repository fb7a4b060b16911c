import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { Client } from 'pg';
import {
  AuthorizationIndex,
  RegistryState,
  SNAPSHOT_FORMAT_VERSION,
  deserializeState,
  serializeState,
  type RecordedEvent,
} from '../../../../libs/domain/src';
import {
  EVENTS_CHANNEL,
  EventStore,
  latestSnapshot,
  saveSnapshot,
  type AppendTransaction,
} from '../../../../libs/store/src';
import { REGISTRY_CONFIG, type RegistryConfig } from '../config';

const BATCH = 10_000;

/**
 * This process's copy of the registry: the state folded from the log and
 * the authorization index over it. It follows the log by position (the
 * source of truth), woken early by LISTEN/NOTIFY where the database
 * delivers it; notifications may be lost, polling never is.
 */
@Injectable()
export class RegistryIndexService implements OnApplicationShutdown {
  private readonly logger = new Logger(RegistryIndexService.name);
  readonly state = RegistryState.withDefaultDomain();
  readonly index = new AuthorizationIndex(this.state);
  private waiters: { position: number; resolve: () => void }[] = [];
  private timer?: NodeJS.Timeout;
  private listener?: Client;
  private stopped = false;
  /** The hash of the last applied event: a snapshot records which log it belongs to. */
  private lastHash = '';
  private snapshotAt = 0;
  private snapshotting = false;
  /** Where the index started from: 'snapshot' (with its position) or 'log'. */
  startedFrom: { source: 'snapshot' | 'log'; snapshot_position: number } = { source: 'log', snapshot_position: 0 };

  constructor(
    private readonly store: EventStore,
    @Inject(REGISTRY_CONFIG) private readonly config: RegistryConfig,
  ) {}

  get position(): number {
    return this.state.position;
  }

  /** Loads the latest usable snapshot and the log after it, then keeps following the log. */
  async start(listenUrl?: string): Promise<void> {
    await this.loadSnapshot();
    await this.catchUp();
    this.maybeSnapshot();
    if (listenUrl) await this.listen(listenUrl);
    this.schedulePoll();
  }

  /**
   * Applies, in order, every committed event this process has not seen.
   * Each read returns every event after the position it started from, and
   * applying is synchronous and skips what is already applied, so
   * concurrent catch-ups need no lock (and cannot wait on each other).
   */
  async catchUp(tx?: AppendTransaction): Promise<number> {
    for (;;) {
      const from = this.state.position;
      const batch = tx ? await tx.readAfter(from, BATCH) : await this.store.readAfter(from, BATCH);
      this.applyAll(batch);
      if (batch.length < BATCH) break;
    }
    return this.state.position;
  }

  /** Applies events this process just committed itself (or read from the log). */
  applyAll(events: RecordedEvent[]): void {
    for (const event of events) if (this.state.applyRecorded(event)) this.lastHash = event.hash;
    this.release();
  }

  /**
   * Seeds the state from the newest snapshot of a known format that belongs
   * to this log; a snapshot that cannot be read is ignored (the log is the truth).
   */
  private async loadSnapshot(): Promise<void> {
    if (this.state.position > 0) return;
    try {
      const snapshot = await latestSnapshot(this.store.dataSource, SNAPSHOT_FORMAT_VERSION);
      if (!snapshot) return;
      deserializeState(snapshot.state, this.state);
      this.lastHash = snapshot.eventHash;
      this.snapshotAt = snapshot.position;
      this.startedFrom = { source: 'snapshot', snapshot_position: snapshot.position };
      this.logger.log({ msg: 'state loaded from snapshot', position: snapshot.position });
    } catch (err) {
      this.logger.warn(`snapshot ignored: ${String(err)}`);
    }
  }

  /** Writes a snapshot once `snapshotEvery` events have been applied since the last one. */
  private maybeSnapshot(): void {
    const every = this.config.snapshotEvery;
    if (!every || this.snapshotting || this.stopped || this.state.position - this.snapshotAt < every) return;
    this.snapshotting = true;
    const position = this.state.position;
    const eventHash = this.lastHash;
    // Serialised synchronously, so the text is the state at exactly `position`.
    const text = serializeState(this.state);
    saveSnapshot(this.store.dataSource, { position, formatVersion: SNAPSHOT_FORMAT_VERSION, eventHash, state: text })
      .then(() => {
        this.snapshotAt = position;
        this.logger.log({ msg: 'snapshot written', position, bytes: text.length });
      })
      .catch((err) => this.logger.warn(`writing a snapshot failed: ${String(err)}`))
      .finally(() => (this.snapshotting = false));
  }

  /**
   * True once the index has applied `position`; false at once when the log
   * itself has not reached it, or after `timeoutMs` when the log cannot be read.
   */
  async waitFor(position: number, timeoutMs: number): Promise<boolean> {
    if (this.state.position >= position) return true;
    return new Promise<boolean>((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const finish = (reached: boolean) => {
        if (timer) clearTimeout(timer);
        this.waiters = this.waiters.filter((w) => w !== waiter);
        resolve(reached);
      };
      // Whichever applies the position first answers: a catch-up already
      // under way (woken by a notification), or the one started here.
      const waiter = { position, resolve: () => finish(true) };
      this.waiters.push(waiter);
      // This read starts after the request arrived. A position a write has
      // answered with was committed before that answer, so the read finds
      // it; one the log does not hold yet no write has answered with, and is
      // not waited for.
      this.catchUp().then(
        (head) => finish(head >= position || this.state.position >= position),
        (err: unknown) => {
          // The log cannot be read: notifications or polling may still bring the position, for a while.
          this.logger.warn(`catch-up failed: ${String(err)}`);
          timer = setTimeout(() => finish(this.state.position >= position), timeoutMs);
          timer.unref();
        },
      );
    });
  }

  private release(): void {
    if (this.waiters.length === 0) return;
    const ready = this.waiters.filter((w) => w.position <= this.state.position);
    this.waiters = this.waiters.filter((w) => w.position > this.state.position);
    for (const w of ready) w.resolve();
  }

  private schedulePoll(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.catchUp()
        .then(() => this.maybeSnapshot())
        .catch((err) => this.logger.warn(`polling the log failed: ${String(err)}`))
        .finally(() => this.schedulePoll());
    }, this.config.pollIntervalMs);
    this.timer.unref();
  }

  private async listen(url: string): Promise<void> {
    const client = new Client({ connectionString: url });
    client.on('error', (err) => this.logger.warn(`event notifications lost: ${err.message}; polling continues`));
    await client.connect();
    await client.query(`LISTEN ${EVENTS_CHANNEL}`);
    client.on('notification', () => {
      void this.catchUp().catch((err) => this.logger.warn(`catch-up failed: ${String(err)}`));
    });
    this.listener = client;
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.listener?.end().catch(() => undefined);
  }
}
