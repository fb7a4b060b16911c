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

/** The stream whose version an `If-Match` on this command guards. */
export function guardedStream(c: RegistryCommand): string | undefined {
  switch (c.kind) {
    case 'ReplaceTokenlessSettings':
    case 'AddTrustedIssuer':
    case 'RemoveTrustedIssuer':
      return streams.settings();
    case 'UpdateDomain':
    case 'DeleteDomain':
      return streams.domain(c.id);
    case 'UpdateProject':
    case 'DeleteProject':
      return streams.project(c.id);
    case 'UpdateUser':
    case 'DeleteUser':
      return streams.user(c.id);
    case 'UpdateGroup':
    case 'DeleteGroup':
      return streams.group(c.id);
    case 'UpdateRole':
    case 'DeleteRole':
      return streams.role(c.id);
    case 'RegisterIdentityProvider':
    case 'UpdateIdentityProvider':
    case 'DeleteIdentityProvider':
      return streams.idp(c.id);
    case 'CreateMapping':
    case 'ReplaceMapping':
    case 'DeleteMapping':
      return streams.mapping(c.id);
    case 'CreateProtocol':
    case 'UpdateProtocol':
    case 'DeleteProtocol':
      return streams.protocol(c.idp_id, c.id);
    case 'RevokeApiToken':
      return streams.token(c.id);
    case 'AddUserToGroup':
    case 'RemoveUserFromGroup':
      return streams.membership(c.group_id, c.user_id);
    case 'ImplyRole':
    case 'RemoveImpliedRole':
      return streams.implication(c.prior_role_id, c.implied_role_id);
    case 'GrantRole':
    case 'RevokeRole':
      return streams.assignment(c.assignment);
    default:
      return undefined;
  }
}

/**
 * The PUTs that bring the resource they name into being. An `If-Match` on
 * them can only be about a resource that is already there.
 */
function createsTarget(c: RegistryCommand): boolean {
  switch (c.kind) {
    case 'RegisterIdentityProvider':
    case 'CreateMapping':
    case 'CreateProtocol':
    case 'AddUserToGroup':
    case 'ImplyRole':
    case 'GrantRole':
      return true;
    default:
      return false;
  }
}

/**
 * Whether the resource a guarded command names exists now, i.e. has a
 * current version an `If-Match` could match. A stream keeps its version
 * after a delete, so the version alone cannot tell.
 */
export function targetExists(state: RegistryState, c: RegistryCommand): boolean {
  switch (c.kind) {
    case 'UpdateDomain':
    case 'DeleteDomain':
      return state.domains.has(c.id);
    case 'UpdateProject':
    case 'DeleteProject':
      return state.projects.has(c.id);
    case 'UpdateUser':
    case 'DeleteUser':
      return state.users.has(c.id);
    case 'UpdateGroup':
    case 'DeleteGroup':
      return state.groups.has(c.id);
    case 'UpdateRole':
    case 'DeleteRole':
      return state.roles.has(c.id);
    case 'RegisterIdentityProvider':
    case 'UpdateIdentityProvider':
    case 'DeleteIdentityProvider':
      return state.idps.has(c.id);
    case 'CreateMapping':
    case 'ReplaceMapping':
    case 'DeleteMapping':
      return state.mappings.has(c.id);
    case 'CreateProtocol':
    case 'UpdateProtocol':
    case 'DeleteProtocol':
      return state.protocols.has(`${c.idp_id}/${c.id}`);
    case 'RevokeApiToken':
      return state.apiTokens.has(c.id);
    case 'AddUserToGroup':
    case 'RemoveUserFromGroup':
      return state.membersOfGroup.get(c.group_id)?.has(c.user_id) === true;
    case 'ImplyRole':
    case 'RemoveImpliedRole':
      return state.impliedRoles.get(c.prior_role_id)?.has(c.implied_role_id) === true;
    case 'GrantRole':
    case 'RevokeRole':
      return state.assignments.has(assignmentKey(c.assignment));
    default:
      // The tokenless settings always have a current version (the defaults until replaced).
      return true;
  }
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
  const stream = guardedStream(c);
  const expected = c.expected_version;
  if (expected === undefined || stream === undefined) return;
  if (!targetExists(state, c)) {
    if (createsTarget(c)) throw noCurrentVersion(stream, expected);
    return;
  }
  if (expected === '*') return;
  const actual = state.version(stream);
  if (actual !== expected) throw preconditionFailed(stream, expected, actual);
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
