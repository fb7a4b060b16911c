/**
 * The request headers HAProxy 2.6 adds with the Keystone guide's frontend
 * (`http-request set-header X-SSL... %{+Q}[ssl_c_...]`), plus the extra
 * fetches the corpus frontend records next to them. Names are lower-case,
 * as the backend receives them.
 */
import { createHash } from 'node:crypto';
import { haproxyTimeText } from './asn1-time';
import { asciiBytes, bytesToText, toUpperHex } from './bytes';
import { CertificateInput } from './certificate-input';
import { ClientCertificate, readCertificate } from './client-certificate';
import { DistinguishedName } from './distinguished-name';
import { haproxyDnEntryBytes, haproxyOnelineBytes } from './dn-haproxy-formats';
import { rfc2253Bytes } from './dn-openssl-formats';
import { binarySampleAsString, encodeHeaderValue } from './haproxy-encoding';
import { algorithmNames } from './oid-names';
import { haproxySerialHex } from './serial-number';

/** The eight headers of the guide's frontend, in its order. */
export const GUIDE_HAPROXY_HEADERS = [
  'x-ssl',
  'x-ssl-client-verify',
  'x-ssl-client-sha1',
  'x-ssl-client-dn',
  'x-ssl-client-cn',
  'x-ssl-client-o',
  'x-ssl-issuer',
  'x-ssl-issuer-cn',
] as const;

/**
 * OpenSSL verification codes HAProxy reports; all 0 by default (verified).
 * With `ca-ignore-err all crt-ignore-err all` an unknown CA gives
 * verifyCode 21 and errorCode 20, an expired certificate 10 and 10.
 */
export interface HaproxyHeaderOptions {
  /** ssl_c_verify: 0 when verification passed (and, alas, without a certificate). */
  readonly verifyCode?: number;
  /** ssl_c_err. */
  readonly errorCode?: number;
  /** ssl_c_ca_err. */
  readonly caErrorCode?: number;
  /** ssl_c_ca_err_depth. */
  readonly caErrorDepth?: number;
}

/**
 * Every `x-ssl*` header the frontend sets for this certificate, in the
 * order it sets them. Raw bytes that are not UTF-8 (a T61 value, the binary
 * SHA-1) come back as their ISO-8859-1 reading.
 */
export function haproxyHeaders(
  input: CertificateInput,
  options: HaproxyHeaderOptions = {},
): Record<string, string> {
  return haproxyHeadersOf(readCertificate(input), options);
}

/** The same frontend when the client sends no certificate: fetches are empty. */
export function haproxyHeadersWithoutCertificate(): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name] of HEADER_FETCHES) headers[name] = '';
  return { ...headers, ...status(0, 0, 0, 0), 'x-ssl-client-used': '0', 'x-ssl-has-crt': '0' };
}

type Fetch = (cert: ClientCertificate) => Uint8Array;

const subjectEntry = (entry: string, occurrence?: number): Fetch => (cert) =>
  dnEntry(cert.subject, entry, occurrence);
const issuerEntry = (entry: string): Fetch => (cert) => dnEntry(cert.issuer, entry);
const text = (f: (cert: ClientCertificate) => string): Fetch => (cert) => asciiBytes(f(cert));

function dnEntry(name: DistinguishedName, entry: string, occurrence?: number): Uint8Array {
  return encodeHeaderValue(haproxyDnEntryBytes(name, entry, occurrence) ?? new Uint8Array());
}

function sha1(cert: ClientCertificate): Uint8Array {
  return new Uint8Array(createHash('sha1').update(cert.der).digest());
}

