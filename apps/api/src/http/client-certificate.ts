/**
 * Where a request's certificate attributes come from, besides an explicit
 * `env` or `certificate` in a POST body: the registry's own TLS handshake
 * (Apache's view of the peer certificate), or the X-SSL-* headers a trusted
 * proxy such as the guide's HAProxy frontend adds. Headers from any other
 * peer are ignored, never merged.
 */
import { readFileSync } from 'node:fs';
import type { ServerOptions } from 'node:https';
import { TLSSocket } from 'node:tls';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import proxyaddr from 'proxy-addr';
import { apacheEnv, envFromHaproxyHeaders } from '../../../../libs/x509/src';
import { REGISTRY_CONFIG, type RegistryConfig } from '../config';
import { headerText } from './request-context';

/** Fastify's `https` options: the client certificate is asked for but optional (SSLVerifyClient optional). */
export function httpsOptions(tls: NonNullable<RegistryConfig['tls']>): ServerOptions {
  return {
    cert: readFileSync(tls.certFile),
    key: readFileSync(tls.keyFile),
    ...(tls.clientCaFile ? { ca: readFileSync(tls.clientCaFile), requestCert: true } : { requestCert: false }),
    // The handshake succeeds without a (valid) certificate; the verdict is read per request.
    rejectUnauthorized: false,
  };
}

export type CertificateAttributes =
  /** Attributes to authorize with, and where they came from. */
  | { kind: 'attributes'; source: 'tls' | 'proxy'; env: Record<string, string> }
  /** A certificate was presented but is not to be believed. */
  | { kind: 'refused'; source: 'tls' | 'proxy'; reason: 'certificate_untrusted'; detail: string }
  /** Nothing to go on. */
  | { kind: 'none'; reason: 'no_certificate' | 'untrusted_proxy' };

/** True for a header that carries client-certificate data, whoever sent it. */
function isCertificateHeaderName(name: string, mapped: ReadonlySet<string>): boolean {
  return mapped.has(name) || name.startsWith('x-ssl') || /^ssl[-_]client/.test(name);
}

@Injectable()
export class ClientCertificateService {
  private readonly logger = new Logger('client-certificate');
  private readonly trust: (addr: string, i: number) => boolean;
  private readonly mapped: ReadonlySet<string>;

  constructor(@Inject(REGISTRY_CONFIG) private readonly config: RegistryConfig) {
    this.trust = proxyaddr.compile(config.trustedProxies);
    const names = config.certificateHeaderMap.map(([header]) => header.toLowerCase());
    if (config.certificateVerifyHeader) names.push(config.certificateVerifyHeader);
    this.mapped = new Set(names);
  }

  /** Whether the immediate peer (not any forwarded address) is a configured proxy. */
  peerIsTrustedProxy(req: FastifyRequest): boolean {
    const peer = req.raw.socket.remoteAddress;
    return peer !== undefined && this.trust(peer, 0);
  }

  /**
   * The request's headers as the mapping may see them: certificate headers
   * only when a trusted proxy sent them, and never the admin token.
   */
  visibleHeaders(req: FastifyRequest): Record<string, string> {
    const trusted = this.peerIsTrustedProxy(req);
    const out: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (name === 'x-auth-token' || value === undefined) continue;
      if (!trusted && isCertificateHeaderName(name, this.mapped)) continue;
      out[name] = Array.isArray(value) ? value.join(', ') : value;
    }
    return out;
  }

  /** Trusted-proxy headers first, then this registry's own TLS handshake. */
  attributes(req: FastifyRequest): CertificateAttributes {
    const fromProxy = this.fromProxyHeaders(req);
    if (fromProxy) return fromProxy;
    return this.fromTlsPeer(req);
  }

  private fromProxyHeaders(req: FastifyRequest): CertificateAttributes | undefined {
    const present = Object.keys(req.headers).filter((name) => isCertificateHeaderName(name, this.mapped));
    if (present.length === 0) return undefined;
    if (!this.peerIsTrustedProxy(req)) {
      this.logger.warn({
        msg: 'certificate headers from a peer that is not a trusted proxy were ignored',
        req_id: req.id,
        peer: req.raw.socket.remoteAddress,
        headers: present.sort(),
      });
      return undefined;
    }
    const headers: Record<string, string> = {};
    for (const name of present) {
      const value = req.headers[name];
      // HAProxy passes DN bytes as they are in the certificate: UTF-8.
      if (typeof value === 'string') headers[name] = headerText(value);
    }
    const verifyHeader = this.config.certificateVerifyHeader;
    const verify = verifyHeader ? headers[verifyHeader]?.trim() : undefined;
    if (verify !== undefined && verify !== '0') {
      return {
        kind: 'refused',
        source: 'proxy',
        reason: 'certificate_untrusted',
        detail: `The proxy reports ${verifyHeader}: ${verify.slice(0, 20)}.`,
      };
    }
    // HTTP_* of these headers too, trimmed as Apache's header parser trims them.
    const env = envFromHaproxyHeaders(headers, {
      includeHttpVariables: true,
      setEnvIf: this.config.certificateHeaderMap,
    });
    return { kind: 'attributes', source: 'proxy', env };
  }

  private fromTlsPeer(req: FastifyRequest): CertificateAttributes {
    const socket = req.raw.socket;
    if (!(socket instanceof TLSSocket)) {
      return { kind: 'none', reason: 'no_certificate' };
    }
    const peer = socket.getPeerCertificate();
    if (!peer || !peer.raw) return { kind: 'none', reason: 'no_certificate' };
    if (!socket.authorized) {
      const error = String(socket.authorizationError ?? 'unknown error');
      this.logger.warn({
        msg: 'client certificate failed verification; no attributes derived',
        req_id: req.id,
        peer: socket.remoteAddress,
        authorization_error: error,
      });
      return { kind: 'refused', source: 'tls', reason: 'certificate_untrusted', detail: `TLS verification failed: ${error}.` };
    }
    return { kind: 'attributes', source: 'tls', env: apacheEnv(new Uint8Array(peer.raw)) };
  }
}
