/**
 * Fast seeding: commands are decided against a local copy of the state, as
 * the API would, and their events appended through the event store in
 * large transactions (one lock, a few multi-row INSERTs per thousands of
 * events) instead of one HTTP call each. The registry under test then
 * builds its index from those events like from any others.
 */
import {
  RegistryState,
  decide,
  idpIdForIssuer,
  type EventMetadata,
  type RegistryCommand,
} from '../libs/domain/src';
import { EventStore } from '../libs/store/src';

const METADATA: EventMetadata = { actor: 'bench-seed', actor_kind: 'system', reason: 'benchmark configuration' };

export class Seeder {
  readonly state = RegistryState.withDefaultDomain();

  constructor(private readonly store: EventStore) {}

  /** Decides and appends `commands`, `perTransaction` events at a time; returns the events appended. */
  async run(commands: Iterable<RegistryCommand>, perTransaction = 20_000): Promise<number> {
    // Whatever others appended meanwhile (through the API) is folded first, so decisions see it.
    for (;;) {
      const newer = await this.store.readAfter(this.state.position, 10_000);
      for (const e of newer) this.state.applyRecorded(e);
      if (newer.length < 10_000) break;
    }
    let total = 0;
    let batch: (ReturnType<typeof decide>[number] & { version: number })[] = [];
    const flush = async () => {
      if (batch.length === 0) return;
      const events = batch;
      batch = [];
      const recorded = await this.store.transaction(async (tx) => {
        await tx.lock();
        return tx.append(events, METADATA);
      });
      this.state.position = recorded.at(-1)!.position;
      total += recorded.length;
    };
    for (const command of commands) {
      for (const event of decide(this.state, command)) {
        const version = this.state.version(event.stream) + 1;
        this.state.apply(event);
        this.state.versions.set(event.stream, version);
        batch.push({ ...event, version });
      }
      if (batch.length >= perTransaction) await flush();
    }
    await flush();
    return total;
  }
}

export interface WorldSize {
  idps: number;
  projects: number;
  users: number;
  groups: number;
  assignments: number;
}

const pad = (n: number, width = 5) => String(n).padStart(width, '0');
export const ids = {
  project: (n: number) => `p${pad(n)}`,
  user: (n: number) => `u${pad(n)}`,
  userName: (n: number) => `svc-${pad(n)}`,
  group: (n: number) => `g${pad(n)}`,
  groupName: (n: number) => `grp-${pad(n)}`,
  issuer: (n: number) => `CN=Issuing CA ${pad(n)},OU=Bench,O=Example Corp,C=US`,
  mapping: (n: number) => `x509-${pad(n)}`,
};
const ROLES = ['admin', 'member', 'reader', 'service', 'observer', 'operator', 'auditor', 'billing', 'network', 'storage'];

/** Domains, roles, projects, users, groups, memberships and role assignments (no IdPs yet). */
export function* baseWorld(size: WorldSize): Generator<RegistryCommand> {
  for (let d = 1; d <= 10; d++) yield { kind: 'CreateDomain', id: `d${pad(d, 2)}`, domain: { name: `domain-${d}` } };
  for (const name of ROLES) yield { kind: 'CreateRole', id: `r-${name}`, role: { name } };
  yield { kind: 'CreateRole', id: 'r-probe', role: { name: 'probe' } };
  yield { kind: 'ImplyRole', prior_role_id: 'r-admin', implied_role_id: 'r-member' };
  yield { kind: 'ImplyRole', prior_role_id: 'r-member', implied_role_id: 'r-reader' };
  for (let p = 0; p < size.projects; p++) {
    // Most projects in the default domain, where the mappings put their users; a tenth spread over the others.
    const domain = p % 10 === 9 ? `d${pad(Math.floor((p % 100) / 10) + 1, 2)}` : 'default';
    yield { kind: 'CreateProject', id: ids.project(p), project: { name: `project-${pad(p)}`, domain_id: domain, description: 'seeded' } };
  }
  for (let u = 0; u < size.users; u++) yield { kind: 'CreateUser', id: ids.user(u), user: { name: ids.userName(u), domain_id: 'default' } };
  for (let g = 0; g < size.groups; g++) yield { kind: 'CreateGroup', id: ids.group(g), group: { name: ids.groupName(g), domain_id: 'default' } };
  for (let u = 0; u < size.users; u++) yield { kind: 'AddUserToGroup', group_id: ids.group(u % size.groups), user_id: ids.user(u) };
  // Half to users, half to groups; (actor, project, role) never repeats.
  const half = Math.floor(size.assignments / 2);
  for (let i = 0; i < size.assignments; i++) {
    const j = i < half ? i : i - half;
    const asUser = i < half;
    yield {
      kind: 'GrantRole',
      assignment: {
        role_id: `r-${ROLES[Math.floor(j / size.projects) % ROLES.length]}`,
        actor_type: asUser ? 'user' : 'group',
        actor_id: asUser ? ids.user(j % size.users) : ids.group(j % size.groups),
        target_type: 'project',
        target_id: ids.project(j % size.projects),
        inherited: false,
      },
    };
  }
}

/**
 * Identity providers `from` .. `to - 1`, each with its issuer, its own
 * mapping and the x509 protocol; even ones map to a local user, odd ones to
 * an ephemeral user in a group. Then the trusted issuers list is replaced.
 */
export function* identityProviders(from: number, to: number, groups: number): Generator<RegistryCommand> {
  for (let k = from; k < to; k++) {
    const issuer = ids.issuer(k);
    const idp = idpIdForIssuer(issuer);
    const remote = [
      { type: 'SSL_CLIENT_S_DN_CN' },
      { type: 'SSL_CLIENT_S_DN_O', whitelist: ['Default', `org-${pad(k)}`] },
    ];
    const local =
      k % 2 === 0
        ? [{ user: { name: '{0}', domain: { name: '{1}' }, type: 'local' } }]
        : [
            {
              user: { name: '{0}', type: 'ephemeral' },
              group: { name: ids.groupName(k % groups), domain: { name: 'Default' } },
            },
          ];
    yield { kind: 'CreateMapping', id: ids.mapping(k), rules: [{ local, remote }] };
    yield {
      kind: 'RegisterIdentityProvider',
      id: idp,
      identity_provider: { domain_id: 'default', enabled: true, description: issuer },
      auto_domain_id: idp,
    };
    yield { kind: 'CreateProtocol', idp_id: idp, id: 'x509', mapping_id: ids.mapping(k) };
  }
  const trusted = Array.from({ length: to }, (_, k) => ids.issuer(k));
  yield {
    kind: 'ReplaceTokenlessSettings',
    settings: { trusted_issuer: trusted, protocol: 'x509', issuer_attribute: 'SSL_CLIENT_I_DN' },
  };
}

/** Project description edits, round robin over the projects: the bulk of a long-lived log. */
export function* projectEdits(count: number, projects: number, start = 0): Generator<RegistryCommand> {
  for (let n = start; n < start + count; n++) {
    yield { kind: 'UpdateProject', id: ids.project(n % projects), patch: { description: `revision ${n}` } };
  }
}
