import { createHash } from 'node:crypto';
import { DomainError, GENERIC_401, GENERIC_500, notFound, validation } from '../errors';
import { MappingError, compileMapping, type CompiledMapping, type MappedProperties } from '../mapping';
import type { Mapping } from '../model/resources';
import type { RegistryState } from '../model/state';
import { effectiveRoleNames } from './effective-roles';
import { headerReader, resolveScope, type Scope } from './scope';

export interface AuthorizeRequest {
  /** The SSL terminator's environment: SSL_CLIENT_I_DN, SSL_CLIENT_S_DN_CN, ... */
  env: Record<string, unknown>;
  /** The request's HTTP headers (scope headers and any other). */
  headers: Record<string, unknown>;
}

export type AuthContext = Record<string, unknown> & { roles: string[] };

export interface AuthorizeGranted {
  outcome: 'granted';
  auth_context: AuthContext;
  /** What decided it, for logs and `explain`. */
  idp_id: string;
  mapping_id: string;
  user_type: 'local' | 'ephemeral';
  /**
   * The name (else the id) the mapping gives an ephemeral user, which has no
   * user record and is not in the auth context; absent for local users.
   */
  ephemeral_user?: string;
}

export interface AuthorizeRefused {
  outcome: 'refused';
  status: number;
  title: string;
  message: string;
  reason: string;
  detail?: string;
}

export type AuthorizeResult = AuthorizeGranted | AuthorizeRefused;

/**
 * The in-memory authorization index: the registry state plus the mapping
 * rules compiled once per change (a replaced mapping is a new object, so the
 * cache below recompiles it exactly once).
 */
export class AuthorizationIndex {
  private readonly compiled = new WeakMap<Mapping, CompiledMapping>();
  /** The trusted issuers as a set, per settings object (settings are replaced, never mutated). */
  private readonly trusted = new WeakMap<object, Set<string>>();
  /** IdP ids by issuer: a SHA-256 per request otherwise. Bounded, as issuers come from requests. */
  private readonly idpIds = new Map<string, string>();

  constructor(readonly state: RegistryState) {}

  isTrusted(issuer: string): boolean {
    const settings = this.state.settings;
    let set = this.trusted.get(settings);
    if (!set) this.trusted.set(settings, (set = new Set(settings.trusted_issuer)));
    return set.has(issuer);
  }

  idpIdFor(issuer: string): string {
    let id = this.idpIds.get(issuer);
    if (id === undefined) {
      id = idpIdForIssuer(issuer);
      if (this.idpIds.size >= 10_000) this.idpIds.clear();
      this.idpIds.set(issuer, id);
    }
    return id;
  }

  compiledMapping(mapping: Mapping): CompiledMapping {
    let compiled = this.compiled.get(mapping);
    if (!compiled) {
      compiled = compileMapping(mapping.rules, {
        mappingId: mapping.id,
        filteredValuesGateRule: mapping.options.filtered_values_gate_rule === true,
      });
      this.compiled.set(mapping, compiled);
    }
    return compiled;
  }
}

export function idpIdForIssuer(issuer: string): string {
  return createHash('sha256').update(issuer, 'utf8').digest('hex');
}

function refused(status: number, title: string, message: string, reason: string, detail?: string): AuthorizeRefused {
  return { outcome: 'refused', status, title, message, reason, ...(detail !== undefined ? { detail } : {}) };
}

function unauthenticated(reason: string, detail: string): AuthorizeRefused {
  return refused(401, 'Unauthorized', GENERIC_401, reason, detail);
}

function fromError(err: unknown): AuthorizeRefused {
  if (err instanceof DomainError) {
    return refused(err.status, err.title, err.message, err.reason, err.debugMessage);
  }
  if (err instanceof MappingError) {
    const title = err.status === 400 ? 'Bad Request' : 'Internal Server Error';
    return refused(err.status, title, err.message, err.reason, err.debugMessage);
  }
  throw err;
}

