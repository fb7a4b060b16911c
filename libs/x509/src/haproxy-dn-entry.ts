/**
 * HAProxy's `ssl_c_s_dn(<entry>[,<occ>])` / `ssl_c_i_dn(...)` for any entry,
 * as the header value it would produce. The guide uses (cn) and (o); a
 * mapping may want others (dc, uid, emailAddress, an OID).
 */
import { bytesToText } from './bytes';
import { CertificateInput } from './certificate-input';
import { readCertificate } from './client-certificate';
import { haproxyDnEntryBytes } from './dn-haproxy-formats';
import { encodeHeaderValue } from './haproxy-encoding';

export function haproxyDnEntry(
  input: CertificateInput,
  name: 'subject' | 'issuer',
  entry: string,
  occurrence = 1,
): string {
  const cert = readCertificate(input);
  const value = haproxyDnEntryBytes(name === 'subject' ? cert.subject : cert.issuer, entry, occurrence);
  return value === undefined ? '' : bytesToText(encodeHeaderValue(value));
}
