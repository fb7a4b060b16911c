import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Snapshots of the in-memory registry state, so a process starts from the
 * latest one and folds only the events after it. A snapshot is a cache of
 * the log, never a source of truth: deleting every row is always safe.
 */
export class Snapshots1733000000001 implements MigrationInterface {
  name = 'Snapshots1733000000001';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE snapshots (
        position       bigint NOT NULL,
        format_version integer NOT NULL,
        event_hash     text NOT NULL,
        state          text NOT NULL,
        created_at     timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (position, format_version)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE snapshots`);
  }
}
