import { DomainError, conflict, notFound, validation } from '../errors';
import { streams, type PendingEvent } from '../model/events';
import { assignmentKey, type Role, type RoleAssignment } from '../model/resources';
import type { RegistryState } from '../model/state';
import type { RegistryCommand } from './command';
import { changedFields } from './diff';
import { requireDomain, requireGroup, requireProject, requireUser } from './decide-identity';
import { cascadedRemovals } from './cascade';

type Cmd<K extends RegistryCommand['kind']> = Extract<RegistryCommand, { kind: K }>;

export function requireRole(state: RegistryState, id: string): Role {
  const role = state.roles.get(id);
  if (!role) throw notFound('role', id);
  return role;
}

function roleNameTaken(state: RegistryState, name: string, domainId: string | null, exceptId?: string): boolean {
  for (const role of state.roles.values()) {
    if (role.id !== exceptId && role.name === name && role.domain_id === domainId) return true;
  }
  return false;
}

export function createRole(state: RegistryState, c: Cmd<'CreateRole'>): PendingEvent[] {
  if (state.roles.has(c.id)) throw conflict('role', `Duplicate ID, ${c.id}`);
  const domainId = c.role.domain_id ?? null;
  if (domainId !== null) requireDomain(state, domainId);
  if (roleNameTaken(state, c.role.name, domainId)) {
    throw conflict('role', `Duplicate entry found with name ${c.role.name}`);
  }
  const role: Role = {
    id: c.id,
    name: c.role.name,
    domain_id: domainId,
    description: c.role.description ?? null,
    extra: c.role.extra ?? {},
  };
  return [{ stream: streams.role(c.id), type: 'RoleCreated', data: { role } }];
}

export function updateRole(state: RegistryState, c: Cmd<'UpdateRole'>): PendingEvent[] {
  const role = requireRole(state, c.id);
  if (c.patch.domain_id !== undefined && c.patch.domain_id !== role.domain_id) {
    throw validation('Update of `domain_id` is not allowed.');
  }
  const { domain_id: _d, ...patch } = c.patch;
  if (patch.name !== undefined && patch.name !== role.name && roleNameTaken(state, patch.name, role.domain_id, role.id)) {
    throw conflict('role', `Duplicate entry found with name ${patch.name}`);
  }
  const { changes, previous } = changedFields(role, patch);
  return [{ stream: streams.role(c.id), type: 'RoleUpdated', data: { id: c.id, changes, previous } }];
}

export function deleteRole(state: RegistryState, c: Cmd<'DeleteRole'>): PendingEvent[] {
  requireRole(state, c.id);
  return [...cascadedRemovals(state, { roles: [c.id] }), { stream: streams.role(c.id), type: 'RoleDeleted', data: { id: c.id } }];
}

export function implyRole(state: RegistryState, c: Cmd<'ImplyRole'>): PendingEvent[] {
  requireRole(state, c.prior_role_id);
  requireRole(state, c.implied_role_id);
  if (state.impliedRoles.get(c.prior_role_id)?.has(c.implied_role_id)) {
    throw conflict('implied_role', 'Duplicate entry');
  }
  if (c.prior_role_id === c.implied_role_id || implies(state, c.implied_role_id, c.prior_role_id)) {
    throw new DomainError(
      403,
      'Forbidden',
      `Implied role ${c.implied_role_id} would create a cycle with ${c.prior_role_id}.`,
      'implied_role_cycle',
    );
  }
  const data = { prior_role_id: c.prior_role_id, implied_role_id: c.implied_role_id };
  return [{ stream: streams.implication(c.prior_role_id, c.implied_role_id), type: 'RoleImplied', data }];
}

function implies(state: RegistryState, from: string, to: string): boolean {
  const seen = new Set<string>();
  const stack = [from];
  while (stack.length > 0) {
    const role = stack.pop()!;
    if (role === to) return true;
    if (seen.has(role)) continue;
    seen.add(role);
    for (const next of state.impliedRoles.get(role) ?? []) stack.push(next);
  }
  return false;
}

export function removeImpliedRole(state: RegistryState, c: Cmd<'RemoveImpliedRole'>): PendingEvent[] {
  requireRole(state, c.prior_role_id);
  requireRole(state, c.implied_role_id);
  if (!state.impliedRoles.get(c.prior_role_id)?.has(c.implied_role_id)) {
    throw notFound('role inference', `${c.prior_role_id} -> ${c.implied_role_id}`, 'implied_role_not_found');
  }
  const data = { prior_role_id: c.prior_role_id, implied_role_id: c.implied_role_id };
  return [{ stream: streams.implication(c.prior_role_id, c.implied_role_id), type: 'RoleImplicationRemoved', data }];
}

/** Every id a grant names must exist: a grant to a typo is refused, never recorded. */
function checkAssignmentRefs(state: RegistryState, a: RoleAssignment): void {
  const role = requireRole(state, a.role_id);
  if (a.actor_type === 'user') requireUser(state, a.actor_id);
  else requireGroup(state, a.actor_id);
  const targetDomain =
    a.target_type === 'project' ? requireProject(state, a.target_id).domain_id : requireDomain(state, a.target_id).id;
  if (role.domain_id !== null && role.domain_id !== targetDomain) {
    throw new DomainError(
      403,
      'Forbidden',
      `${a.target_type === 'project' ? 'Project' : 'Domain'} ${a.target_id} must be in the same domain as the role ${role.id} being assigned.`,
      'domain_specific_role_mismatch',
    );
  }
}

export function grantRole(state: RegistryState, c: Cmd<'GrantRole'>): PendingEvent[] {
  checkAssignmentRefs(state, c.assignment);
  // Granting again is a 204 in Keystone and changes nothing.
  if (state.assignments.has(assignmentKey(c.assignment))) return [];
  return [{ stream: streams.assignment(c.assignment), type: 'RoleGranted', data: { ...c.assignment } }];
}

export function revokeRole(state: RegistryState, c: Cmd<'RevokeRole'>): PendingEvent[] {
  checkAssignmentRefs(state, c.assignment);
  if (!state.assignments.has(assignmentKey(c.assignment))) {
    const a = c.assignment;
    throw new DomainError(
      404,
      'Not Found',
      `Could not find role assignment with role: ${a.role_id}, user or group: ${a.actor_id}, ` +
        `project, domain, or system: ${a.target_id}.`,
      'assignment_not_found',
    );
  }
  return [{ stream: streams.assignment(c.assignment), type: 'RoleRevoked', data: { ...c.assignment } }];
}
