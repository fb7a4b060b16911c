import type { FastifyRequest } from 'fastify';
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

/** `<scheme>://<host>` as the client addressed us; Keystone builds links from it. */
export function baseUrl(req: FastifyRequest): string {
  return `${req.protocol}://${req.host}`;
}

/** Event metadata for a change this request makes. */
export function changeMetadata(req: FastifyRequest): EventMetadata {
  const reason = req.headers['x-change-reason'];
  return {
    actor: req.caller?.name ?? 'anonymous',
    actor_kind: req.caller?.kind ?? 'token',
    request_id: String(req.id),
    ...(typeof reason === 'string' && reason !== '' ? { reason: reason.slice(0, 1000) } : {}),
    client_address: req.ip,
  };
}
