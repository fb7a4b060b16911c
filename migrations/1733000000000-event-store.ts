import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The append-only event log. Positions are handed out under the append lock
 * (see libs/store), so commit order equals position order and a reader never
 * skips an event. The database itself refuses UPDATE, DELETE and TRUNCATE.
 */
export class EventStore1733000000000 implements MigrationInterface {
  name = 'EventStore1733000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE events (
        position       bigint PRIMARY KEY,
        stream_id      text NOT NULL,
        stream_version integer NOT NULL CHECK (stream_version > 0),
        type           text NOT NULL,
        schema_version integer NOT NULL DEFAULT 1,
        data           jsonb NOT NULL,
        metadata       jsonb NOT NULL,
        recorded_at    timestamptz NOT NULL,
        prev_hash      text NOT NULL,
        hash           text NOT NULL,
        CONSTRAINT events_stream_version_unique UNIQUE (stream_id, stream_version)
      )`);
    await q.query(`CREATE SEQUENCE events_position_seq OWNED BY events.position`);
    await q.query(`CREATE INDEX events_recorded_at_idx ON events (recorded_at)`);
    await q.query(`
      CREATE FUNCTION events_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'events is append-only: % refused', TG_OP
          USING ERRCODE = 'insufficient_privilege';
      END $$`);
    await q.query(`
      CREATE TRIGGER events_no_update_delete BEFORE UPDATE OR DELETE ON events
      FOR EACH ROW EXECUTE FUNCTION events_refuse_change()`);
    await q.query(`
      CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events
      FOR EACH STATEMENT EXECUTE FUNCTION events_refuse_change()`);
    await q.query(`
      CREATE TABLE checkpoints (
        name       text PRIMARY KEY,
        position   bigint NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE change_history (
        position       bigint PRIMARY KEY,
        recorded_at    timestamptz NOT NULL,
        event_type     text NOT NULL,
        resource_type  text NOT NULL,
        resource_id    text NOT NULL,
        actor          text NOT NULL,
        actor_kind     text NOT NULL,
        request_id     text,
        reason         text,
        client_address text,
        changes        jsonb NOT NULL
      )`);
    await q.query(`CREATE INDEX change_history_resource_idx ON change_history (resource_type, resource_id, position)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE change_history`);
    await q.query(`DROP TABLE checkpoints`);
    await q.query(`DROP TABLE events`);
    await q.query(`DROP FUNCTION events_refuse_change()`);
  }
}
