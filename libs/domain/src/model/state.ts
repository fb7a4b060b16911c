import type { RecordedEvent, RegistryEvent } from './events';
import {
  DEFAULT_TOKENLESS_SETTINGS,
  assignmentKey,
  type ApiToken,
  type Domain,
  type Group,
  type IdentityProvider,
  type Mapping,
  type Project,
  type Protocol,
  type Role,
  type RoleAssignment,
  type TokenlessSettings,
  type TrackedIdentity,
  type User,
} from './resources';

const nameKey = (scopeId: string, name: string) => `${scopeId}\u0000${name}`;

function addTo<K, V>(map: Map<K, Set<V>>, key: K, value: V): void {
  let set = map.get(key);
  if (!set) map.set(key, (set = new Set()));
  set.add(value);
}

function removeFrom<K, V>(map: Map<K, Set<V>>, key: K, value: V): void {
  const set = map.get(key);
  if (!set) return;
  set.delete(value);
  if (set.size === 0) map.delete(key);
}

/**
 * The whole registry folded from its events, with the look-up indexes the
 * authorize query and the admin API need. `apply` is the only way it
 * changes; replaying the same events always builds the same state, which is
 * how point-in-time questions are answered.
 */
export class RegistryState {
  position = 0;
  lastRecordedAt: string | null = null;
  readonly versions = new Map<string, number>();
  /** The position of the last event of each stream: what an answer's `decided_by` points at. */
  readonly changedAt = new Map<string, number>();
  settings: TokenlessSettings = { ...DEFAULT_TOKENLESS_SETTINGS, trusted_issuer: [] };

  readonly domains = new Map<string, Domain>();
  readonly projects = new Map<string, Project>();
  readonly users = new Map<string, User>();
  readonly groups = new Map<string, Group>();
  readonly roles = new Map<string, Role>();
  readonly idps = new Map<string, IdentityProvider>();
  readonly mappings = new Map<string, Mapping>();
  /** Keyed by `${idp_id}/${protocol_id}`. */
  readonly protocols = new Map<string, Protocol>();
  /** Registry API tokens in force, by id and by the SHA-256 of their secret. */
  readonly apiTokens = new Map<string, ApiToken>();
  readonly apiTokenIdBySecretHash = new Map<string, string>();
  /** Identities the audit follows, by id (see trackedIdentityId). */
  readonly trackedIdentities = new Map<string, TrackedIdentity>();

  readonly domainIdByName = new Map<string, string>();
  readonly projectIdByName = new Map<string, string>();
  readonly userIdByName = new Map<string, string>();
  readonly groupIdByName = new Map<string, string>();
  readonly childProjects = new Map<string, Set<string>>();

  readonly membersOfGroup = new Map<string, Set<string>>();
  readonly groupsOfUser = new Map<string, Set<string>>();
  readonly impliedRoles = new Map<string, Set<string>>();

  readonly assignments = new Map<string, RoleAssignment>();
  readonly assignmentsByTarget = new Map<string, Set<string>>();
  readonly assignmentsByActor = new Map<string, Set<string>>();
  readonly assignmentsByRole = new Map<string, Set<string>>();

  static withDefaultDomain(): RegistryState {
    const state = new RegistryState();
    state.putDomain({
      id: 'default',
      name: 'Default',
      description: 'The default domain',
      enabled: true,
      tags: [],
      extra: {},
    });
    return state;
  }

  version(stream: string): number {
    return this.versions.get(stream) ?? 0;
  }

  domainByName(name: string): Domain | undefined {
    const id = this.domainIdByName.get(name);
    return id === undefined ? undefined : this.domains.get(id);
  }

  projectByName(domainId: string, name: string): Project | undefined {
    const id = this.projectIdByName.get(nameKey(domainId, name));
    return id === undefined ? undefined : this.projects.get(id);
  }

  userByName(domainId: string, name: string): User | undefined {
    const id = this.userIdByName.get(nameKey(domainId, name));
    return id === undefined ? undefined : this.users.get(id);
  }

  groupByName(domainId: string, name: string): Group | undefined {
    const id = this.groupIdByName.get(nameKey(domainId, name));
    return id === undefined ? undefined : this.groups.get(id);
  }

  assignmentsOn(targetType: 'project' | 'domain', targetId: string): RoleAssignment[] {
    const keys = this.assignmentsByTarget.get(`${targetType}:${targetId}`);
    if (!keys) return [];
    const out: RoleAssignment[] = [];
    for (const key of keys) out.push(this.assignments.get(key)!);
    return out;
  }

  /** Applies one recorded event; events at or below the current position are ignored. */
  applyRecorded(event: RecordedEvent): boolean {
    if (event.position <= this.position) return false;
    this.apply(event);
    this.versions.set(event.stream, event.version);
    this.changedAt.set(event.stream, event.position);
    this.position = event.position;
    this.lastRecordedAt = event.recorded_at;
    return true;
  }

