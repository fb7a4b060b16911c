import type { DataSource } from 'typeorm';

export interface StoredSnapshot {
  position: number;
  formatVersion: number;
  /** The hash of the event at `position`: a snapshot of some other log is never used. */
  eventHash: string;
  state: string;
}

/** How many snapshots are kept; older ones are deleted when a new one is written. */
const KEEP = 2;

/** Writes a snapshot (a second writer of the same position is ignored) and prunes old ones. */
export async function saveSnapshot(ds: DataSource, snapshot: StoredSnapshot): Promise<void> {
  await ds.query(
    `INSERT INTO snapshots (position, format_version, event_hash, state) VALUES ($1, $2, $3, $4)
     ON CONFLICT (position, format_version) DO NOTHING`,
    [snapshot.position, snapshot.formatVersion, snapshot.eventHash, snapshot.state],
  );
  await ds.query(
    `DELETE FROM snapshots WHERE format_version = $1 AND position < (
       SELECT min(position) FROM (
         SELECT position FROM snapshots WHERE format_version = $1 ORDER BY position DESC LIMIT $2) AS kept)`,
    [snapshot.formatVersion, KEEP],
  );
}

/**
 * The newest snapshot of this format whose position still holds the event
 * it was taken after; snapshots of other formats are ignored.
 */
export async function latestSnapshot(ds: DataSource, formatVersion: number): Promise<StoredSnapshot | undefined> {
  const rows = (await ds.query(
    `SELECT s.position, s.format_version, s.event_hash, s.state
       FROM snapshots s JOIN events e ON e.position = s.position AND e.hash = s.event_hash
      WHERE s.format_version = $1
      ORDER BY s.position DESC LIMIT 1`,
    [formatVersion],
  )) as { position: string; format_version: number; event_hash: string; state: string }[];
  const row = rows[0];
  if (!row) return undefined;
  return { position: Number(row.position), formatVersion: row.format_version, eventHash: row.event_hash, state: row.state };
}
