/**
 * The attributes a terminator would pass for a certificate given in an
 * authorize body: Apache mod_ssl's SSL_CLIENT_* (RFC 2253 or legacy DN
 * strings), or the guide's HAProxy frontend headers as Apache's SetEnvIf
 * lines copy them.
 */
import { validation } from '../../../../libs/domain/src';
import {
  CertificateInputError,
  GUIDE_HAPROXY_HEADERS,
  apacheEnv,
  apacheLegacyEnv,
  envFromHaproxyHeaders,
  haproxyHeaders,
} from '../../../../libs/x509/src';

export const TERMINATORS = ['apache', 'apache-legacy', 'haproxy'] as const;
export type Terminator = (typeof TERMINATORS)[number];

export interface DerivedRequest {
  env: Record<string, string>;
  headers: Record<string, unknown>;
}

/** Checks the body's combination of `env`, `certificate` and `terminator`; 400 with a stable reason. */
export function checkCertificateFields(body: { env?: unknown; certificate?: string; terminator?: string }): void {
  if (body.certificate !== undefined && body.env !== undefined) {
    throw validation('Give either env or certificate, not both.', 'env_and_certificate');
  }
  if (body.terminator !== undefined && body.certificate === undefined) {
    throw validation('terminator is only meaningful with certificate.', 'terminator_without_certificate');
  }
  if (body.certificate !== undefined && body.terminator === undefined) {
    throw validation(`certificate needs a terminator: one of ${TERMINATORS.join(', ')}.`, 'terminator_missing');
  }
  if (body.terminator !== undefined && !(TERMINATORS as readonly string[]).includes(body.terminator)) {
    throw validation(
      `Unknown terminator "${body.terminator.slice(0, 64)}": expected one of ${TERMINATORS.join(', ')}.`,
      'unknown_terminator',
    );
  }
}

/** The env and headers `terminator` gives the application for `certificate`. */
export function requestFromCertificate(
  certificate: string,
  terminator: Terminator,
  headers: Record<string, unknown>,
): DerivedRequest {
  try {
    switch (terminator) {
      case 'apache':
        return { env: apacheEnv(certificate), headers };
      case 'apache-legacy':
        return { env: apacheLegacyEnv(certificate), headers };
      case 'haproxy': {
        const all = haproxyHeaders(certificate);
        const added: Record<string, string> = {};
        for (const name of GUIDE_HAPROXY_HEADERS) added[name] = all[name];
        // set-header replaces whatever the client sent under these names.
        const kept = Object.fromEntries(
          Object.entries(headers).filter(([name]) => !(name.toLowerCase() in added)),
        );
        // The env also holds HTTP_* of the added headers, trimmed as Apache passes them.
        return { env: envFromHaproxyHeaders(added), headers: { ...kept, ...added } };
      }
    }
  } catch (err) {
    if (err instanceof CertificateInputError) {
      throw validation(`certificate: ${err.message}`, 'invalid_certificate');
    }
    throw err;
  }
}
