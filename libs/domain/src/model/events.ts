import type {
  ApiToken,
  Domain,
  Group,
  IdentityProvider,
  Mapping,
  Project,
  Protocol,
  Role,
  RoleAssignment,
  TokenlessSettings,
  TrackedIdentity,
  User,
} from './resources';

/**
 * Every change to the registry is one of these past-tense facts. An event's
 * data never changes shape in place: a new shape gets a new schema version
 * and an upcaster. Update events carry both the new values and the ones they
 * replaced, so history can show a diff without replaying state.
 */
type Changed<T> = { id: string; changes: Partial<T>; previous: Partial<T> };

export type RegistryEvent =
  | { type: 'TokenlessSettingsReplaced'; data: { settings: TokenlessSettings; previous: TokenlessSettings } }
  | { type: 'TrustedIssuerAdded'; data: { issuer: string } }
  | { type: 'TrustedIssuerRemoved'; data: { issuer: string } }
  | { type: 'DomainCreated'; data: { domain: Domain } }
  | { type: 'DomainUpdated'; data: Changed<Domain> }
  | { type: 'DomainDeleted'; data: { id: string } }
  | { type: 'ProjectCreated'; data: { project: Project } }
  | { type: 'ProjectUpdated'; data: Changed<Project> }
  | { type: 'ProjectDeleted'; data: { id: string } }
  | { type: 'UserCreated'; data: { user: User } }
  | { type: 'UserUpdated'; data: Changed<User> }
  | { type: 'UserDeleted'; data: { id: string } }
  | { type: 'GroupCreated'; data: { group: Group } }
  | { type: 'GroupUpdated'; data: Changed<Group> }
  | { type: 'GroupDeleted'; data: { id: string } }
  | { type: 'UserAddedToGroup'; data: { group_id: string; user_id: string } }
  | { type: 'UserRemovedFromGroup'; data: { group_id: string; user_id: string } }
  | { type: 'RoleCreated'; data: { role: Role } }
  | { type: 'RoleUpdated'; data: Changed<Role> }
  | { type: 'RoleDeleted'; data: { id: string } }
  | { type: 'RoleImplied'; data: { prior_role_id: string; implied_role_id: string } }
  | { type: 'RoleImplicationRemoved'; data: { prior_role_id: string; implied_role_id: string } }
  | { type: 'RoleGranted'; data: RoleAssignment }
  | { type: 'RoleRevoked'; data: RoleAssignment }
  | { type: 'IdentityProviderRegistered'; data: { identity_provider: IdentityProvider } }
  | { type: 'IdentityProviderUpdated'; data: Changed<IdentityProvider> }
  | { type: 'IdentityProviderDeleted'; data: { id: string } }
  | { type: 'MappingCreated'; data: { mapping: Mapping } }
  | { type: 'MappingReplaced'; data: { id: string; rules: unknown[]; options: Mapping['options']; previous_rules: unknown[]; previous_options: Mapping['options'] } }
  | { type: 'MappingDeleted'; data: { id: string } }
  | { type: 'ProtocolCreated'; data: { protocol: Protocol } }
  | { type: 'ProtocolUpdated'; data: { idp_id: string; id: string; mapping_id: string; previous_mapping_id: string } }
  | { type: 'ProtocolDeleted'; data: { idp_id: string; id: string } }
  | { type: 'ApiTokenCreated'; data: { token: ApiToken } }
  | { type: 'ApiTokenRevoked'; data: { id: string; name: string } }
  | { type: 'IdentityTracked'; data: { identity: TrackedIdentity } }
  | { type: 'IdentityUntracked'; data: { id: string } };

export type RegistryEventType = RegistryEvent['type'];

/** An event about to be appended: the stream it belongs to and the fact. */
export type PendingEvent = RegistryEvent & { stream: string };

/** Who caused an event, and why; stored beside the data, never decided on. */
export interface EventMetadata {
  actor: string;
  actor_kind: 'token' | 'certificate' | 'system';
  request_id?: string;
  correlation_id?: string;
  causation_id?: string;
  reason?: string;
  client_address?: string;
}

/** An event as read back from the log. */
export type RecordedEvent = RegistryEvent & {
  position: number;
  stream: string;
  version: number;
  schema_version: number;
  metadata: EventMetadata;
  recorded_at: string;
  prev_hash: string;
  hash: string;
};

export const streams = {
  settings: () => 'settings:tokenless',
  domain: (id: string) => `domain:${id}`,
  project: (id: string) => `project:${id}`,
  user: (id: string) => `user:${id}`,
  group: (id: string) => `group:${id}`,
  role: (id: string) => `role:${id}`,
  idp: (id: string) => `idp:${id}`,
  mapping: (id: string) => `mapping:${id}`,
  protocol: (idpId: string, id: string) => `protocol:${idpId}/${id}`,
  token: (id: string) => `token:${id}`,
  membership: (groupId: string, userId: string) => `membership:${groupId}/${userId}`,
  implication: (prior: string, implied: string) => `implication:${prior}/${implied}`,
  trackedIdentity: (id: string) => `tracked_identity:${id}`,
  assignment: (a: RoleAssignment) =>
    `assignment:${a.actor_type}:${a.actor_id}:${a.target_type}:${a.target_id}:${a.role_id}${a.inherited ? ':inherited' : ''}`,
};