  apply(event: RegistryEvent): void {
    switch (event.type) {
      case 'TokenlessSettingsReplaced':
        this.settings = { ...event.data.settings, trusted_issuer: [...event.data.settings.trusted_issuer] };
        return;
      case 'TrustedIssuerAdded':
        if (!this.settings.trusted_issuer.includes(event.data.issuer)) {
          this.settings = { ...this.settings, trusted_issuer: [...this.settings.trusted_issuer, event.data.issuer] };
        }
        return;
      case 'TrustedIssuerRemoved':
        this.settings = {
          ...this.settings,
          trusted_issuer: this.settings.trusted_issuer.filter((i) => i !== event.data.issuer),
        };
        return;
      case 'DomainCreated':
        return this.putDomain(event.data.domain);
      case 'DomainUpdated':
        return this.putDomain({ ...this.domains.get(event.data.id)!, ...event.data.changes });
      case 'DomainDeleted':
        return this.deleteDomain(event.data.id);
      case 'ProjectCreated':
        return this.putProject(event.data.project);
      case 'ProjectUpdated':
        return this.putProject({ ...this.projects.get(event.data.id)!, ...event.data.changes });
      case 'ProjectDeleted':
        return this.deleteProject(event.data.id);
      case 'UserCreated':
        return this.putUser(event.data.user);
      case 'UserUpdated':
        return this.putUser({ ...this.users.get(event.data.id)!, ...event.data.changes });
      case 'UserDeleted':
        return this.deleteUser(event.data.id);
      case 'GroupCreated':
        return this.putGroup(event.data.group);
      case 'GroupUpdated':
        return this.putGroup({ ...this.groups.get(event.data.id)!, ...event.data.changes });
      case 'GroupDeleted':
        return this.deleteGroup(event.data.id);
      case 'UserAddedToGroup':
        addTo(this.membersOfGroup, event.data.group_id, event.data.user_id);
        addTo(this.groupsOfUser, event.data.user_id, event.data.group_id);
        return;
      case 'UserRemovedFromGroup':
        removeFrom(this.membersOfGroup, event.data.group_id, event.data.user_id);
        removeFrom(this.groupsOfUser, event.data.user_id, event.data.group_id);
        return;
      case 'RoleCreated':
        this.roles.set(event.data.role.id, event.data.role);
        return;
      case 'RoleUpdated':
        this.roles.set(event.data.id, { ...this.roles.get(event.data.id)!, ...event.data.changes });
        return;
      case 'RoleDeleted':
        return this.deleteRole(event.data.id);
      case 'RoleImplied':
        addTo(this.impliedRoles, event.data.prior_role_id, event.data.implied_role_id);
        return;
      case 'RoleImplicationRemoved':
        removeFrom(this.impliedRoles, event.data.prior_role_id, event.data.implied_role_id);
        return;
      case 'RoleGranted':
        return this.grant(event.data);
      case 'RoleRevoked':
        return this.revoke(assignmentKey(event.data));
      case 'IdentityProviderRegistered':
        this.idps.set(event.data.identity_provider.id, event.data.identity_provider);
        return;
      case 'IdentityProviderUpdated':
        this.idps.set(event.data.id, { ...this.idps.get(event.data.id)!, ...event.data.changes });
        return;
      case 'IdentityProviderDeleted':
        // Keystone's database cascades the IdP's protocols with it.
        this.idps.delete(event.data.id);
        for (const [key, protocol] of this.protocols) {
          if (protocol.idp_id === event.data.id) this.protocols.delete(key);
        }
        return;
      case 'MappingCreated':
        this.mappings.set(event.data.mapping.id, event.data.mapping);
        return;
      case 'MappingReplaced':
        // A new object on every change: compiled rules are cached per object.
        this.mappings.set(event.data.id, { id: event.data.id, rules: event.data.rules, options: event.data.options });
        return;
      case 'MappingDeleted':
        // Protocols keep a dangling mapping_id, as in Keystone.
        this.mappings.delete(event.data.id);
        return;
      case 'ProtocolCreated':
        this.protocols.set(`${event.data.protocol.idp_id}/${event.data.protocol.id}`, event.data.protocol);
        return;
      case 'ProtocolUpdated':
        this.protocols.set(`${event.data.idp_id}/${event.data.id}`, {
          idp_id: event.data.idp_id,
          id: event.data.id,
          mapping_id: event.data.mapping_id,
        });
        return;
      case 'ProtocolDeleted':
        this.protocols.delete(`${event.data.idp_id}/${event.data.id}`);
        return;
      case 'ApiTokenCreated':
        this.apiTokens.set(event.data.token.id, event.data.token);
        this.apiTokenIdBySecretHash.set(event.data.token.secret_sha256, event.data.token.id);
        return;
      case 'ApiTokenRevoked': {
        const token = this.apiTokens.get(event.data.id);
        if (token) this.apiTokenIdBySecretHash.delete(token.secret_sha256);
        this.apiTokens.delete(event.data.id);
        return;
      }
      case 'IdentityTracked':
        this.trackedIdentities.set(event.data.identity.id, event.data.identity);
        return;
      case 'IdentityUntracked':
        this.trackedIdentities.delete(event.data.id);
        return;
    }
  }

