/**
 * The DN string formats a Keystone deployment can meet, by who produces
 * them. The issuer string in one of these formats is what Keystone hashes
 * into the identity provider id, so the id changes with the terminator.
 */
import { bytesToText } from './bytes';
import { DistinguishedName } from './distinguished-name';
import { haproxyOnelineBytes } from './dn-haproxy-formats';
import { onelineBytes, rfc2253Bytes } from './dn-openssl-formats';
import { encodeHeaderValue } from './haproxy-encoding';

export const ISSUER_FORMATS = [
  /** mod_ssl default (RFC 2253, non-ASCII passed as raw UTF-8): SSL_CLIENT_I_DN. */
  'apache',
  /** mod_ssl with SSLOptions +LegacyDNStringFormat (X509_NAME_oneline). */
  'apache-legacy',
  /** HAProxy ssl_c_s_dn / ssl_c_i_dn as a header value. */
  'haproxy',
  /** HAProxy ssl_c_s_dn(,0,rfc2253) / ssl_c_i_dn(,0,rfc2253) as a header value. */
  'haproxy-rfc2253',
  /** `openssl x509 -issuer -noout -nameopt rfc2253`, label and newline removed. */
  'openssl-rfc2253',
  /** `openssl x509 -issuer -noout -nameopt compat`, label and newline removed. */
  'openssl-compat',
] as const;

export type DnFormat = (typeof ISSUER_FORMATS)[number];

export function isDnFormat(value: string): value is DnFormat {
  return (ISSUER_FORMATS as readonly string[]).includes(value);
}

/** The exact bytes a producer emits for `name`. */
export function dnBytes(name: DistinguishedName, format: DnFormat): Uint8Array {
  switch (format) {
    case 'apache':
      return rfc2253Bytes(name, { escapeNonAscii: false });
    case 'apache-legacy':
    case 'openssl-compat':
      // Both call X509_NAME_oneline of the same OpenSSL.
      return onelineBytes(name);
    case 'haproxy':
      return encodeHeaderValue(haproxyOnelineBytes(name));
    case 'haproxy-rfc2253':
      return encodeHeaderValue(rfc2253Bytes(name, { escapeNonAscii: true }));
    case 'openssl-rfc2253':
      return rfc2253Bytes(name, { escapeNonAscii: true });
  }
}

/** `dnBytes` as a string: UTF-8, or the Latin-1 reading when not UTF-8. */
export function dnString(name: DistinguishedName, format: DnFormat): string {
  return bytesToText(dnBytes(name, format));
}
