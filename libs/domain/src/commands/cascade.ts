import { streams, type PendingEvent } from '../model/events';
import type { RegistryState } from '../model/state';

/** What a deletion removes, by kind. */
export interface Removed {
  domains?: string[];
  projects?: string[];
  users?: string[];
  groups?: string[];
  roles?: string[];
}

/**
 * The events for what a deletion takes with it, as Keystone's database does:
 * the role assignments on or of the removed resources, the group memberships
 * of removed users and groups, and the implications of removed roles. Each
 * gets its own event, so the history of every stream shows its end and the
 * audit can name the change that closed a grant. Applying them before the
 * deletion itself leaves the same state as the deletion alone.
 */
export function cascadedRemovals(state: RegistryState, removed: Removed): PendingEvent[] {
  const assignments = new Set<string>();
  const take = (keys: Set<string> | undefined) => keys?.forEach((k) => assignments.add(k));
  for (const id of removed.domains ?? []) take(state.assignmentsByTarget.get(`domain:${id}`));
  for (const id of removed.projects ?? []) take(state.assignmentsByTarget.get(`project:${id}`));
  for (const id of removed.users ?? []) take(state.assignmentsByActor.get(`user:${id}`));
  for (const id of removed.groups ?? []) take(state.assignmentsByActor.get(`group:${id}`));
  for (const id of removed.roles ?? []) take(state.assignmentsByRole.get(id));
  const events: PendingEvent[] = [];
  for (const key of assignments) {
    const a = state.assignments.get(key);
    if (a) events.push({ stream: streams.assignment(a), type: 'RoleRevoked', data: { ...a } });
  }

  const memberships = new Map<string, { group_id: string; user_id: string }>();
  const member = (group_id: string, user_id: string) => memberships.set(streams.membership(group_id, user_id), { group_id, user_id });
  for (const user of removed.users ?? []) for (const group of state.groupsOfUser.get(user) ?? []) member(group, user);
  for (const group of removed.groups ?? []) for (const user of state.membersOfGroup.get(group) ?? []) member(group, user);
  for (const [stream, data] of memberships) events.push({ stream, type: 'UserRemovedFromGroup', data });

  const implications = new Map<string, { prior_role_id: string; implied_role_id: string }>();
  const gone = new Set(removed.roles ?? []);
  for (const [prior, implied] of state.impliedRoles) {
    for (const role of implied) {
      if (gone.has(prior) || gone.has(role)) {
        implications.set(streams.implication(prior, role), { prior_role_id: prior, implied_role_id: role });
      }
    }
  }
  for (const [stream, data] of implications) events.push({ stream, type: 'RoleImplicationRemoved', data });
  return events;
}
