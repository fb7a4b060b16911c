import { authorize, type AuthorizationIndex } from './authorize';

/**
 * Every scope on which a certificate environment would be granted at least
 * one role, as `project:<id>` or `domain:<id>` to the sorted role names: the
 * authorize decision asked once per project and per domain in the state.
 */
export function grantsOf(index: AuthorizationIndex, env: Record<string, unknown>): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const state = index.state;
  const issuer = env[state.settings.issuer_attribute];
  // Cheap refusals first: nothing is granted anywhere without a trusted issuer and its protocol.
  if (typeof issuer !== 'string' || !state.settings.trusted_issuer.includes(issuer)) return out;
  const ask = (key: string, headers: Record<string, string>) => {
    const result = authorize(index, { env, headers });
    if (result.outcome === 'granted' && result.auth_context.roles.length > 0) out.set(key, result.auth_context.roles);
  };
  for (const id of [...state.projects.keys()].sort()) ask(`project:${id}`, { 'X-Project-Id': id });
  for (const id of [...state.domains.keys()].sort()) ask(`domain:${id}`, { 'X-Domain-Id': id });
  return out;
}
