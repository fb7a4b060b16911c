import { DomainError, conflict, notFound, validation } from '../errors';
import { validateMapping } from '../mapping';
import { streams, type PendingEvent } from '../model/events';
import type { IdentityProvider, Mapping, Protocol, TokenlessSettings } from '../model/resources';
import type { RegistryState } from '../model/state';
import type { RegistryCommand } from './command';
import { changedFields } from './diff';
import { requireDomain } from './decide-identity';

type Cmd<K extends RegistryCommand['kind']> = Extract<RegistryCommand, { kind: K }>;

export function requireIdp(state: RegistryState, id: string): IdentityProvider {
  const idp = state.idps.get(id);
  if (!idp) throw notFound('Identity Provider', id);
  return idp;
}

export function requireMapping(state: RegistryState, id: string): Mapping {
  const mapping = state.mappings.get(id);
  if (!mapping) throw notFound('mapping', id);
  return mapping;
}

export function requireProtocol(state: RegistryState, idpId: string, id: string): Protocol {
  const protocol = state.protocols.get(`${idpId}/${id}`);
  if (!protocol) {
    throw new DomainError(
      404,
      'Not Found',
      `Could not find federated protocol ${id} for Identity Provider: ${idpId}.`,
      'protocol_not_found',
    );
  }
  return protocol;
}

function checkRemoteIds(state: RegistryState, remoteIds: string[], exceptIdp: string): void {
  for (const idp of state.idps.values()) {
    if (idp.id === exceptIdp) continue;
    const clash = remoteIds.find((r) => idp.remote_ids.includes(r));
    if (clash !== undefined) throw conflict('identity_provider', `Duplicate remote ID: ${clash}`);
  }
}

export function registerIdentityProvider(state: RegistryState, c: Cmd<'RegisterIdentityProvider'>): PendingEvent[] {
  if (state.idps.has(c.id)) throw conflict('identity_provider', `Duplicate entry: ${c.id}`);
  const remoteIds = c.identity_provider.remote_ids ?? [];
  checkRemoteIds(state, remoteIds, c.id);
  const events: PendingEvent[] = [];
  let domainId = c.identity_provider.domain_id ?? null;
  if (domainId === null) {
    // Keystone gives an IdP without a domain one of its own, named by its id.
    domainId = c.auto_domain_id;
    events.push({
      stream: streams.domain(domainId),
      type: 'DomainCreated',
      data: {
        domain: {
          id: domainId,
          name: domainId,
          description: `Auto generated federated domain for Identity Provider: ${c.id}`,
          enabled: true,
          tags: [],
          extra: {},
        },
      },
    });
  } else {
    requireDomain(state, domainId);
  }
  const identity_provider: IdentityProvider = {
    id: c.id,
    domain_id: domainId,
    enabled: c.identity_provider.enabled ?? true,
    description: c.identity_provider.description ?? null,
    remote_ids: remoteIds,
  };
  events.push({ stream: streams.idp(c.id), type: 'IdentityProviderRegistered', data: { identity_provider } });
  return events;
}

export function updateIdentityProvider(state: RegistryState, c: Cmd<'UpdateIdentityProvider'>): PendingEvent[] {
  const idp = requireIdp(state, c.id);
  if (c.patch.domain_id !== undefined && c.patch.domain_id !== null && c.patch.domain_id !== idp.domain_id) {
    throw validation('Update of `domain_id` is not allowed.');
  }
  const { domain_id: _d, ...patch } = c.patch;
  if (patch.remote_ids) checkRemoteIds(state, patch.remote_ids, c.id);
  const { changes, previous } = changedFields(idp, patch);
  return [{ stream: streams.idp(c.id), type: 'IdentityProviderUpdated', data: { id: c.id, changes, previous } }];
}

export function deleteIdentityProvider(state: RegistryState, c: Cmd<'DeleteIdentityProvider'>): PendingEvent[] {
  requireIdp(state, c.id);
  // Keystone cascades the IdP's protocols; each gets its own event so its history shows the deletion.
  const cascaded: PendingEvent[] = [...state.protocols.values()]
    .filter((p) => p.idp_id === c.id)
    .map((p) => ({ stream: streams.protocol(p.idp_id, p.id), type: 'ProtocolDeleted', data: { idp_id: p.idp_id, id: p.id } }));
  return [...cascaded, { stream: streams.idp(c.id), type: 'IdentityProviderDeleted', data: { id: c.id } }];
}

function checkRules(rules: unknown): unknown[] {
  const errors = validateMapping({ rules });
  if (errors.length > 0) {
    throw validation(errors.map((line) => `${line}\n`).join(''), 'invalid_mapping');
  }
  return rules as unknown[];
}

export function createMapping(state: RegistryState, c: Cmd<'CreateMapping'>): PendingEvent[] {
  if (state.mappings.has(c.id)) throw conflict('mapping', 'Duplicate entry');
  const mapping: Mapping = { id: c.id, rules: checkRules(c.rules), options: c.options ?? {} };
  return [{ stream: streams.mapping(c.id), type: 'MappingCreated', data: { mapping } }];
}

