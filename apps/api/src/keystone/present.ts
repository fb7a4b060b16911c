import type {
  Domain,
  Group,
  IdentityProvider,
  Mapping,
  Project,
  Protocol,
  Role,
  User,
} from '../../../../libs/domain/src';

/**
 * Resources in the shape Keystone's v3 API answers with: the same keys in
 * the same order, extra attributes at the top level, and `links` built from
 * the address the client used.
 */
export function presentDomain(d: Domain, base: string) {
  return {
    id: d.id,
    name: d.name,
    description: d.description,
    enabled: d.enabled,
    tags: d.tags,
    options: {},
    ...d.extra,
    links: { self: `${base}/v3/domains/${d.id}` },
  };
}

export function presentProject(p: Project, base: string) {
  return {
    id: p.id,
    name: p.name,
    domain_id: p.domain_id,
    description: p.description,
    enabled: p.enabled,
    parent_id: p.parent_id,
    is_domain: false,
    tags: p.tags,
    options: {},
    ...p.extra,
    links: { self: `${base}/v3/projects/${p.id}` },
  };
}

export function presentUser(u: User, base: string) {
  return {
    id: u.id,
    name: u.name,
    domain_id: u.domain_id,
    enabled: u.enabled,
    password_expires_at: null,
    options: {},
    ...(u.default_project_id !== undefined ? { default_project_id: u.default_project_id } : {}),
    ...u.extra,
    links: { self: `${base}/v3/users/${u.id}` },
  };
}

export function presentGroup(g: Group, base: string) {
  return {
    id: g.id,
    name: g.name,
    domain_id: g.domain_id,
    description: g.description,
    ...g.extra,
    links: { self: `${base}/v3/groups/${g.id}` },
  };
}

export function presentRole(r: Role, base: string) {
  return {
    id: r.id,
    name: r.name,
    domain_id: r.domain_id,
    description: r.description,
    options: {},
    ...r.extra,
    links: { self: `${base}/v3/roles/${r.id}` },
  };
}

export function presentRoleRef(r: Role, base: string) {
  return { id: r.id, name: r.name, links: { self: `${base}/v3/roles/${r.id}` } };
}

export function presentIdp(i: IdentityProvider, base: string) {
  const self = `${base}/v3/OS-FEDERATION/identity_providers/${i.id}`;
  return {
    id: i.id,
    domain_id: i.domain_id,
    enabled: i.enabled,
    description: i.description,
    remote_ids: i.remote_ids,
    authorization_ttl: null,
    links: { self, protocols: `${self}/protocols` },
  };
}

export function presentMapping(m: Mapping, base: string) {
  return {
    id: m.id,
    rules: m.rules,
    ...(Object.keys(m.options).length > 0 ? { options: m.options } : {}),
    links: { self: `${base}/v3/OS-FEDERATION/mappings/${m.id}` },
  };
}

export function presentProtocol(p: Protocol, base: string, inList = false) {
  const links = {
    self: `${base}/v3/OS-FEDERATION/identity_providers/${p.idp_id}/protocols/${p.id}`,
    identity_provider: `${base}/v3/OS-FEDERATION/identity_providers/${p.idp_id}`,
  };
  return inList
    ? { id: p.id, mapping_id: p.mapping_id, idp_id: p.idp_id, remote_id_attribute: null, links }
    : { id: p.id, mapping_id: p.mapping_id, links };
}

/** A Keystone list envelope; Keystone never paginates, so next/previous are null. */
export function listOf<T>(key: string, items: T[], selfUrl: string) {
  return { [key]: items, links: { next: null, self: selfUrl, previous: null } };
}
