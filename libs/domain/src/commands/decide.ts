import { noCurrentVersion, preconditionFailed } from '../errors';
import { assignmentKey } from '../model/resources';
import type { PendingEvent } from '../model/events';
import type { RegistryState } from '../model/state';
import type { RegistryCommand } from './command';
import * as fed from './decide-federation';
import * as idn from './decide-identity';
import * as roles from './decide-roles';
import * as tokens from './decide-tokens';
import * as audit from './decide-audit';
import { streams } from '../model/events';

/**
 * What an `If-Match` on this command is about: the stream whose version it
 * guards, whether that resource exists now (a stream keeps its version after
 * a delete, so the version alone cannot tell), and whether the command is a
 * PUT that brings the resource into being.
 */
interface Guard {
  stream: string;
  exists(state: RegistryState): boolean;
  creates?: boolean;
}

function guard(c: RegistryCommand): Guard | undefined {
  switch (c.kind) {
    case 'ReplaceTokenlessSettings':
    case 'AddTrustedIssuer':
    case 'RemoveTrustedIssuer':
      // The settings always have a current version (the defaults until replaced).
      return { stream: streams.settings(), exists: () => true };
    case 'UpdateDomain':
    case 'DeleteDomain':
      return { stream: streams.domain(c.id), exists: (s) => s.domains.has(c.id) };
    case 'UpdateProject':
    case 'DeleteProject':
      return { stream: streams.project(c.id), exists: (s) => s.projects.has(c.id) };
    case 'UpdateUser':
    case 'DeleteUser':
      return { stream: streams.user(c.id), exists: (s) => s.users.has(c.id) };
    case 'UpdateGroup':
    case 'DeleteGroup':
      return { stream: streams.group(c.id), exists: (s) => s.groups.has(c.id) };
    case 'UpdateRole':
    case 'DeleteRole':
      return { stream: streams.role(c.id), exists: (s) => s.roles.has(c.id) };
    case 'RegisterIdentityProvider':
    case 'UpdateIdentityProvider':
    case 'DeleteIdentityProvider':
      return { stream: streams.idp(c.id), exists: (s) => s.idps.has(c.id), creates: c.kind === 'RegisterIdentityProvider' };
    case 'CreateMapping':
    case 'ReplaceMapping':
    case 'DeleteMapping':
      return { stream: streams.mapping(c.id), exists: (s) => s.mappings.has(c.id), creates: c.kind === 'CreateMapping' };
    case 'CreateProtocol':
    case 'UpdateProtocol':
    case 'DeleteProtocol':
      return {
        stream: streams.protocol(c.idp_id, c.id),
        exists: (s) => s.protocols.has(`${c.idp_id}/${c.id}`),
        creates: c.kind === 'CreateProtocol',
      };
    case 'RevokeApiToken':
      return { stream: streams.token(c.id), exists: (s) => s.apiTokens.has(c.id) };
    case 'AddUserToGroup':
    case 'RemoveUserFromGroup':
      return {
        stream: streams.membership(c.group_id, c.user_id),
        exists: (s) => s.membersOfGroup.get(c.group_id)?.has(c.user_id) === true,
        creates: c.kind === 'AddUserToGroup',
      };
    case 'ImplyRole':
    case 'RemoveImpliedRole':
      return {
        stream: streams.implication(c.prior_role_id, c.implied_role_id),
        exists: (s) => s.impliedRoles.get(c.prior_role_id)?.has(c.implied_role_id) === true,
        creates: c.kind === 'ImplyRole',
      };
    case 'GrantRole':
    case 'RevokeRole':
      return {
        stream: streams.assignment(c.assignment),
        exists: (s) => s.assignments.has(assignmentKey(c.assignment)),
        creates: c.kind === 'GrantRole',
      };
    default:
      return undefined;
  }
}

/** The stream whose version an `If-Match` on this command guards. */
export function guardedStream(c: RegistryCommand): string | undefined {
  return guard(c)?.stream;
}

