import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What the authorize endpoints have seen: an operational access log of
 * decisions, aggregated per identity (issuer DN, subject DN), scope, outcome
 * and roles, with first and last seen and a count. Not events: the log of
 * configuration changes stays in `events`; these rows are written in batches
 * by each API process.
 *
 * `key` is the SHA-256 of the aggregated fields (DNs can be long; a b-tree
 * key on them could exceed an index entry's size). `identity_id` is the
 * audit's identity id (tracked identities' too) for look-ups by DN.
 *
 * `audit_seen_identities` keeps, per identity whose issuer was trusted when
 * it was seen, the SSL_CLIENT_* attributes of its first decision, so the
 * grant timeline can follow it as it follows the identities mappings name;
 * `since_position` is set by the timeline when it starts following one.
 */
export class SeenDecisions1733150000000 implements MigrationInterface {
  name = 'SeenDecisions1733150000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE audit_seen_decisions (
        key         text PRIMARY KEY,
        identity_id text NOT NULL,
        issuer_dn   text NOT NULL,
        subject_dn  text NOT NULL,
        scope_type  text NOT NULL CHECK (scope_type IN ('project', 'domain', 'requested')),
        scope       text NOT NULL,
        outcome     text NOT NULL CHECK (outcome IN ('granted', 'refused')),
        reason      text,
        roles       text[] NOT NULL,
        first_seen  timestamptz NOT NULL,
        last_seen   timestamptz NOT NULL,
        count       bigint NOT NULL
      )`);
    await q.query(`CREATE INDEX audit_seen_decisions_identity_idx ON audit_seen_decisions (identity_id)`);
    await q.query(`CREATE INDEX audit_seen_decisions_last_seen_idx ON audit_seen_decisions (last_seen)`);
    await q.query(`
      CREATE TABLE audit_seen_identities (
        id             text PRIMARY KEY,
        issuer_dn      text NOT NULL,
        subject_dn     text NOT NULL,
        env            jsonb NOT NULL,
        first_seen     timestamptz NOT NULL,
        since_position bigint
      )`);
    await q.query(
      `CREATE INDEX audit_seen_identities_unfollowed_idx ON audit_seen_identities (first_seen) WHERE since_position IS NULL`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE audit_seen_identities`);
    await q.query(`DROP TABLE audit_seen_decisions`);
  }
}
