import { Column, Entity, PrimaryColumn } from 'typeorm';

/** How far a follower of the log has got. */
@Entity({ name: 'checkpoints' })
export class CheckpointEntity {
  @PrimaryColumn('text')
  name!: string;

  @Column('bigint', { transformer: { to: (v: number) => v, from: (v: string) => Number(v) } })
  position!: number;

  @Column('timestamptz', { name: 'updated_at' })
  updatedAt!: Date;
}

/** One row per event: who changed which resource, when, why, and what changed. */
@Entity({ name: 'change_history' })
export class ChangeHistoryEntity {
  @PrimaryColumn('bigint', { transformer: { to: (v: number) => v, from: (v: string) => Number(v) } })
  position!: number;

  @Column('timestamptz', { name: 'recorded_at' })
  recordedAt!: Date;

  @Column('text', { name: 'event_type' })
  eventType!: string;

  @Column('text', { name: 'resource_type' })
  resourceType!: string;

  @Column('text', { name: 'resource_id' })
  resourceId!: string;

  @Column('text')
  actor!: string;

  @Column('text', { name: 'actor_kind' })
  actorKind!: string;

  @Column('text', { name: 'request_id', nullable: true })
  requestId!: string | null;

  @Column('text', { nullable: true })
  reason!: string | null;

  @Column('text', { name: 'client_address', nullable: true })
  clientAddress!: string | null;

  @Column('jsonb')
  changes!: Record<string, unknown>;
}
