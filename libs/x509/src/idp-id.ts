/**
 * Keystone's identity provider id for X.509 tokenless authorization: the
 * lowercase hex SHA-256 of the UTF-8 bytes of the issuer string exactly as
 * the terminator passed it, with no "issuer=" label and no newline.
 */
import { createHash } from 'node:crypto';

export function idpIdFromIssuerString(issuer: string): string {
  return createHash('sha256').update(Buffer.from(issuer, 'utf8')).digest('hex');
}
