import type { FastifyReply, FastifyRequest } from 'fastify';
import type { EventMetadata } from '../../../../libs/domain/src';

export type RegistryRole = 'admin' | 'auditor' | 'reader';

/** Who is calling, as established by the auth guard. */
export interface Caller {
  name: string;
  kind: 'token' | 'certificate';
  role: RegistryRole;
}

declare module 'fastify' {
  interface FastifyRequest {
    caller?: Caller;
    /** Extra fields for this request's single log line (e.g. an authorize refusal). */
    logFields?: Record<string, unknown>;
  }
}

/** The headers every answer carries: its request id (as Keystone names it) and that it depends on the token. */
export function setCommonHeaders(req: FastifyRequest, reply: FastifyReply): void {
  void reply.header('x-openstack-request-id', req.id);
  void reply.header('Vary', 'X-Auth-Token');
}

/** `<scheme>://<host>` as the client addressed us; Keystone builds links from it. */
export function baseUrl(req: FastifyRequest): string {
  return `${req.protocol}://${req.host}`;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * A header value as text. Node reads header bytes as Latin-1; HAProxy, curl
 * and most clients send UTF-8, so a value whose bytes are valid UTF-8 is read
 * as UTF-8, and any other is kept as it was read.
 */
export function headerText(value: string): string {
  // Pure ASCII reads the same either way.
  if (!/[\u0080-\u00ff]/.test(value)) return value;
  try {
    return utf8.decode(Buffer.from(value, 'latin1'));
  } catch {
    return value;
  }
}

/** Event metadata for a change this request makes. */
export function changeMetadata(req: FastifyRequest): EventMetadata {
  const reason = req.headers['x-change-reason'];
  return {
    actor: req.caller?.name ?? 'anonymous',
    actor_kind: req.caller?.kind ?? 'token',
    request_id: String(req.id),
    ...(typeof reason === 'string' && reason !== '' ? { reason: headerText(reason).slice(0, 1000) } : {}),
    client_address: req.ip,
  };
}
