import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The audit worker's grant timeline: the identities it follows and, per
 * identity and scope, the intervals during which it held a set of roles,
 * each opened and closed by an event of the log. Rebuilt from the log alone
 * (its checkpoint lives in `checkpoints` as `grant_timeline`).
 */
export class GrantTimeline1733100000000 implements MigrationInterface {
  name = 'GrantTimeline1733100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE audit_identities (
        id             text PRIMARY KEY,
        issuer_dn      text NOT NULL,
        subject_dn     text NOT NULL,
        source         text NOT NULL,
        label          text,
        env            jsonb NOT NULL,
        since_position bigint NOT NULL
      )`);
    // Every identity a mapping in use ever named; the timeline keeps following them.
    await q.query(`
      CREATE TABLE audit_named_identities (
        id             text PRIMARY KEY,
        issuer_dn      text NOT NULL,
        subject_dn     text NOT NULL,
        label          text,
        env            jsonb NOT NULL,
        since_position bigint NOT NULL
      )`);
    await q.query(`CREATE INDEX audit_identities_dn_idx ON audit_identities (issuer_dn, subject_dn)`);
    await q.query(`
      CREATE TABLE grant_intervals (
        identity_id     text NOT NULL,
        target_type     text NOT NULL CHECK (target_type IN ('project', 'domain')),
        target_id       text NOT NULL,
        roles           text[] NOT NULL,
        from_position   bigint NOT NULL,
        from_at         timestamptz NOT NULL,
        from_event_type text NOT NULL,
        from_actor      text NOT NULL,
        from_reason     text,
        to_position     bigint,
        to_at           timestamptz,
        to_event_type   text,
        to_actor        text,
        to_reason       text,
        PRIMARY KEY (identity_id, target_type, target_id, from_position)
      )`);
    await q.query(`CREATE INDEX grant_intervals_target_idx ON grant_intervals (target_type, target_id, from_position)`);
    await q.query(`CREATE INDEX grant_intervals_open_idx ON grant_intervals (identity_id) WHERE to_position IS NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE grant_intervals`);
    await q.query(`DROP TABLE audit_identities`);
    await q.query(`DROP TABLE audit_named_identities`);
    await q.query(`DELETE FROM checkpoints WHERE name = 'grant_timeline'`);
  }
}