/** Header name and fetch, in the order the corpus frontend sets them. */
const HEADER_FETCHES: ReadonlyArray<readonly [string, Fetch | 'status']> = [
  ['x-ssl', 'status'],
  ['x-ssl-client-verify', 'status'],
  ['x-ssl-client-sha1', (cert) => encodeHeaderValue(binarySampleAsString(sha1(cert)))],
  ['x-ssl-client-dn', (cert) => encodeHeaderValue(haproxyOnelineBytes(cert.subject))],
  ['x-ssl-client-cn', subjectEntry('cn')],
  ['x-ssl-client-o', subjectEntry('o')],
  ['x-ssl-issuer', (cert) => encodeHeaderValue(haproxyOnelineBytes(cert.issuer))],
  ['x-ssl-issuer-cn', issuerEntry('cn')],
  ['x-ssl-client-sha1-hex', text((cert) => toUpperHex(sha1(cert)))],
  ['x-ssl-client-serial', text((cert) => haproxySerialHex(cert.serial))],
  ['x-ssl-client-dn-unquoted', (cert) => encodeHeaderValue(haproxyOnelineBytes(cert.subject))],
  ['x-ssl-issuer-unquoted', (cert) => encodeHeaderValue(haproxyOnelineBytes(cert.issuer))],
  [
    'x-ssl-client-dn-qe',
    (cert) => encodeHeaderValue(haproxyOnelineBytes(cert.subject), { backslashEscape: true }),
  ],
  [
    'x-ssl-client-dn-rfc2253',
    (cert) => encodeHeaderValue(rfc2253Bytes(cert.subject, { escapeNonAscii: true })),
  ],
  [
    'x-ssl-issuer-rfc2253',
    (cert) => encodeHeaderValue(rfc2253Bytes(cert.issuer, { escapeNonAscii: true })),
  ],
  ['x-ssl-client-cn-last', subjectEntry('cn', -1)],
  ['x-ssl-client-ou', subjectEntry('ou')],
  ['x-ssl-client-ou-2', subjectEntry('ou', 2)],
  ['x-ssl-client-ou-last', subjectEntry('ou', -1)],
  ['x-ssl-client-dc', subjectEntry('dc')],
  ['x-ssl-client-uid', subjectEntry('uid')],
  ['x-ssl-client-email', subjectEntry('emailAddress')],
  ['x-ssl-client-oid-1.2.3.4', subjectEntry('1.2.3.4')],
  ['x-ssl-client-not-before', text((cert) => haproxyTimeText(cert.notBefore))],
  ['x-ssl-client-not-after', text((cert) => haproxyTimeText(cert.notAfter))],
  ['x-ssl-client-version', text((cert) => String(cert.version))],
  ['x-ssl-client-used', text(() => '1')],
  ['x-ssl-has-crt', text(() => '1')],
  ['x-ssl-client-err', 'status'],
  ['x-ssl-client-ca-err', 'status'],
  ['x-ssl-client-ca-err-depth', 'status'],
  // OpenSSL's short names: RSA-SHA256 where mod_ssl says sha256WithRSAEncryption.
  ['x-ssl-client-sig-alg', text((cert) => algorithmNames(cert.signatureAlgorithmOid)?.short ?? 'UNDEF')],
  ['x-ssl-client-key-alg', text((cert) => algorithmNames(cert.publicKeyAlgorithmOid)?.short ?? 'UNDEF')],
];

function status(verify: number, err: number, caErr: number, caErrDepth: number): Record<string, string> {
  return {
    'x-ssl': '1',
    'x-ssl-client-verify': String(verify),
    'x-ssl-client-err': String(err),
    'x-ssl-client-ca-err': String(caErr),
    'x-ssl-client-ca-err-depth': String(caErrDepth),
  };
}

/** Shared by `haproxyHeaders` and `inspectCertificate`. */
export function haproxyHeadersOf(
  cert: ClientCertificate,
  options: HaproxyHeaderOptions = {},
): Record<string, string> {
  const connection = status(
    options.verifyCode ?? 0,
    options.errorCode ?? 0,
    options.caErrorCode ?? 0,
    options.caErrorDepth ?? 0,
  );
  const headers: Record<string, string> = {};
  for (const [name, fetch] of HEADER_FETCHES) {
    headers[name] = fetch === 'status' ? connection[name] : bytesToText(fetch(cert));
  }
  return headers;
}
