import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AuthorizationIndex, RegistryState } from '../../../../libs/domain/src';
import { EventStore } from '../../../../libs/store/src';

const BATCH = 10_000;
/** How many past states are kept; each is a full copy of the registry. */
const CACHED_STATES = 4;

export interface PastIndex {
  index: AuthorizationIndex;
  position: number;
  recorded_at: string | null;
}

/**
 * The registry as it was at a past position, folded from the log. A few
 * recently built states are kept (least recently used goes first); a request
 * for a later position continues from the nearest cached state below it
 * instead of replaying from the start. A state is taken out of the cache
 * while it is being folded forward, so two requests never share one that moves.
 */
@Injectable()
export class PointInTimeService {
  private readonly cache = new Map<number, AuthorizationIndex>();

  constructor(
    private readonly store: EventStore,
    private readonly dataSource: DataSource,
  ) {}

  /** The position of the last event recorded at or before `instant` (0 before the first). */
  async positionAt(instant: Date): Promise<number> {
    const rows = (await this.dataSource.query(
      'SELECT max(position) AS position FROM events WHERE recorded_at <= $1',
      [instant.toISOString()],
    )) as { position: string | null }[];
    return rows[0]?.position == null ? 0 : Number(rows[0].position);
  }

  /** The authorization index over the state right after `position` (which must be committed). */
  async at(position: number): Promise<PastIndex> {
    const hit = this.cache.get(position);
    if (hit) {
      this.touch(position, hit);
      return this.answer(hit);
    }
    let base: AuthorizationIndex | undefined;
    let basePosition = -1;
    for (const [p, index] of this.cache) {
      if (p < position && p > basePosition) {
        base = index;
        basePosition = p;
      }
    }
    if (base) this.cache.delete(basePosition);
    const index = base ?? new AuthorizationIndex(RegistryState.withDefaultDomain());
    for (;;) {
      const from = index.state.position;
      const batch = await this.store.readRange(from, position, BATCH);
      for (const event of batch) index.state.applyRecorded(event);
      if (batch.length < BATCH) break;
    }
    // Positions with no event (a rolled-back append) fold to the state before them.
    this.touch(position, index);
    return this.answer(index);
  }

  private answer(index: AuthorizationIndex): PastIndex {
    return { index, position: index.state.position, recorded_at: index.state.lastRecordedAt };
  }

  private touch(position: number, index: AuthorizationIndex): void {
    this.cache.delete(position);
    this.cache.set(position, index);
    while (this.cache.size > CACHED_STATES) this.cache.delete(this.cache.keys().next().value as number);
  }
}
