import { createHash, randomBytes } from 'node:crypto';
import type { ApiToken, ApiTokenRole } from '../../../../libs/domain/src';
import { newId } from '../registry/changes.service';

/** Registry API token secrets start with this, so they are easy to spot in a leak scan. */
export const SECRET_PREFIX = 'tlr_';

/** Hex SHA-256 of a secret: the only form in which a secret is stored. */
export function secretSha256(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** A new token with 256 random bits of secret; the secret is returned once and never recorded. */
export function mintApiToken(name: string, role: ApiTokenRole): { token: ApiToken; secret: string } {
  const secret = SECRET_PREFIX + randomBytes(32).toString('base64url');
  return { token: { id: newId(), name, role, secret_sha256: secretSha256(secret) }, secret };
}

/** A token as listed: never its hash, never its secret. */
export function presentApiToken(token: ApiToken) {
  return { id: token.id, name: token.name, role: token.role };
}
