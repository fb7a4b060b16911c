import { preconditionFailed } from '../errors';
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
    case 'UpdateIdentityProvider':
    case 'DeleteIdentityProvider':
      return streams.idp(c.id);
    case 'ReplaceMapping':
    case 'DeleteMapping':
      return streams.mapping(c.id);
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
 * Decides which events a command produces against the current state, or
 * throws a DomainError. Pure: no clock, no randomness, no I/O.
 */
export function decide(state: RegistryState, c: RegistryCommand): PendingEvent[] {
  const stream = guardedStream(c);
  if (c.expected_version !== undefined && stream !== undefined) {
    const actual = state.version(stream);
    if (actual !== c.expected_version) throw preconditionFailed(stream, c.expected_version, actual);
  }
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
