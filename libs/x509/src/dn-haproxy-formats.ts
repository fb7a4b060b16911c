/**
 * HAProxy 2.6's own DN fetches. ssl_c_s_dn / ssl_c_i_dn without arguments
 * build "/name=value" for every entry with the raw content octets and "/"
 * even inside a multi-valued RDN (so the grouping is lost);
 * ssl_c_s_dn(<entry>[,<occ>]) returns one raw value. The rfc2253 variants
 * are OpenSSL's, see dn-openssl-formats.ts.
 */
import { ByteSink } from './bytes';
import { DistinguishedName, NameEntry } from './distinguished-name';
import { truncateOidText } from './object-identifier';

/** HAProxy prints unknown types into a 128-byte buffer. */
function entryName(entry: NameEntry): string {
  return entry.shortName ?? truncateOidText(entry.oid, 128);
}

/** ssl_sock_get_dn_oneline, before header encoding. */
export function haproxyOnelineBytes(name: DistinguishedName): Uint8Array {
  const out = new ByteSink();
  for (const entry of name) {
    out.pushAscii('/' + entryName(entry) + '=');
    out.pushBytes(entry.value.data);
  }
  return out.toBytes();
}

/**
 * ssl_sock_get_dn_entry: `entry` is matched case-insensitively against the
 * short name, or the dotted OID for a type OpenSSL does not know;
 * `occurrence` counts from 1 in encoding order, negative from the end.
 * Returns undefined when there is no such entry (HAProxy then sends an
 * empty header).
 */
export function haproxyDnEntryBytes(
  name: DistinguishedName,
  entry: string,
  occurrence = 1,
): Uint8Array | undefined {
  if (occurrence === 0) return undefined;
  const wanted = entry.toLowerCase();
  const ordered = occurrence < 0 ? [...name].reverse() : name;
  let seen = 0;
  for (const candidate of ordered) {
    if (entryName(candidate).toLowerCase() !== wanted) continue;
    seen += 1;
    if (seen === Math.abs(occurrence)) return candidate.value.data;
  }
  return undefined;
}
