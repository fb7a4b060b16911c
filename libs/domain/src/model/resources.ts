/** The resources of the registry, in the shape Keystone's v3 API shows them. */

export type Extra = Record<string, unknown>;

export interface Domain {
  id: string;
  name: string;
  description: string;
  enabled: boolean;
  tags: string[];
  extra: Extra;
}

export interface Project {
  id: string;
  name: string;
  domain_id: string;
  description: string;
  enabled: boolean;
  /** The parent project's id, or the domain's id for a top-level project. */
  parent_id: string;
  tags: string[];
  extra: Extra;
}

export interface User {
  id: string;
  name: string;
  domain_id: string;
  enabled: boolean;
  default_project_id?: string;
  extra: Extra;
}

export interface Group {
  id: string;
  name: string;
  domain_id: string;
  description: string;
  extra: Extra;
}

export interface Role {
  id: string;
  name: string;
  /** Null for a global role; a domain id for a domain-specific role. */
  domain_id: string | null;
  description: string | null;
  extra: Extra;
}

export interface RoleAssignment {
  role_id: string;
  actor_type: 'user' | 'group';
  actor_id: string;
  target_type: 'project' | 'domain';
  target_id: string;
  /** OS-INHERIT: the grant applies to the projects below the target, not to it. */
  inherited: boolean;
}

export interface IdentityProvider {
  id: string;
  domain_id: string;
  enabled: boolean;
  description: string | null;
  remote_ids: string[];
}

export interface MappingOptions {
  /**
   * Opt-in, not Keystone's behaviour: a rule whose whitelist or blacklist
   * filters out every value does not apply.
   */
  filtered_values_gate_rule?: boolean;
}

export interface Mapping {
  id: string;
  rules: unknown[];
  options: MappingOptions;
}

export interface Protocol {
  idp_id: string;
  id: string;
  mapping_id: string;
}

/** What a registry API token may do: read; read history and audit; change anything. */
export type ApiTokenRole = 'admin' | 'auditor' | 'reader';
export const API_TOKEN_ROLES: readonly ApiTokenRole[] = ['admin', 'auditor', 'reader'];

/** A registry API token. Only the SHA-256 of its secret is ever recorded. */
export interface ApiToken {
  id: string;
  name: string;
  role: ApiTokenRole;
  /** Hex SHA-256 of the secret. */
  secret_sha256: string;
}

/**
 * A certificate identity an operator asked the audit to follow: its issuer
 * and subject DN and the terminator environment (SSL_CLIENT_*) it presents.
 */
export interface TrackedIdentity {
  id: string;
  issuer: string;
  subject: string;
  env: Record<string, string>;
  label: string | null;
}

/** What keystone.conf's `[tokenless_auth]` holds. */
export interface TokenlessSettings {
  trusted_issuer: string[];
  protocol: string;
  issuer_attribute: string;
}

export const DEFAULT_TOKENLESS_SETTINGS: TokenlessSettings = {
  trusted_issuer: [],
  protocol: 'x509',
  issuer_attribute: 'SSL_CLIENT_I_DN',
};

export function assignmentKey(a: Omit<RoleAssignment, 'role_id'> & { role_id: string }): string {
  const inherited = a.inherited ? ':inherited' : '';
  return `${a.actor_type}:${a.actor_id}:${a.target_type}:${a.target_id}:${a.role_id}${inherited}`;
}
