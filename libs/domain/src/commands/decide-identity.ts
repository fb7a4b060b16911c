import { DomainError, conflict, forbidden, notFound, validation } from '../errors';
import { streams, type PendingEvent } from '../model/events';
import type { Domain, Group, Project, User } from '../model/resources';
import type { RegistryState } from '../model/state';
import type { RegistryCommand } from './command';
import { changedFields } from './diff';
import { cascadedRemovals } from './cascade';

type Cmd<K extends RegistryCommand['kind']> = Extract<RegistryCommand, { kind: K }>;

export function requireDomain(state: RegistryState, id: string): Domain {
  const domain = state.domains.get(id);
  if (!domain) throw notFound('domain', id);
  return domain;
}

export function requireProject(state: RegistryState, id: string): Project {
  const project = state.projects.get(id);
  if (!project) throw notFound('project', id);
  return project;
}

export function requireUser(state: RegistryState, id: string): User {
  const user = state.users.get(id);
  if (!user) throw notFound('user', id);
  return user;
}

export function requireGroup(state: RegistryState, id: string): Group {
  const group = state.groups.get(id);
  if (!group) throw notFound('group', id);
  return group;
}

function requireFreshId(state: RegistryState, kind: string, taken: boolean, id: string): void {
  if (taken) throw conflict(kind, `Duplicate ID, ${id}`);
}

export function createDomain(state: RegistryState, c: Cmd<'CreateDomain'>): PendingEvent[] {
  requireFreshId(state, 'domain', state.domains.has(c.id) || state.projects.has(c.id), c.id);
  if (state.domainByName(c.domain.name)) {
    throw conflict(
      'project',
      `it is not permitted to have two projects acting as domains with the same name: ${c.domain.name}`,
    );
  }
  const domain: Domain = {
    id: c.id,
    name: c.domain.name,
    description: c.domain.description ?? '',
    enabled: c.domain.enabled ?? true,
    tags: c.domain.tags ?? [],
    extra: c.domain.extra ?? {},
  };
  return [{ stream: streams.domain(c.id), type: 'DomainCreated', data: { domain } }];
}

export function updateDomain(state: RegistryState, c: Cmd<'UpdateDomain'>): PendingEvent[] {
  const domain = requireDomain(state, c.id);
  if (c.patch.name !== undefined && c.patch.name !== domain.name && state.domainByName(c.patch.name)) {
    throw conflict(
      'project',
      `it is not permitted to have two projects acting as domains with the same name: ${c.patch.name}`,
    );
  }
  const { changes, previous } = changedFields(domain, c.patch);
  return [{ stream: streams.domain(c.id), type: 'DomainUpdated', data: { id: c.id, changes, previous } }];
}

export function deleteDomain(state: RegistryState, c: Cmd<'DeleteDomain'>): PendingEvent[] {
  const domain = requireDomain(state, c.id);
  if (domain.enabled) {
    throw forbidden('Cannot delete a domain that is enabled, please disable it first.', 'domain_enabled');
  }
  // Keystone deletes everything the domain owns with it; each deletion is its own event.
  const of = <T extends { id: string; domain_id?: string | null }>(m: Map<string, T>) =>
    [...m.values()].filter((r) => r.domain_id === c.id).map((r) => r.id);
  const removed = { domains: [c.id], projects: of(state.projects), users: of(state.users), groups: of(state.groups), roles: of(state.roles) };
  return [
    ...cascadedRemovals(state, removed),
    ...removed.projects.map((id): PendingEvent => ({ stream: streams.project(id), type: 'ProjectDeleted', data: { id } })),
    ...removed.users.map((id): PendingEvent => ({ stream: streams.user(id), type: 'UserDeleted', data: { id } })),
    ...removed.groups.map((id): PendingEvent => ({ stream: streams.group(id), type: 'GroupDeleted', data: { id } })),
    ...removed.roles.map((id): PendingEvent => ({ stream: streams.role(id), type: 'RoleDeleted', data: { id } })),
    { stream: streams.domain(c.id), type: 'DomainDeleted', data: { id: c.id } },
  ];
}