/** Keystone's variables as the mapping sees them: the environment plus every header as HTTP_<NAME>. */
const environNames = new Map<string, string>();
function environName(header: string): string {
  let name = environNames.get(header);
  if (name === undefined) {
    name = `HTTP_${header.toUpperCase().replace(/-/g, '_')}`;
    if (environNames.size < 1_000) environNames.set(header, name);
  }
  return name;
}

export function buildAssertion(req: AuthorizeRequest): Record<string, unknown> {
  const assertion: Record<string, unknown> = {};
  for (const name in req.headers) assertion[environName(name)] = req.headers[name];
  for (const name in req.env) assertion[name] = req.env[name];
  return assertion;
}

/**
 * Keystone's X.509 tokenless authorization as a pure function of the index
 * and the request: trusted issuer, scope, identity provider, mapping, user
 * or groups, roles. Refusals carry Keystone's status and message plus a
 * stable reason.
 */
export function authorize(index: AuthorizationIndex, req: AuthorizeRequest): AuthorizeResult {
  const state = index.state;
  const { trusted_issuer, issuer_attribute, protocol } = state.settings;
  // B.3: an untrusted certificate gives no auth context at all; a protected API then answers 401.
  if (trusted_issuer.length === 0) {
    return unauthenticated('no_trusted_issuers', 'No trusted issuer is configured.');
  }
  const issuer = req.env[issuer_attribute];
  if (typeof issuer !== 'string' || issuer === '') {
    return unauthenticated('issuer_attribute_missing', `The request has no ${issuer_attribute}.`);
  }
  if (!index.isTrusted(issuer)) {
    return unauthenticated('untrusted_issuer', `Issuer is not trusted: ${issuer}`);
  }
  try {
    const scope = resolveScope(state, headerReader(req.headers));
    const idpId = index.idpIdFor(issuer);
    const protocolRecord = state.protocols.get(`${idpId}/${protocol}`);
    if (!protocolRecord) {
      throw new DomainError(
        404,
        'Not Found',
        `Could not find federated protocol ${protocol} for Identity Provider: ${idpId}.`,
        'no_mapping',
      );
    }
    const mapping = state.mappings.get(protocolRecord.mapping_id);
    if (!mapping) throw notFound('mapping', protocolRecord.mapping_id, 'mapping_not_found');
    const mapped = index.compiledMapping(mapping).evaluate(buildAssertion(req));
    const userType = mapped.user.type === 'local' ? 'local' : 'ephemeral';
    if (userType === 'local') {
      const auth_context = localContext(state, mapped, scope);
      return { outcome: 'granted', auth_context, idp_id: idpId, mapping_id: mapping.id, user_type: userType };
    }
    const auth_context = ephemeralContext(state, mapped, scope, idpId, protocol, mapping.id);
    const { name, id } = mapped.user;
    const ephemeral_user = typeof name === 'string' && name !== '' ? name : typeof id === 'string' && id !== '' ? id : undefined;
    return { outcome: 'granted', auth_context, idp_id: idpId, mapping_id: mapping.id, user_type: userType, ephemeral_user };
  } catch (err) {
    return fromError(err);
  }
}

function scopeKey(scope: Scope): Record<string, string> {
  return scope.type === 'project' ? { project_id: scope.id } : { domain_id: scope.id };
}

function internalError(reason: string, detail: string): DomainError {
  return new DomainError(500, 'Internal Server Error', GENERIC_500, reason, detail);
}

/** Who a mapped certificate is, before any scope: a local user and its groups, or an ephemeral user's groups. */
export type MappedActors =
  | { user_type: 'local'; user_id: string; groups: string[] }
  | { user_type: 'ephemeral'; groups: string[] };

function localContext(state: RegistryState, mapped: MappedProperties, scope: Scope): AuthContext {
  const actors = localActors(state, mapped);
  const roles = effectiveRoleNames(state, { users: [actors.user_id], groups: actors.groups }, scope);
  return { user_id: actors.user_id, is_delegated_auth: false, ...scopeKey(scope), roles };
}

