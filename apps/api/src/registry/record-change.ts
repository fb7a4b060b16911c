import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import {
  DomainError,
  decide,
  type EventMetadata,
  type RecordedEvent,
  type RegistryCommand,
} from '../../../../libs/domain/src';
import { EventStore, StreamVersionConflict } from '../../../../libs/store/src';
import { RegistryIndexService } from './registry-index.service';

/** Record a change: decide its events on current state and append them. */
export class RecordChangeCommand {
  constructor(
    readonly change: RegistryCommand,
    readonly metadata: EventMetadata,
  ) {}
}

export interface ChangeRecorded {
  /** The log position after the change (unchanged when it recorded nothing). */
  position: number;
  events: RecordedEvent[];
}

const MAX_ATTEMPTS = 3;

@CommandHandler(RecordChangeCommand)
export class RecordChangeHandler implements ICommandHandler<RecordChangeCommand, ChangeRecorded> {
  constructor(
    private readonly store: EventStore,
    private readonly registry: RegistryIndexService,
  ) {}

  /**
   * Under the append lock the index catches up with every committed event,
   * the command is decided against that state, and its events are appended
   * with the next stream versions, all in one transaction. The index applies
   * them before the caller answers, so the next read or authorize sees them.
   */
  async execute({ change, metadata }: RecordChangeCommand): Promise<ChangeRecorded> {
    for (let attempt = 1; ; attempt++) {
      try {
        const events = await this.store.transaction(async (tx) => {
          await tx.lock();
          await this.registry.catchUp(tx);
          const state = this.registry.state;
          const pending = decide(state, change);
          const next = new Map<string, number>();
          const versioned = pending.map((event) => {
            const version = (next.get(event.stream) ?? state.version(event.stream)) + 1;
            next.set(event.stream, version);
            return { ...event, version };
          });
          return tx.append(versioned, metadata);
        });
        this.registry.applyAll(events);
        return { position: events.at(-1)?.position ?? this.registry.position, events };
      } catch (err) {
        // Only reachable if another writer bypassed the lock; the database's unique key caught it.
        if (err instanceof StreamVersionConflict) {
          if (attempt < MAX_ATTEMPTS) continue;
          throw new DomainError(409, 'Conflict', `Concurrent change to ${err.stream}; try again.`, 'version_conflict');
        }
        throw err;
      }
    }
  }
}