export function createProject(state: RegistryState, c: Cmd<'CreateProject'>): PendingEvent[] {
  requireFreshId(state, 'project', state.projects.has(c.id) || state.domains.has(c.id), c.id);
  let domainId = c.project.domain_id ?? undefined;
  let parentId = c.project.parent_id ?? undefined;
  if (parentId !== undefined && !state.domains.has(parentId)) {
    const parent = requireProject(state, parentId);
    if (domainId !== undefined && domainId !== parent.domain_id) {
      throw validation('Cannot create project, the parent is in a different domain.');
    }
    domainId = parent.domain_id;
  } else if (parentId !== undefined) {
    domainId = domainId ?? parentId;
  }
  domainId = domainId ?? 'default';
  requireDomain(state, domainId);
  parentId = parentId ?? domainId;
  if (state.projectByName(domainId, c.project.name)) {
    throw conflict(
      'project',
      'it is not permitted to have two projects with either the same name or same id in the same domain: ' +
        `name is ${c.project.name}, project id ${c.id}`,
    );
  }
  const project: Project = {
    id: c.id,
    name: c.project.name,
    domain_id: domainId,
    description: c.project.description ?? '',
    enabled: c.project.enabled ?? true,
    parent_id: parentId,
    tags: c.project.tags ?? [],
    extra: c.project.extra ?? {},
  };
  return [{ stream: streams.project(c.id), type: 'ProjectCreated', data: { project } }];
}

export function updateProject(state: RegistryState, c: Cmd<'UpdateProject'>): PendingEvent[] {
  const project = requireProject(state, c.id);
  if (c.patch.domain_id !== undefined && c.patch.domain_id !== project.domain_id) {
    throw validation('Update of `domain_id` is not allowed.');
  }
  if (c.patch.parent_id !== undefined && c.patch.parent_id !== project.parent_id) {
    throw forbidden('Update of `parent_id` is not allowed.', 'immutable_parent');
  }
  const { domain_id: _d, parent_id: _p, ...patch } = c.patch;
  if (patch.name !== undefined && patch.name !== project.name && state.projectByName(project.domain_id, patch.name)) {
    throw conflict(
      'project',
      'it is not permitted to have two projects with either the same name or same id in the same domain: ' +
        `name is ${patch.name}, project id ${c.id}`,
    );
  }
  const { changes, previous } = changedFields(project, patch);
  return [{ stream: streams.project(c.id), type: 'ProjectUpdated', data: { id: c.id, changes, previous } }];
}

export function deleteProject(state: RegistryState, c: Cmd<'DeleteProject'>): PendingEvent[] {
  requireProject(state, c.id);
  if ((state.childProjects.get(c.id)?.size ?? 0) > 0) {
    throw forbidden(
      `Cannot delete the project ${c.id} since it is not a leaf in the hierarchy. ` +
        'Use the cascade option if you want to delete a whole subtree.',
      'project_has_children',
    );
  }
  return [...cascadedRemovals(state, { projects: [c.id] }), { stream: streams.project(c.id), type: 'ProjectDeleted', data: { id: c.id } }];
}

export function createUser(state: RegistryState, c: Cmd<'CreateUser'>): PendingEvent[] {
  requireFreshId(state, 'user', state.users.has(c.id), c.id);
  const domainId = c.user.domain_id ?? 'default';
  requireDomain(state, domainId);
  if (state.userByName(domainId, c.user.name)) {
    throw conflict('user', `Duplicate entry found with name ${c.user.name} at domain ID ${domainId}`);
  }
  const user: User = {
    id: c.id,
    name: c.user.name,
    domain_id: domainId,
    enabled: c.user.enabled ?? true,
    ...(c.user.default_project_id !== undefined ? { default_project_id: c.user.default_project_id } : {}),
    extra: c.user.extra ?? {},
  };
  return [{ stream: streams.user(c.id), type: 'UserCreated', data: { user } }];
}

