import { createHash } from 'node:crypto';
import { DomainError, notFound, validation } from '../errors';
import { streams, type PendingEvent } from '../model/events';
import type { RegistryState } from '../model/state';
import type { RegistryCommand } from './command';

type Of<K extends RegistryCommand['kind']> = Extract<RegistryCommand, { kind: K }>;

/** An identity's id: the SHA-256 of its issuer DN, a newline and its subject DN, in hex. */
export function trackedIdentityId(issuer: string, subject: string): string {
  return createHash('sha256').update(`${issuer}\n${subject}`, 'utf8').digest('hex');
}

export function trackIdentity(state: RegistryState, c: Of<'TrackIdentity'>): PendingEvent[] {
  const { issuer, subject, env, label } = c.identity;
  if (issuer === '' || subject === '') {
    throw validation('An identity needs an issuer DN and a subject DN.', 'identity_incomplete');
  }
  const id = trackedIdentityId(issuer, subject);
  if (state.trackedIdentities.has(id)) {
    throw new DomainError(409, 'Conflict', `The identity ${subject} issued by ${issuer} is already tracked.`, 'identity_already_tracked');
  }
  return [
    {
      stream: streams.trackedIdentity(id),
      type: 'IdentityTracked',
      data: { identity: { id, issuer, subject, env: { ...env }, label: label ?? null } },
    },
  ];
}

export function untrackIdentity(state: RegistryState, c: Of<'UntrackIdentity'>): PendingEvent[] {
  if (!state.trackedIdentities.has(c.id)) throw notFound('tracked identity', c.id, 'identity_not_tracked');
  return [{ stream: streams.trackedIdentity(c.id), type: 'IdentityUntracked', data: { id: c.id } }];
}
