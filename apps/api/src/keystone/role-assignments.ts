import type { RegistryState, RoleAssignment } from '../../../../libs/domain/src';
import { listOf } from './present';

interface Entry {
  a: RoleAssignment;
  /** Where the role applies (differs from the grant's target for expanded inherited grants). */
  scope: { type: 'project' | 'domain'; id: string };
  /** The user a group grant was expanded to. */
  user?: string;
  /** The role actually held, when it is implied by the granted one. */
  role: string;
}

/**
 * A boolean query flag as Keystone reads one (`query_filter_is_true`):
 * present means true, whatever its value (even empty or `false`), except `0`.
 */
function isTrue(value: string | undefined): boolean {
  return value !== undefined && value !== '0';
}

function projectsBelow(state: RegistryState, parentId: string): string[] {
  const out: string[] = [];
  const stack = [...(state.childProjects.get(parentId) ?? [])];
  while (stack.length > 0) {
    const id = stack.pop()!;
    out.push(id);
    stack.push(...(state.childProjects.get(id) ?? []));
  }
  return out;
}

/** Effective assignments, as Keystone expands them: group grants per member, inherited grants per project below, implied roles. */
function expand(state: RegistryState, grants: RoleAssignment[]): Entry[] {
  const out: Entry[] = [];
  for (const a of grants) {
    const scopes = a.inherited
      ? projectsBelow(state, a.target_id).map((id) => ({ type: 'project' as const, id }))
      : [{ type: a.target_type, id: a.target_id }];
    const users = a.actor_type === 'group' ? [...(state.membersOfGroup.get(a.actor_id) ?? [])] : [undefined];
    for (const scope of scopes) {
      for (const user of users) {
        const seen = new Set<string>();
        const stack = [a.role_id];
        while (stack.length > 0) {
          const role = stack.pop()!;
          if (seen.has(role)) continue;
          seen.add(role);
          out.push({ a, scope, user, role });
          stack.push(...(state.impliedRoles.get(role) ?? []));
        }
      }
    }
  }
  return out;
}

function assignmentLink(base: string, a: RoleAssignment): string {
  const target = a.target_type === 'project' ? 'projects' : 'domains';
  const actor = a.actor_type === 'user' ? 'users' : 'groups';
  const path = `${target}/${a.target_id}/${actor}/${a.actor_id}/roles/${a.role_id}`;
  return a.inherited ? `${base}/v3/OS-INHERIT/${path}/inherited_to_projects` : `${base}/v3/${path}`;
}

function named(state: RegistryState, kind: 'project' | 'domain' | 'user' | 'group' | 'role', id: string) {
  if (kind === 'domain') return { id, name: state.domains.get(id)?.name };
  if (kind === 'role') {
    const role = state.roles.get(id);
    const domain = role?.domain_id ? { domain: { id: role.domain_id, name: state.domains.get(role.domain_id)?.name } } : {};
    return { id, name: role?.name, ...domain };
  }
  const owner =
    kind === 'project' ? state.projects.get(id) : kind === 'user' ? state.users.get(id) : state.groups.get(id);
  return {
    id,
    name: owner?.name,
    domain: { id: owner?.domain_id, name: owner ? state.domains.get(owner.domain_id)?.name : undefined },
  };
}

/** `GET /v3/role_assignments` with Keystone's filters, `effective` and `include_names`. */
export function listRoleAssignments(
  state: RegistryState,
  q: Record<string, string | undefined>,
  base: string,
  self: string,
) {
  const effective = isTrue(q.effective);
  const names = isTrue(q.include_names);
  const inheritedOnly = q['scope.OS-INHERIT:inherited_to'] === 'projects';
  const grants = [...state.assignments.values()].filter((a) => !inheritedOnly || a.inherited);
  let entries: Entry[] = effective
    ? expand(state, grants)
    : grants.map((a) => ({ a, scope: { type: a.target_type, id: a.target_id }, role: a.role_id }));

  const userId = q['user.id'];
  const groupId = q['group.id'];
  const roleId = q['role.id'];
  const projectId = q['scope.project.id'];
  const domainId = q['scope.domain.id'];
  entries = entries.filter((e) => {
    if (userId !== undefined && (e.user ?? (e.a.actor_type === 'user' ? e.a.actor_id : undefined)) !== userId) return false;
    if (groupId !== undefined && !(e.a.actor_type === 'group' && e.a.actor_id === groupId && e.user === undefined)) return false;
    if (roleId !== undefined && e.role !== roleId) return false;
    if (projectId !== undefined && !(e.scope.type === 'project' && e.scope.id === projectId)) return false;
    if (domainId !== undefined && !(e.scope.type === 'domain' && e.scope.id === domainId)) return false;
    return true;
  });

  const items = entries.map((e) => {
    const links: Record<string, string> = {};
    if (e.user !== undefined) links.membership = `${base}/v3/groups/${e.a.actor_id}/users/${e.user}`;
    links.assignment = assignmentLink(base, e.a);
    if (e.role !== e.a.role_id) links.prior_role = `${base}/v3/prior_role/${e.role}/implies/${e.a.role_id}`;
    const scopeObj = names ? named(state, e.scope.type, e.scope.id) : { id: e.scope.id };
    const scope: Record<string, unknown> = { [e.scope.type]: scopeObj };
    if (e.a.inherited) scope['OS-INHERIT:inherited_to'] = 'projects';
    const actor =
      e.user !== undefined
        ? { user: names ? named(state, 'user', e.user) : { id: e.user } }
        : e.a.actor_type === 'user'
          ? { user: names ? named(state, 'user', e.a.actor_id) : { id: e.a.actor_id } }
          : { group: names ? named(state, 'group', e.a.actor_id) : { id: e.a.actor_id } };
    return { links, scope, ...actor, role: names ? named(state, 'role', e.role) : { id: e.role } };
  });
  return listOf('role_assignments', items, self);
}