export function updateUser(state: RegistryState, c: Cmd<'UpdateUser'>): PendingEvent[] {
  const user = requireUser(state, c.id);
  if (c.patch.domain_id !== undefined && c.patch.domain_id !== user.domain_id) {
    throw validation('Update of `domain_id` is not allowed.');
  }
  const { domain_id: _d, ...patch } = c.patch;
  if (patch.name !== undefined && patch.name !== user.name && state.userByName(user.domain_id, patch.name)) {
    throw conflict('user', `Duplicate entry found with name ${patch.name} at domain ID ${user.domain_id}`);
  }
  const { changes, previous } = changedFields(user, patch);
  return [{ stream: streams.user(c.id), type: 'UserUpdated', data: { id: c.id, changes, previous } }];
}

export function deleteUser(state: RegistryState, c: Cmd<'DeleteUser'>): PendingEvent[] {
  requireUser(state, c.id);
  return [...cascadedRemovals(state, { users: [c.id] }), { stream: streams.user(c.id), type: 'UserDeleted', data: { id: c.id } }];
}

export function createGroup(state: RegistryState, c: Cmd<'CreateGroup'>): PendingEvent[] {
  requireFreshId(state, 'group', state.groups.has(c.id), c.id);
  const domainId = c.group.domain_id ?? 'default';
  requireDomain(state, domainId);
  if (state.groupByName(domainId, c.group.name)) {
    throw conflict('group', `Duplicate entry found with name ${c.group.name} at domain ID ${domainId}`);
  }
  const group: Group = {
    id: c.id,
    name: c.group.name,
    domain_id: domainId,
    description: c.group.description ?? '',
    extra: c.group.extra ?? {},
  };
  return [{ stream: streams.group(c.id), type: 'GroupCreated', data: { group } }];
}

export function updateGroup(state: RegistryState, c: Cmd<'UpdateGroup'>): PendingEvent[] {
  const group = requireGroup(state, c.id);
  if (c.patch.domain_id !== undefined && c.patch.domain_id !== group.domain_id) {
    throw validation('Update of `domain_id` is not allowed.');
  }
  const { domain_id: _d, ...patch } = c.patch;
  if (patch.name !== undefined && patch.name !== group.name && state.groupByName(group.domain_id, patch.name)) {
    throw conflict('group', `Duplicate entry found with name ${patch.name} at domain ID ${group.domain_id}`);
  }
  const { changes, previous } = changedFields(group, patch);
  return [{ stream: streams.group(c.id), type: 'GroupUpdated', data: { id: c.id, changes, previous } }];
}

export function deleteGroup(state: RegistryState, c: Cmd<'DeleteGroup'>): PendingEvent[] {
  requireGroup(state, c.id);
  return [...cascadedRemovals(state, { groups: [c.id] }), { stream: streams.group(c.id), type: 'GroupDeleted', data: { id: c.id } }];
}

export function addUserToGroup(state: RegistryState, c: Cmd<'AddUserToGroup'>): PendingEvent[] {
  requireGroup(state, c.group_id);
  requireUser(state, c.user_id);
  // Adding a member twice is not an error in Keystone, and records nothing.
  if (state.membersOfGroup.get(c.group_id)?.has(c.user_id)) return [];
  return [
    {
      stream: streams.membership(c.group_id, c.user_id),
      type: 'UserAddedToGroup',
      data: { group_id: c.group_id, user_id: c.user_id },
    },
  ];
}

export function removeUserFromGroup(state: RegistryState, c: Cmd<'RemoveUserFromGroup'>): PendingEvent[] {
  requireGroup(state, c.group_id);
  requireUser(state, c.user_id);
  if (!state.membersOfGroup.get(c.group_id)?.has(c.user_id)) {
    throw new DomainError(
      404,
      'Not Found',
      `User '${c.user_id}' not found in group '${c.group_id}'`,
      'not_a_member',
    );
  }
  return [
    {
      stream: streams.membership(c.group_id, c.user_id),
      type: 'UserRemovedFromGroup',
      data: { group_id: c.group_id, user_id: c.user_id },
    },
  ];
}
