import type { RegistryState } from '../model/state';
import type { Scope } from './scope';

/** A project's ancestor projects, nearest first, up to (not including) its domain; a cycle ends the walk. */
function* ancestorIds(state: RegistryState, project: { id: string; parent_id: string; domain_id: string }): Generator<string> {
  let parentId = project.parent_id;
  const seen = new Set<string>([project.id]);
  while (parentId !== project.domain_id && !seen.has(parentId)) {
    const parent = state.projects.get(parentId);
    if (!parent) return;
    seen.add(parentId);
    yield parentId;
    parentId = parent.parent_id;
  }
}

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
    for (const ancestor of ancestorIds(state, project)) collect('project', ancestor, true);
  }

  return roleNames(state, roleIds);
}

/** Role ids expanded by implication, domain-specific ones dropped, as sorted names. */
function roleNames(state: RegistryState, roleIds: Iterable<string>): string[] {
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

/**
 * `effectiveRoleNames` for every scope at once, starting from the actors'
 * own assignments rather than from each scope's: `project:<id>` or
 * `domain:<id>` to the non-empty sorted role names. Scopes are not checked
 * for being usable (enabled); the caller does that.
 */
export function effectiveRoleNamesByScope(
  state: RegistryState,
  actors: { users: string[]; groups: string[] },
): Map<string, string[]> {
  const direct = new Map<string, Set<string>>();
  const inherited = new Map<string, Set<string>>();
  const keys = [...actors.users.map((u) => `user:${u}`), ...actors.groups.map((g) => `group:${g}`)];
  for (const actor of keys) {
    for (const key of state.assignmentsByActor.get(actor) ?? []) {
      const a = state.assignments.get(key)!;
      const into = a.inherited ? inherited : direct;
      const target = `${a.target_type}:${a.target_id}`;
      let set = into.get(target);
      if (!set) into.set(target, (set = new Set()));
      set.add(a.role_id);
    }
  }
  const out = new Map<string, string[]>();
  const put = (key: string, ids: Set<string>) => {
    if (ids.size === 0) return;
    const names = roleNames(state, ids);
    if (names.length > 0) out.set(key, names);
  };
  for (const [target, ids] of direct) {
    if (target.startsWith('domain:') && state.domains.has(target.slice(7))) put(target, ids);
  }
  // Projects that can hold a role: direct targets, and with inherited grants every project (rare).
  const candidates = new Set<string>();
  for (const target of direct.keys()) if (target.startsWith('project:')) candidates.add(target.slice(8));
  if (inherited.size > 0) for (const id of state.projects.keys()) candidates.add(id);
  for (const id of candidates) {
    const project = state.projects.get(id);
    if (!project) continue;
    const ids = new Set(direct.get(`project:${id}`) ?? []);
    const add = (set: Set<string> | undefined) => set?.forEach((r) => ids.add(r));
    add(inherited.get(`domain:${project.domain_id}`));
    for (const ancestor of ancestorIds(state, project)) add(inherited.get(`project:${ancestor}`));
    put(`project:${id}`, ids);
  }
  return out;
}
