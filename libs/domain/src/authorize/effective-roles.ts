import type { RegistryState } from '../model/state';
import type { Scope } from './scope';

/**
 * Role names an actor set holds on a scope, as Keystone computes effective
 * assignments: direct grants on the target, grants inherited from the
 * project's domain and its ancestor projects, then implied roles
 * transitively; domain-specific roles are dropped (what they imply is kept).
 */
export function effectiveRoleNames(
  state: RegistryState,
  actors: { users: string[]; groups: string[] },
  scope: Scope,
): string[] {
  const actorKeys = new Set<string>();
  for (const u of actors.users) actorKeys.add(`user:${u}`);
  for (const g of actors.groups) actorKeys.add(`group:${g}`);
  if (actorKeys.size === 0) return [];

  const roleIds = new Set<string>();
  const collect = (targetType: 'project' | 'domain', targetId: string, inherited: boolean) => {
    for (const a of state.assignmentsOn(targetType, targetId)) {
      if (a.inherited === inherited && actorKeys.has(`${a.actor_type}:${a.actor_id}`)) roleIds.add(a.role_id);
    }
  };

  if (scope.type === 'domain') {
    collect('domain', scope.id, false);
  } else {
    const project = state.projects.get(scope.id)!;
    collect('project', project.id, false);
    collect('domain', project.domain_id, true);
    let parentId = project.parent_id;
    const seen = new Set<string>([project.id]);
    while (parentId !== project.domain_id && !seen.has(parentId)) {
      const parent = state.projects.get(parentId);
      if (!parent) break;
      seen.add(parentId);
      collect('project', parent.id, true);
      parentId = parent.parent_id;
    }
  }

  const expanded = new Set<string>();
  const stack = [...roleIds];
  while (stack.length > 0) {
    const id = stack.pop()!;
    if (expanded.has(id)) continue;
    expanded.add(id);
    for (const implied of state.impliedRoles.get(id) ?? []) stack.push(implied);
  }

  const names = new Set<string>();
  for (const id of expanded) {
    const role = state.roles.get(id);
    if (role && role.domain_id === null) names.add(role.name);
  }
  return [...names].sort();
}