export function replaceMapping(state: RegistryState, c: Cmd<'ReplaceMapping'>): PendingEvent[] {
  const mapping = requireMapping(state, c.id);
  const rules = checkRules(c.rules);
  const options = c.options ?? mapping.options;
  return [
    {
      stream: streams.mapping(c.id),
      type: 'MappingReplaced',
      data: { id: c.id, rules, options, previous_rules: mapping.rules, previous_options: mapping.options },
    },
  ];
}

export function deleteMapping(state: RegistryState, c: Cmd<'DeleteMapping'>): PendingEvent[] {
  // Keystone allows deleting a mapping a protocol still uses; the protocol dangles.
  requireMapping(state, c.id);
  return [{ stream: streams.mapping(c.id), type: 'MappingDeleted', data: { id: c.id } }];
}

function requireMappingForProtocol(state: RegistryState, mappingId: string): void {
  if (!state.mappings.has(mappingId)) {
    throw validation(`Invalid mapping id: ${mappingId}`, 'invalid_mapping_id');
  }
}

export function createProtocol(state: RegistryState, c: Cmd<'CreateProtocol'>): PendingEvent[] {
  requireIdp(state, c.idp_id);
  if (state.protocols.has(`${c.idp_id}/${c.id}`)) {
    throw conflict('federation_protocol', `Duplicate entry found with ID ${c.id}`);
  }
  requireMappingForProtocol(state, c.mapping_id);
  const protocol: Protocol = { idp_id: c.idp_id, id: c.id, mapping_id: c.mapping_id };
  return [{ stream: streams.protocol(c.idp_id, c.id), type: 'ProtocolCreated', data: { protocol } }];
}

export function updateProtocol(state: RegistryState, c: Cmd<'UpdateProtocol'>): PendingEvent[] {
  requireIdp(state, c.idp_id);
  const protocol = requireProtocol(state, c.idp_id, c.id);
  requireMappingForProtocol(state, c.mapping_id);
  const data = { idp_id: c.idp_id, id: c.id, mapping_id: c.mapping_id, previous_mapping_id: protocol.mapping_id };
  return [{ stream: streams.protocol(c.idp_id, c.id), type: 'ProtocolUpdated', data }];
}

export function deleteProtocol(state: RegistryState, c: Cmd<'DeleteProtocol'>): PendingEvent[] {
  requireProtocol(state, c.idp_id, c.id);
  return [{ stream: streams.protocol(c.idp_id, c.id), type: 'ProtocolDeleted', data: { idp_id: c.idp_id, id: c.id } }];
}

/**
 * An issuer must be the bare DN string the terminator passes: a leftover
 * `issuer=` label or line break from an openssl pipeline would give an IdP
 * id that never matches a request.
 */
export function checkIssuer(issuer: string): void {
  if (issuer.length === 0) throw validation('A trusted issuer cannot be empty.', 'invalid_issuer');
  if (/^\s*issuer\s*=/i.test(issuer)) {
    throw validation(
      `Trusted issuer "${issuer}" starts with the "issuer=" label of openssl's output; record the DN alone.`,
      'issuer_has_label',
    );
  }
  if (/[\r\n]/.test(issuer)) {
    throw validation('A trusted issuer cannot contain a line break; record the DN alone.', 'issuer_has_newline');
  }
}

export function replaceSettings(state: RegistryState, c: Cmd<'ReplaceTokenlessSettings'>): PendingEvent[] {
  const settings: TokenlessSettings = {
    trusted_issuer: [...new Set(c.settings.trusted_issuer)],
    protocol: c.settings.protocol,
    issuer_attribute: c.settings.issuer_attribute,
  };
  settings.trusted_issuer.forEach(checkIssuer);
  if (settings.protocol.length === 0) throw validation('protocol cannot be empty.', 'invalid_protocol');
  if (settings.issuer_attribute.length === 0) {
    throw validation('issuer_attribute cannot be empty.', 'invalid_issuer_attribute');
  }
  // Field by field: the state's copy may have been read back from jsonb, whose key order differs.
  const current = state.settings;
  const unchanged =
    settings.protocol === current.protocol &&
    settings.issuer_attribute === current.issuer_attribute &&
    settings.trusted_issuer.length === current.trusted_issuer.length &&
    settings.trusted_issuer.every((issuer, i) => issuer === current.trusted_issuer[i]);
  if (unchanged) return [];
  return [
    { stream: streams.settings(), type: 'TokenlessSettingsReplaced', data: { settings, previous: state.settings } },
  ];
}

export function addTrustedIssuer(state: RegistryState, c: Cmd<'AddTrustedIssuer'>): PendingEvent[] {
  checkIssuer(c.issuer);
  if (state.settings.trusted_issuer.includes(c.issuer)) {
    throw conflict('trusted_issuer', `Duplicate entry: ${c.issuer}`);
  }
  return [{ stream: streams.settings(), type: 'TrustedIssuerAdded', data: { issuer: c.issuer } }];
}

export function removeTrustedIssuer(state: RegistryState, c: Cmd<'RemoveTrustedIssuer'>): PendingEvent[] {
  if (!state.settings.trusted_issuer.includes(c.issuer)) {
    throw notFound('trusted issuer', c.issuer, 'issuer_not_found');
  }
  return [{ stream: streams.settings(), type: 'TrustedIssuerRemoved', data: { issuer: c.issuer } }];
}
