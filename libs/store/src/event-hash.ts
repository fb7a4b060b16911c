import { createHash } from 'node:crypto';
// RFC 8785 (JCS): the hash must survive jsonb's reordering of keys on read-back.
import canonicalize from 'canonicalize';

export const GENESIS_HASH = '0'.repeat(64);

export interface HashedFields {
  position: number;
  stream_id: string;
  stream_version: number;
  type: string;
  schema_version: number;
  data: unknown;
  metadata: unknown;
  recorded_at: string;
}

/** The hash chaining an event to the one before it: SHA-256 of the previous hash and the event's canonical JSON. */
export function eventHash(prevHash: string, fields: HashedFields): string {
  const body = canonicalize(fields);
  if (body === undefined) throw new Error('event cannot be serialised canonically');
  return createHash('sha256').update(prevHash).update('\n').update(body).digest('hex');
}
