import { conflict, notFound, validation } from '../errors';
import { streams, type PendingEvent } from '../model/events';
import { API_TOKEN_ROLES } from '../model/resources';
import type { RegistryState } from '../model/state';
import type { RegistryCommand } from './command';

type Cmd<K extends RegistryCommand['kind']> = Extract<RegistryCommand, { kind: K }>;

const NAME = /^[\p{L}\p{N}._@:-]{1,64}$/u;

/** A new API token: its name is unique among tokens in force, its secret is known only by its hash. */
export function createApiToken(state: RegistryState, c: Cmd<'CreateApiToken'>): PendingEvent[] {
  const { token } = c;
  if (!NAME.test(token.name)) {
    throw validation(
      'A token name is 1 to 64 letters, digits or any of . _ @ : -',
      'invalid_token_name',
    );
  }
  if (!API_TOKEN_ROLES.includes(token.role)) {
    throw validation(`A token role is one of ${API_TOKEN_ROLES.join(', ')}.`, 'invalid_token_role');
  }
  if (!/^[0-9a-f]{64}$/.test(token.secret_sha256)) {
    throw validation('secret_sha256 must be 64 lowercase hex digits.', 'invalid_token_hash');
  }
  if (state.apiTokens.has(token.id)) throw conflict('token', `Duplicate ID, ${token.id}`);
  for (const other of state.apiTokens.values()) {
    if (other.name === token.name) throw conflict('token', `Duplicate entry found with name ${token.name}`);
  }
  if (state.apiTokenIdBySecretHash.has(token.secret_sha256)) throw conflict('token', 'Duplicate secret');
  return [{ stream: streams.token(token.id), type: 'ApiTokenCreated', data: { token: { ...token } } }];
}

export function revokeApiToken(state: RegistryState, c: Cmd<'RevokeApiToken'>): PendingEvent[] {
  const token = state.apiTokens.get(c.id);
  if (!token) throw notFound('token', c.id, 'token_not_found');
  return [{ stream: streams.token(c.id), type: 'ApiTokenRevoked', data: { id: c.id, name: token.name } }];
}
