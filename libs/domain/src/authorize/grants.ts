import { DomainError } from '../errors';
import { MappingError, type CompiledMapping, type MappedProperties } from '../mapping';
import type { Mapping } from '../model/resources';
import {
  authorize,
  buildAssertion,
  ephemeralActors,
  idpIdForIssuer,
  localActors,
  type AuthorizationIndex,
  type MappedActors,
} from './authorize';
import { effectiveRoleNamesByScope } from './effective-roles';
import { headerReader, resolveScope } from './scope';

/**
 * Every scope on which a certificate environment would be granted at least
 * one role, as `project:<id>` or `domain:<id>` to the sorted role names: the
 * authorize decision asked once per project and per domain in the state.
 * The reference that `evaluateIdentity` must agree with.
 */
export function grantsOf(index: AuthorizationIndex, env: Record<string, unknown>): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const state = index.state;
  const issuer = env[state.settings.issuer_attribute];
  // Cheap refusals first: nothing is granted anywhere without a trusted issuer.
  if (typeof issuer !== 'string' || !state.settings.trusted_issuer.includes(issuer)) return out;
  const ask = (key: string, headers: Record<string, string>) => {
    const result = authorize(index, { env, headers });
    if (result.outcome === 'granted' && result.auth_context.roles.length > 0) out.set(key, result.auth_context.roles);
  };
  for (const id of [...state.projects.keys()].sort()) ask(`project:${id}`, { 'X-Project-Id': id });
  for (const id of [...state.domains.keys()].sort()) ask(`domain:${id}`, { 'X-Domain-Id': id });
  return out;
}

/** An identity's grants and what, besides global changes, can change them. */
export interface IdentityEvaluation {
  grants: Map<string, string[]>;
  /** Users and groups whose grants, memberships or state the answer read. */
  users: string[];
  groups: string[];
  /** Any user or group change may matter (the mapping did not resolve, or it resolves groups by name). */
  watchesDirectory: boolean;
  /** The mapping reads request headers (the scope): re-evaluate after every event. */
  always: boolean;
}

/**
 * A mapping's result depends only on the mapping and the assertion, so it is
 * kept per mapping object (a changed mapping is a new object) and per
 * environment object (a followed identity keeps its own).
 */
const mappedCache = new WeakMap<Mapping, WeakMap<object, { mapped: MappedProperties } | { error: unknown }>>();
function evaluateMapping(compiled: CompiledMapping, mapping: Mapping, env: Record<string, unknown>): MappedProperties {
  let perEnv = mappedCache.get(mapping);
  if (!perEnv) mappedCache.set(mapping, (perEnv = new WeakMap()));
  let entry = perEnv.get(env);
  if (!entry) {
    try {
      entry = { mapped: compiled.evaluate(buildAssertion({ env, headers: {} })) };
    } catch (error) {
      entry = { error };
    }
    perEnv.set(env, entry);
  }
  if ('error' in entry) throw entry.error;
  return entry.mapped;
}

const readsHeaders = new WeakMap<Mapping, boolean>();
function mappingReadsHeaders(mapping: Mapping): boolean {
  let reads = readsHeaders.get(mapping);
  if (reads === undefined) readsHeaders.set(mapping, (reads = JSON.stringify(mapping.rules).includes('HTTP_')));
  return reads;
}

/**
 * The same grants as `grantsOf`, computed the cheap way: the mapping is
 * evaluated once (a mapping that reads request headers falls back to asking
 * per scope), then effective roles per usable project and domain. Also says
 * which users and groups the result depends on, so a follower of the log
 * can re-evaluate only the identities an event can affect.
 */
export function evaluateIdentity(index: AuthorizationIndex, env: Record<string, unknown>): IdentityEvaluation {
  const state = index.state;
  const none = (watchesDirectory: boolean): IdentityEvaluation => ({
    grants: new Map(),
    users: [],
    groups: [],
    watchesDirectory,
    always: false,
  });
  const { trusted_issuer, issuer_attribute, protocol } = state.settings;
  const issuer = env[issuer_attribute];
  if (typeof issuer !== 'string' || issuer === '' || !trusted_issuer.includes(issuer)) return none(false);
  const found = state.protocols.get(`${idpIdForIssuer(issuer)}/${protocol}`);
  const mapping = found && state.mappings.get(found.mapping_id);
  if (!mapping) return none(false);
  if (mappingReadsHeaders(mapping)) {
    return { grants: grantsOf(index, env), users: [], groups: [], watchesDirectory: true, always: true };
  }
  let compiled: CompiledMapping;
  let actors: MappedActors;
  const seen: { user_id?: string } = {};
  try {
    compiled = index.compiledMapping(mapping);
    const mapped = evaluateMapping(compiled, mapping, env);
    actors = mapped.user.type === 'local' ? localActors(state, mapped, seen) : ephemeralActors(state, mapped, mapping.id);
  } catch (err) {
    if (err instanceof DomainError || err instanceof MappingError) {
      // A found but refused user (disabled) changes only with that user; anything else may change with any.
      if (seen.user_id !== undefined) return { ...none(false), users: [seen.user_id] };
      return none(true);
    }
    throw err;
  }
  const users = actors.user_type === 'local' ? [actors.user_id] : [];
  const grants = new Map<string, string[]>();
  const byScope = effectiveRoleNamesByScope(state, { users, groups: actors.groups });
  for (const key of [...byScope.keys()].sort()) {
    const colon = key.indexOf(':');
    const header = key.slice(0, colon) === 'project' ? 'X-Project-Id' : 'X-Domain-Id';
    try {
      resolveScope(state, headerReader({ [header]: key.slice(colon + 1) }));
    } catch (err) {
      if (err instanceof DomainError) continue;
      throw err;
    }
    grants.set(key, byScope.get(key)!);
  }
  return { grants, users, groups: actors.groups, watchesDirectory: actors.user_type === 'ephemeral', always: false };
}