/** The local user a mapping names, with its real group memberships; throws Keystone's refusals. */
export function localActors(
  state: RegistryState,
  mapped: MappedProperties,
  seen: { user_id?: string } = {},
): MappedActors & { user_type: 'local' } {
  const user = mapped.user as { id?: unknown; name?: unknown; domain?: { id?: unknown; name?: unknown } };
  let found;
  if (typeof user.id === 'string' && user.id !== '') {
    found = state.users.get(user.id);
    if (!found) throw notFound('user', user.id, 'user_not_found');
  } else if (typeof user.name === 'string' && user.name !== '' && (user.domain?.name || user.domain?.id)) {
    let domainId: string;
    if (typeof user.domain.name === 'string' && user.domain.name !== '') {
      const domain = state.domainByName(user.domain.name);
      if (!domain) throw notFound('domain', user.domain.name, 'user_domain_not_found');
      if (!domain.enabled) throw internalError('user_domain_disabled', `Domain is disabled: ${domain.id}.`);
      domainId = domain.id;
    } else {
      domainId = String(user.domain.id);
    }
    found = state.userByName(domainId, user.name);
    if (!found) throw notFound('user', user.name, 'user_not_found');
  } else {
    throw validation(
      'User auth cannot be built due to missing either user id, or user name with domain id, ' +
        'or user name with domain name.',
      'user_unresolvable',
    );
  }
  // The user was found; whatever refuses it now is about this user (or its domain).
  seen.user_id = found.id;
  const domain = state.domains.get(found.domain_id);
  if (!domain || !domain.enabled) throw internalError('user_domain_disabled', `Domain is disabled: ${found.domain_id}.`);
  if (!found.enabled) throw internalError('user_disabled', `User is disabled: ${found.id}.`);
  // Mapped groups are ignored for local users; only real memberships count.
  const groups = [...(state.groupsOfUser.get(found.id) ?? [])];
  return { user_type: 'local', user_id: found.id, groups };
}

function ephemeralContext(
  state: RegistryState,
  mapped: MappedProperties,
  scope: Scope,
  idpId: string,
  protocol: string,
  mappingId: string,
): AuthContext {
  const groupIds = ephemeralActors(state, mapped, mappingId).groups;
  const roles = effectiveRoleNames(state, { users: [], groups: groupIds }, scope);
  return {
    group_ids: groupIds,
    'OS-FEDERATION:identity_provider': idpId,
    'OS-FEDERATION:protocol': protocol,
    ...scopeKey(scope),
    roles,
  };
}

/** The groups an ephemeral user's mapping result names; throws Keystone's refusals. */
export function ephemeralActors(state: RegistryState, mapped: MappedProperties, mappingId: string): MappedActors {
  const groupIds: string[] = [];
  for (const id of mapped.group_ids) {
    const key = String(id);
    if (!state.groups.has(key)) {
      throw internalError(
        'mapped_group_not_found',
        `Group ${key} returned by mapping ${mappingId} was not found in the backend.`,
      );
    }
    groupIds.push(key);
  }
  for (const ref of mapped.group_names as unknown[]) {
    if (typeof ref === 'string') {
      // Keystone indexes the reference like a dict and Python raises a TypeError (400).
      throw validation("string indices must be integers, not 'str'", 'group_reference_malformed');
    }
    const group = ref as { name?: unknown; domain?: { id?: unknown; name?: unknown } };
    if (typeof group !== 'object' || group === null || group.name === undefined || !group.domain) {
      throw internalError('group_reference_malformed', `Malformed group reference: ${JSON.stringify(ref)}`);
    }
    let domainId: string;
    if (group.domain.id !== undefined) {
      domainId = String(group.domain.id);
    } else {
      const domain = state.domainByName(String(group.domain.name));
      if (!domain) throw notFound('domain', String(group.domain.name), 'group_domain_not_found');
      domainId = domain.id;
    }
    // An unknown group name is skipped silently, as Keystone does.
    const found = state.groupByName(domainId, String(group.name));
    if (found) groupIds.push(found.id);
  }
  return { user_type: 'ephemeral', groups: groupIds };
}