  private putDomain(domain: Domain): void {
    const old = this.domains.get(domain.id);
    if (old) this.domainIdByName.delete(old.name);
    this.domains.set(domain.id, domain);
    this.domainIdByName.set(domain.name, domain.id);
  }

  private putProject(project: Project): void {
    const old = this.projects.get(project.id);
    if (old) {
      this.projectIdByName.delete(nameKey(old.domain_id, old.name));
      removeFrom(this.childProjects, old.parent_id, old.id);
    }
    this.projects.set(project.id, project);
    this.projectIdByName.set(nameKey(project.domain_id, project.name), project.id);
    addTo(this.childProjects, project.parent_id, project.id);
  }

  private putUser(user: User): void {
    const old = this.users.get(user.id);
    if (old) this.userIdByName.delete(nameKey(old.domain_id, old.name));
    this.users.set(user.id, user);
    this.userIdByName.set(nameKey(user.domain_id, user.name), user.id);
  }

  private putGroup(group: Group): void {
    const old = this.groups.get(group.id);
    if (old) this.groupIdByName.delete(nameKey(old.domain_id, old.name));
    this.groups.set(group.id, group);
    this.groupIdByName.set(nameKey(group.domain_id, group.name), group.id);
  }

  private grant(a: RoleAssignment): void {
    const key = assignmentKey(a);
    this.assignments.set(key, { ...a });
    addTo(this.assignmentsByTarget, `${a.target_type}:${a.target_id}`, key);
    addTo(this.assignmentsByActor, `${a.actor_type}:${a.actor_id}`, key);
    addTo(this.assignmentsByRole, a.role_id, key);
  }

  private revoke(key: string): void {
    const a = this.assignments.get(key);
    if (!a) return;
    this.assignments.delete(key);
    removeFrom(this.assignmentsByTarget, `${a.target_type}:${a.target_id}`, key);
    removeFrom(this.assignmentsByActor, `${a.actor_type}:${a.actor_id}`, key);
    removeFrom(this.assignmentsByRole, a.role_id, key);
  }

  private revokeAll(keys: Set<string> | undefined): void {
    if (!keys) return;
    for (const key of [...keys]) this.revoke(key);
  }

  private deleteProject(id: string): void {
    const project = this.projects.get(id);
    if (!project) return;
    this.revokeAll(this.assignmentsByTarget.get(`project:${id}`));
    this.projectIdByName.delete(nameKey(project.domain_id, project.name));
    removeFrom(this.childProjects, project.parent_id, id);
    this.projects.delete(id);
  }

  private deleteUser(id: string): void {
    const user = this.users.get(id);
    if (!user) return;
    this.revokeAll(this.assignmentsByActor.get(`user:${id}`));
    for (const groupId of this.groupsOfUser.get(id) ?? []) removeFrom(this.membersOfGroup, groupId, id);
    this.groupsOfUser.delete(id);
    this.userIdByName.delete(nameKey(user.domain_id, user.name));
    this.users.delete(id);
  }

  private deleteGroup(id: string): void {
    const group = this.groups.get(id);
    if (!group) return;
    this.revokeAll(this.assignmentsByActor.get(`group:${id}`));
    for (const userId of this.membersOfGroup.get(id) ?? []) removeFrom(this.groupsOfUser, userId, id);
    this.membersOfGroup.delete(id);
    this.groupIdByName.delete(nameKey(group.domain_id, group.name));
    this.groups.delete(id);
  }

  private deleteRole(id: string): void {
    this.revokeAll(this.assignmentsByRole.get(id));
    this.impliedRoles.delete(id);
    for (const [prior] of this.impliedRoles) removeFrom(this.impliedRoles, prior, id);
    this.roles.delete(id);
  }

  /** Keystone deletes everything owned by a domain along with it. */
  private deleteDomain(id: string): void {
    const domain = this.domains.get(id);
    if (!domain) return;
    for (const p of [...this.projects.values()]) if (p.domain_id === id) this.deleteProject(p.id);
    for (const u of [...this.users.values()]) if (u.domain_id === id) this.deleteUser(u.id);
    for (const g of [...this.groups.values()]) if (g.domain_id === id) this.deleteGroup(g.id);
    for (const r of [...this.roles.values()]) if (r.domain_id === id) this.deleteRole(r.id);
    this.revokeAll(this.assignmentsByTarget.get(`domain:${id}`));
    this.domainIdByName.delete(domain.name);
    this.domains.delete(id);
  }
}
