/**
 * Registry rights from a client certificate, for callers without an
 * X-Auth-Token: the registry computes the caller's own Keystone tokenless
 * auth context (its trusted issuers, identity providers, mappings and
 * grants, with the scope from the request's X-Project-* / X-Domain-*
 * headers, as keystoneauth's v3tokenlessauth plugin sends them). When that
 * scope is the configured registry project (REGISTRY_AUTH_PROJECT), the
 * highest of `admin`, `auditor` and `reader` among its roles is the
 * caller's registry role; any other role gives nothing.
 */
import { ForbiddenException, UnauthorizedException } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import {
  GENERIC_401,
  authorize,
  type AuthorizationIndex,
  type AuthorizeGranted,
  type RegistryState,
} from '../../../../libs/domain/src';
import { describeRegistryProject, type RegistryProjectRef } from '../config';
import type { RegistryIndexService } from '../registry/registry-index.service';
import type { CertificateAttributes, ClientCertificateService } from './client-certificate';
import type { Caller, RegistryRole } from './request-context';

/** Strongest first: the first one the auth context holds is the caller's role. */
const REGISTRY_ROLES: readonly RegistryRole[] = ['admin', 'auditor', 'reader'];

export type CertificateDecision =
  | { outcome: 'admitted'; caller: Caller; fields: Record<string, unknown> }
  | {
      outcome: 'refused';
      status: 401 | 403;
      /** The reason the answer carries. */
      reason: string;
      /** What exactly failed, for the log (the answer of a 403 says only insufficient_role). */
      cause: string;
      detail?: string;
      /** Log fields: the certificate's source, the identity when known, Keystone's own status. */
      fields: Record<string, unknown>;
    };

export const INSUFFICIENT_ROLE = 'insufficient_role';

/** The message of a 403: the role a route needs. */
export function insufficientRoleMessage(needed: RegistryRole): string {
  return `You are not authorized to perform the requested action: needs the ${needed} role.`;
}

/** The registry project's id in this state, or undefined while it does not exist. */
export function registryProjectId(state: RegistryState, ref: RegistryProjectRef): string | undefined {
  if ('id' in ref) return state.projects.has(ref.id) ? ref.id : undefined;
  const domain = state.domainByName(ref.domainName);
  return domain ? state.projectByName(domain.id, ref.name)?.id : undefined;
}

/**
 * The actor a certificate identity is recorded as: `cert:<user>@<domain>`
 * for a local user (names, as `openstack ... --names` shows them), and
 * `cert:<name>` for an ephemeral user (the name its mapping gives it).
 */
export function certificateActor(state: RegistryState, granted: AuthorizeGranted): string {
  const userId = granted.auth_context.user_id;
  if (typeof userId === 'string') {
    const user = state.users.get(userId);
    if (!user) return `cert:${userId}`;
    return `cert:${user.name}@${state.domains.get(user.domain_id)?.name ?? user.domain_id}`;
  }
  return granted.ephemeral_user !== undefined ? `cert:${granted.ephemeral_user}` : `cert:ephemeral@${granted.idp_id}`;
}

/**
 * The caller a certificate establishes, or why none is: 401 when there is
 * no usable certificate identity (none, unverified, or refused by the
 * tokenless rules, with their reason), 403 when the identity holds no
 * registry role on the registry project (another scope, or other roles).
 */
export function decideCertificateCaller(
  index: AuthorizationIndex,
  project: RegistryProjectRef,
  found: CertificateAttributes,
  headers: () => Record<string, unknown>,
): CertificateDecision {
  if (found.kind === 'none') {
    // Exactly today's answer to a request without credentials.
    return { outcome: 'refused', status: 401, reason: 'token_missing', cause: found.reason, fields: { certificate_source: 'none' } };
  }
  const source = { certificate_source: found.source };
  if (found.kind === 'refused') {
    return { outcome: 'refused', status: 401, reason: found.reason, cause: found.reason, detail: found.detail, fields: source };
  }
  const result = authorize(index, { env: found.env, headers: headers() });
  if (result.outcome === 'refused') {
    // Any refusal of the tokenless rules leaves the caller unidentified.
    return {
      outcome: 'refused',
      status: 401,
      reason: result.reason,
      cause: result.reason,
      detail: result.detail,
      fields: { ...source, keystone_status: result.status },
    };
  }
  const state = index.state;
  const identity = certificateActor(state, result);
  const fields = { ...source, identity, idp_id: result.idp_id };
  const forbidden = (cause: string, detail: string): CertificateDecision => ({
    outcome: 'refused',
    status: 403,
    reason: INSUFFICIENT_ROLE,
    cause,
    detail,
    fields,
  });
  const wanted = registryProjectId(state, project);
  if (wanted === undefined) {
    return forbidden('registry_project_not_found', `The registry project ${describeRegistryProject(project)} does not exist.`);
  }
  const context = result.auth_context;
  if (context.project_id !== wanted) {
    const scope = context.project_id !== undefined ? `project ${String(context.project_id)}` : `domain ${String(context.domain_id)}`;
    return forbidden('scope_not_registry_project', `The scope is ${scope}, not the registry project ${wanted}.`);
  }
  const role = REGISTRY_ROLES.find((r) => context.roles.includes(r));
  if (!role) {
    return forbidden('no_registry_role', `Roles on the registry project: ${context.roles.join(', ') || 'none'}.`);
  }
  return { outcome: 'admitted', caller: { name: identity, kind: 'certificate', role }, fields };
}

/** The request-facing side: the decision, its log fields, and the exception of a refusal. */
export class CertificateAuth {
  constructor(
    private readonly project: RegistryProjectRef,
    private readonly registry: RegistryIndexService,
    private readonly certificates: ClientCertificateService,
  ) {}

  /** The caller this request's certificate establishes; throws 401 or 403 (naming `needed`) otherwise. */
  caller(req: FastifyRequest, needed: RegistryRole): Caller {
    const decision = decideCertificateCaller(
      this.registry.index,
      this.project,
      this.certificates.attributes(req),
      () => this.certificates.visibleHeaders(req),
    );
    if (decision.outcome === 'admitted') {
      req.logFields = { ...req.logFields, auth: 'certificate', ...decision.fields };
      return decision.caller;
    }
    const { status, reason, cause, detail, fields } = decision;
    req.logFields = {
      ...req.logFields,
      auth: 'certificate',
      decision: 'refused',
      reason,
      cause,
      status,
      ...(detail !== undefined ? { detail } : {}),
      ...fields,
    };
    if (status === 401) throw new UnauthorizedException({ message: GENERIC_401, reason });
    throw new ForbiddenException({ message: insufficientRoleMessage(needed), reason });
  }

  /** Logs a certificate caller's refusal for lack of `needed` (its role is known, but lower). */
  refuseRole(req: FastifyRequest, caller: Caller, needed: RegistryRole): void {
    req.logFields = {
      ...req.logFields,
      decision: 'refused',
      reason: INSUFFICIENT_ROLE,
      cause: INSUFFICIENT_ROLE,
      status: 403,
      detail: `The certificate's registry role is ${caller.role}; the route needs ${needed}.`,
    };
  }
}