/**
 * Evaluates the command's `If-Match` (RFC 9110 13.1.1) and throws 412 when it
 * is false. On a resource that exists, `*` matches and a version must be the
 * stream's. On one that does not, nothing matches: a PUT that would create
 * it is refused, since the client asked to change something that is there.
 * Any other command on a missing resource is refused by its decider with the
 * same 404 it gets without If-Match, as RFC 9110 13.2.1 asks (a condition is
 * ignored when the answer without it would be an error), so it is left to it.
 */
export function checkIfMatch(state: RegistryState, c: RegistryCommand): void {
  const expected = c.expected_version;
  if (expected === undefined) return;
  const guarded = guard(c);
  if (guarded === undefined) return;
  if (!guarded.exists(state)) {
    if (guarded.creates) throw noCurrentVersion(guarded.stream, expected);
    return;
  }
  if (expected === '*') return;
  const actual = state.version(guarded.stream);
  if (actual !== expected) throw preconditionFailed(guarded.stream, expected, actual);
}

/**
 * Decides which events a command produces against the current state, or
 * throws a DomainError. Pure: no clock, no randomness, no I/O.
 */
export function decide(state: RegistryState, c: RegistryCommand): PendingEvent[] {
  checkIfMatch(state, c);
  switch (c.kind) {
    case 'ReplaceTokenlessSettings': return fed.replaceSettings(state, c);
    case 'AddTrustedIssuer': return fed.addTrustedIssuer(state, c);
    case 'RemoveTrustedIssuer': return fed.removeTrustedIssuer(state, c);
    case 'CreateDomain': return idn.createDomain(state, c);
    case 'UpdateDomain': return idn.updateDomain(state, c);
    case 'DeleteDomain': return idn.deleteDomain(state, c);
    case 'CreateProject': return idn.createProject(state, c);
    case 'UpdateProject': return idn.updateProject(state, c);
    case 'DeleteProject': return idn.deleteProject(state, c);
    case 'CreateUser': return idn.createUser(state, c);
    case 'UpdateUser': return idn.updateUser(state, c);
    case 'DeleteUser': return idn.deleteUser(state, c);
    case 'CreateGroup': return idn.createGroup(state, c);
    case 'UpdateGroup': return idn.updateGroup(state, c);
    case 'DeleteGroup': return idn.deleteGroup(state, c);
    case 'AddUserToGroup': return idn.addUserToGroup(state, c);
    case 'RemoveUserFromGroup': return idn.removeUserFromGroup(state, c);
    case 'CreateRole': return roles.createRole(state, c);
    case 'UpdateRole': return roles.updateRole(state, c);
    case 'DeleteRole': return roles.deleteRole(state, c);
    case 'ImplyRole': return roles.implyRole(state, c);
    case 'RemoveImpliedRole': return roles.removeImpliedRole(state, c);
    case 'GrantRole': return roles.grantRole(state, c);
    case 'RevokeRole': return roles.revokeRole(state, c);
    case 'RegisterIdentityProvider': return fed.registerIdentityProvider(state, c);
    case 'UpdateIdentityProvider': return fed.updateIdentityProvider(state, c);
    case 'DeleteIdentityProvider': return fed.deleteIdentityProvider(state, c);
    case 'CreateMapping': return fed.createMapping(state, c);
    case 'ReplaceMapping': return fed.replaceMapping(state, c);
    case 'DeleteMapping': return fed.deleteMapping(state, c);
    case 'CreateProtocol': return fed.createProtocol(state, c);
    case 'UpdateProtocol': return fed.updateProtocol(state, c);
    case 'DeleteProtocol': return fed.deleteProtocol(state, c);
    case 'CreateApiToken': return tokens.createApiToken(state, c);
    case 'RevokeApiToken': return tokens.revokeApiToken(state, c);
    case 'TrackIdentity': return audit.trackIdentity(state, c);
    case 'UntrackIdentity': return audit.untrackIdentity(state, c);
  }
}
