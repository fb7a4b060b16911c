/**
 * One call that answers "what will each terminator pass for this
 * certificate, and which identity provider id will Keystone compute?".
 */
import { createHash } from 'node:crypto';
import { ApacheEnvOptions, apacheEnvOf } from './apache-env';
import { CertificateInput } from './certificate-input';
import { ClientCertificate, readCertificate } from './client-certificate';
import { DnFormat, ISSUER_FORMATS, dnString } from './dn-formats';
import { HaproxyHeaderOptions, haproxyHeadersOf } from './haproxy-headers';
import { idpIdFromIssuerString } from './idp-id';

export interface InspectOptions extends ApacheEnvOptions {
  /** Verification results HAProxy would report (all 0 by default). */
  readonly haproxy?: HaproxyHeaderOptions;
}

export interface CertificateInspection {
  readonly subject: Record<DnFormat, string>;
  readonly issuer: Record<DnFormat, string>;
  /** Lowercase hex SHA-256 of the UTF-8 bytes of `issuer[format]`. */
  readonly idp_id: Record<DnFormat, string>;
  /** mod_ssl's main vhost, SSL_CLIENT_* and HTTPS. */
  readonly apache_env: Record<string, string>;
  /** Lower-case header names, as the backend receives them. */
  readonly haproxy_headers: Record<string, string>;
}

/**
 * Subject and issuer strings in every format, the IdP id each issuer
 * string gives, mod_ssl's environment and HAProxy's headers. This is the
 * object `tokenless x509 inspect --json` prints.
 */
export function inspectCertificate(
  input: CertificateInput,
  options: InspectOptions = {},
): CertificateInspection {
  const cert = readCertificate(input);
  const subject = byFormat((format) => dnString(cert.subject, format));
  const issuer = byFormat((format) => dnString(cert.issuer, format));
  return {
    subject,
    issuer,
    idp_id: byFormat((format) => idpIdFromIssuerString(issuer[format])),
    apache_env: apacheEnvOf(cert, options, false),
    haproxy_headers: haproxyHeadersOf(cert, options.haproxy),
  };
}

/** The issuer DN string `format`'s producer passes for this certificate. */
export function issuerDn(input: CertificateInput, format: DnFormat): string {
  return dnString(readCertificate(input).issuer, format);
}

/** The subject DN string `format`'s producer passes for this certificate. */
export function subjectDn(input: CertificateInput, format: DnFormat): string {
  return dnString(readCertificate(input).subject, format);
}

/** Keystone's identity provider id for the issuer as `format` passes it. */
export function idpId(input: CertificateInput, format: DnFormat): string {
  return idpIdFromIssuerString(issuerDn(input, format));
}

/** Upper-case colon-separated fingerprint, as `openssl x509 -fingerprint`. */
export function certificateFingerprint(input: CertificateInput, algorithm: 'sha1' | 'sha256'): string {
  return fingerprintOf(readCertificate(input), algorithm);
}

function fingerprintOf(cert: ClientCertificate, algorithm: 'sha1' | 'sha256'): string {
  const digest = createHash(algorithm).update(cert.der).digest('hex');
  return (digest.toUpperCase().match(/../g) ?? []).join(':');
}

function byFormat(f: (format: DnFormat) => string): Record<DnFormat, string> {
  const out = {} as Record<DnFormat, string>;
  for (const format of ISSUER_FORMATS) out[format] = f(format);
  return out;
}
