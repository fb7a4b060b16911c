import type { DataSource, QueryRunner } from 'typeorm';
import {
  AuthorizationIndex,
  RegistryState,
  evaluateIdentity,
  namedIdentities,
  type IdentityEvaluation,
  type RecordedEvent,
  type TrackedIdentity,
} from '../../../libs/domain/src';
import { readAfter } from '../../../libs/store/src';

export const TIMELINE_PROJECTION = 'grant_timeline';

interface OpenInterval {
  roles: string[];
  from_position: number;
}

/** Events after which the identities the mappings name may differ. */
const NAMING_EVENTS = new Set([
  'TokenlessSettingsReplaced', 'TrustedIssuerAdded', 'TrustedIssuerRemoved', 'MappingCreated', 'MappingReplaced',
  'MappingDeleted', 'ProtocolCreated', 'ProtocolUpdated', 'ProtocolDeleted',
]);

/** Rows per multi-row statement. */
const ROWS_PER_STATEMENT = 5000;

const sameRoles = (a: string[], b: string[]) => a.length === b.length && a.every((r, i) => r === b[i]);

/**
 * Folds the log into the grant timeline: after every event, each tracked
 * identity is evaluated with the pure authorize on every project and domain,
 * and an interval is opened or closed wherever the roles it holds changed.
 * An identity tracked later is first evaluated over the whole log before it,
 * so the timeline does not depend on when it was registered. Identities a
 * mapping in use names (see namedIdentities) join the same way the first
 * time they are named and stay followed after; so do identities the
 * authorize endpoints have seen (audit_seen_identities, evaluated with the
 * attributes of their first decision), picked up at most every
 * `seenEveryMs`. Each batch and the checkpoint commit together; the
 * in-memory state is dropped whenever a batch fails or the checkpoint moved
 * under it, and folded again.
 */
export class GrantTimelineProjector {
  private index?: AuthorizationIndex;
  private held = new Map<string, Map<string, OpenInterval>>();
  /** Identities ever named by a mapping in use, by id. */
  private named = new Map<string, TrackedIdentity>();
  /** Identities authorize has seen that the timeline follows, by id. */
  private seen = new Map<string, TrackedIdentity>();
  private seenCheckedAt = -Infinity;
  /** Seen identities the last step started following. */
  private seenFollowed = 0;
  /** What each followed identity's last evaluation depended on, and the reverse indexes. */
  private readonly deps = new Dependencies();
  /** Interval writes of the batch in progress, flushed before its checkpoint (or a delete) is written. */
  private opens = new Map<string, IntervalWrite>();
  private closes: CloseWrite[] = [];

  constructor(
    private readonly dataSource: DataSource,
    private readonly batchSize = 500,
    /** How often to look for identities authorize has newly seen (each look that finds some replays the log once). */
    private readonly seenEveryMs = 5000,
  ) {}

  /** Projects one batch; returns how many events it applied. */
  async step(): Promise<number> {
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    try {
      await runner.startTransaction();
      const checkpoint = await this.lockCheckpoint(runner);
      if (!this.index || this.index.state.position !== checkpoint) await this.load(runner, checkpoint);
      const events = await readAfter(runner, checkpoint, this.batchSize);
      for (const event of events) await this.apply(runner, event);
      this.seenFollowed = await this.followSeen(runner, events.length > 0 ? events.at(-1)!.position : checkpoint);
      await this.flush(runner);
      if (events.length > 0) {
        await runner.query('UPDATE checkpoints SET position = $2, updated_at = now() WHERE name = $1', [
          TIMELINE_PROJECTION,
          events.at(-1)!.position,
        ]);
      }
      await runner.commitTransaction();
      return events.length;
    } catch (err) {
      this.index = undefined;
      this.opens = new Map();
      this.closes = [];
      if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
      throw err;
    } finally {
      await runner.release();
    }
  }

  async catchUp(): Promise<number> {
    while ((await this.step()) > 0 || this.seenFollowed > 0) {
      // keep going
    }
    return this.checkpoint();
  }

  async checkpoint(): Promise<number> {
    const rows = (await this.dataSource.query('SELECT position FROM checkpoints WHERE name = $1', [
      TIMELINE_PROJECTION,
    ])) as { position: string }[];
    return rows.length > 0 ? Number(rows[0].position) : 0;
  }

  /** Forgets the timeline; the next step rebuilds it from position 0. */
  async reset(): Promise<void> {
    await this.dataSource.transaction(async (m) => {
      await m.query('DELETE FROM grant_intervals');
      await m.query('DELETE FROM audit_identities');
      await m.query('DELETE FROM audit_named_identities');
      await m.query('UPDATE audit_seen_identities SET since_position = NULL WHERE since_position IS NOT NULL');
      await m.query('DELETE FROM checkpoints WHERE name = $1', [TIMELINE_PROJECTION]);
    });
    this.index = undefined;
    this.seenCheckedAt = -Infinity;
  }

  private async lockCheckpoint(runner: QueryRunner): Promise<number> {
    await runner.query('INSERT INTO checkpoints (name, position) VALUES ($1, 0) ON CONFLICT (name) DO NOTHING', [
      TIMELINE_PROJECTION,
    ]);
    const rows = (await runner.query('SELECT position FROM checkpoints WHERE name = $1 FOR UPDATE', [
      TIMELINE_PROJECTION,
    ])) as { position: string }[];
    return Number(rows[0].position);
  }

  /** The state at the checkpoint, folded from the log, and the intervals still open there. */
  private async load(runner: QueryRunner, checkpoint: number): Promise<void> {
    const index = new AuthorizationIndex(RegistryState.withDefaultDomain());
    await foldLog(runner, checkpoint, (event) => void index.state.applyRecorded(event));
    const rows = (await runner.query(
      'SELECT identity_id, target_type, target_id, roles, from_position FROM grant_intervals WHERE to_position IS NULL',
    )) as { identity_id: string; target_type: string; target_id: string; roles: string[]; from_position: string }[];
    this.held = new Map();
    this.named = new Map();
    const named = (await runner.query(
      'SELECT id, issuer_dn, subject_dn, label, env FROM audit_named_identities',
    )) as { id: string; issuer_dn: string; subject_dn: string; label: string | null; env: Record<string, string> }[];
    for (const n of named) {
      this.named.set(n.id, { id: n.id, issuer: n.issuer_dn, subject: n.subject_dn, label: n.label, env: n.env });
    }
    this.seen = new Map();
    const seen = (await runner.query(
      'SELECT id, issuer_dn, subject_dn, env FROM audit_seen_identities WHERE since_position IS NOT NULL',
    )) as SeenIdentityRow[];
    for (const n of seen) this.seen.set(n.id, seenIdentity(n));
    this.seenCheckedAt = -Infinity;
    for (const row of rows) {
      let mine = this.held.get(row.identity_id);
      if (!mine) this.held.set(row.identity_id, (mine = new Map()));
      mine.set(`${row.target_type}:${row.target_id}`, { roles: row.roles, from_position: Number(row.from_position) });
    }
    this.index = index;
    this.deps.clear();
    for (const identity of this.followed()) this.deps.set(identity.id, evaluateIdentity(index, identity.env));
  }

  private async apply(runner: QueryRunner, event: RecordedEvent): Promise<void> {
    const index = this.index!;
    const state = index.state;
    state.applyRecorded(event);
    if (event.type === 'IdentityTracked') {
      // Registered identities take precedence over (and replace) one a mapping named.
      await this.follow(runner, [event.data.identity], 'registered', event.position);
      return;
    }
    if (event.type === 'IdentityUntracked') {
      await this.forget(runner, [event.data.id]);
      const named = this.named.get(event.data.id);
      const seen = this.seen.get(event.data.id);
      if (named) await this.follow(runner, [named], 'mapping', event.position);
      else if (seen) await this.follow(runner, [seen], 'seen', event.position);
      return;
    }
    if (NAMING_EVENTS.has(event.type)) {
      const fresh = namedIdentities(state).filter((i) => !this.named.has(i.id));
      for (const identity of fresh) this.named.set(identity.id, identity);
      // One statement for all of them: a mapping can name thousands.
      for (let i = 0; i < fresh.length; i += ROWS_PER_STATEMENT) {
        await runner.query(
          `INSERT INTO audit_named_identities (id, issuer_dn, subject_dn, label, env, since_position)
           SELECT r.id, r.issuer, r.subject, r.label, r.env, $2
           FROM jsonb_to_recordset($1::jsonb) AS r(id text, issuer text, subject text, label text, env jsonb)`,
          [JSON.stringify(fresh.slice(i, i + ROWS_PER_STATEMENT)), event.position],
        );
      }
      const unregistered = fresh.filter((i) => !state.trackedIdentities.has(i.id));
      if (unregistered.length > 0) await this.follow(runner, unregistered, 'mapping', event.position);
    }
    const affected = this.deps.affectedBy(event);
    const identities = affected === 'all' ? this.followed() : this.lookUp(affected);
    for (const identity of identities) {
      const evaluation = evaluateIdentity(index, identity.env);
      this.deps.set(identity.id, evaluation);
      this.record(identity.id, evaluation.grants, event);
    }
  }

  /** Every identity the timeline follows: registered ones, then those only a mapping named, then those only seen. */
  private *followed(): Iterable<TrackedIdentity> {
    const state = this.index!.state;
    yield* state.trackedIdentities.values();
    for (const identity of this.named.values()) if (!state.trackedIdentities.has(identity.id)) yield identity;
    for (const identity of this.seen.values()) {
      if (!state.trackedIdentities.has(identity.id) && !this.named.has(identity.id)) yield identity;
    }
  }

  /** The followed identities with these ids (registered over named by a mapping over seen). */
  private *lookUp(ids: Set<string>): Iterable<TrackedIdentity> {
    const state = this.index!.state;
    for (const id of ids) {
      const identity = state.trackedIdentities.get(id) ?? this.named.get(id) ?? this.seen.get(id);
      if (identity) yield identity;
    }
  }

  /**
   * Starts following identities authorize has newly seen, as of `upTo` (the
   * position the batch ends at), marking them in the same transaction as the
   * checkpoint. One that is registered or named by a mapping is already
   * followed as such. Returns how many it picked up.
   */
  private async followSeen(runner: QueryRunner, upTo: number): Promise<number> {
    if (Date.now() - this.seenCheckedAt < this.seenEveryMs) return 0;
    this.seenCheckedAt = Date.now();
    const rows = (await runner.query(
      `SELECT id, issuer_dn, subject_dn, env FROM audit_seen_identities WHERE since_position IS NULL
       ORDER BY first_seen, id LIMIT $1`,
      [SEEN_PER_STEP],
    )) as SeenIdentityRow[];
    if (rows.length === 0) return 0;
    // More are waiting: look again at the next step.
    if (rows.length === SEEN_PER_STEP) this.seenCheckedAt = -Infinity;
    const state = this.index!.state;
    const fresh: TrackedIdentity[] = [];
    for (const row of rows) {
      const identity = seenIdentity(row);
      this.seen.set(identity.id, identity);
      if (!state.trackedIdentities.has(identity.id) && !this.named.has(identity.id)) fresh.push(identity);
    }
    await runner.query('UPDATE audit_seen_identities SET since_position = $2 WHERE id = ANY($1)', [rows.map((r) => r.id), upTo]);
    if (fresh.length > 0) await this.follow(runner, fresh, 'seen', upTo);
    return rows.length;
  }

  /** Stops following identities: their rows and intervals go. */
  private async forget(runner: QueryRunner, ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.flush(runner);
    for (const id of ids) {
      this.deps.delete(id);
      this.held.delete(id);
    }
    await runner.query('DELETE FROM grant_intervals WHERE identity_id = ANY($1)', [ids]);
    await runner.query('DELETE FROM audit_identities WHERE id = ANY($1)', [ids]);
  }

  /** Starts following identities: their rows, and their intervals over the log up to `upTo`. */
  private async follow(
    runner: QueryRunner,
    identities: TrackedIdentity[],
    source: 'registered' | 'mapping' | 'seen',
    upTo: number,
  ): Promise<void> {
    await this.forget(runner, identities.map((i) => i.id));
    for (let i = 0; i < identities.length; i += ROWS_PER_STATEMENT) {
      await runner.query(
        `INSERT INTO audit_identities (id, issuer_dn, subject_dn, source, label, env, since_position)
         SELECT r.id, r.issuer, r.subject, $2, r.label, r.env, $3
         FROM jsonb_to_recordset($1::jsonb) AS r(id text, issuer text, subject text, label text, env jsonb)`,
        [JSON.stringify(identities.slice(i, i + ROWS_PER_STATEMENT)), source, upTo],
      );
    }
    await this.backfill(runner, identities, upTo);
    for (const identity of identities) this.deps.set(identity.id, evaluateIdentity(this.index!, identity.env));
  }

  /** Evaluates newly followed identities after every event up to and including `upTo`, in one replay. */
  private async backfill(runner: QueryRunner, identities: TrackedIdentity[], upTo: number): Promise<void> {
    const index = new AuthorizationIndex(RegistryState.withDefaultDomain());
    const changes: { id: string; grants: Map<string, string[]>; event: RecordedEvent }[] = [];
    const last = new Map<string, Map<string, string[]>>();
    for (const identity of identities) {
      this.held.set(identity.id, new Map());
      last.set(identity.id, new Map());
    }
    // The same affected-only evaluation as the live path, from the first event on.
    const deps = new Dependencies();
    // Only these identities are in `deps`, so what an event affects is among them; it is
    // looked up by id (in their order) rather than found by walking all of them per event.
    const ordinal = new Map(identities.map((identity, i) => [identity.id, i]));
    let first = true;
    await foldLog(runner, upTo, (event) => {
      index.state.applyRecorded(event);
      const affected = first ? 'all' : deps.affectedBy(event);
      first = false;
      const evaluated =
        affected === 'all'
          ? identities
          : [...affected]
              .map((id) => ordinal.get(id))
              .filter((i): i is number => i !== undefined)
              .sort((a, b) => a - b)
              .map((i) => identities[i]);
      for (const identity of evaluated) {
        const evaluation = evaluateIdentity(index, identity.env);
        deps.set(identity.id, evaluation);
        if (!sameGrants(evaluation.grants, last.get(identity.id)!)) changes.push({ id: identity.id, grants: evaluation.grants, event });
        last.set(identity.id, evaluation.grants);
      }
    });
    for (const { id, grants, event } of changes) this.record(id, grants, event);
  }

  /** Closes and opens intervals so that the open ones equal `grants`, attributed to `event`. */
  /** Closes and opens intervals so that the open ones equal `grants`, attributed to `event` (buffered). */
  private record(identityId: string, grants: Map<string, string[]>, event: RecordedEvent): void {
    let held = this.held.get(identityId);
    if (!held) this.held.set(identityId, (held = new Map()));
    const meta = event.metadata;
    for (const [target, open] of [...held]) {
      const roles = grants.get(target);
      if (roles && sameRoles(roles, open.roles)) continue;
      const [target_type, target_id] = splitTarget(target);
      const close = {
        to_position: event.position,
        to_at: event.recorded_at,
        to_event_type: event.type,
        to_actor: meta.actor,
        to_reason: meta.reason ?? null,
      };
      const key = `${identityId}\u0000${target}\u0000${open.from_position}`;
      const opened = this.opens.get(key);
      if (opened) Object.assign(opened, close);
      else this.closes.push({ identity_id: identityId, target_type, target_id, from_position: open.from_position, ...close });
      held.delete(target);
    }
    for (const [target, roles] of grants) {
      if (held.has(target)) continue;
      const [target_type, target_id] = splitTarget(target);
      this.opens.set(`${identityId}\u0000${target}\u0000${event.position}`, {
        identity_id: identityId,
        target_type,
        target_id,
        roles,
        from_position: event.position,
        from_at: event.recorded_at,
        from_event_type: event.type,
        from_actor: meta.actor,
        from_reason: meta.reason ?? null,
        to_position: null,
        to_at: null,
        to_event_type: null,
        to_actor: null,
        to_reason: null,
      });
      held.set(target, { roles, from_position: event.position });
    }
  }

  /** Writes the buffered interval changes with a few multi-row statements. */
  private async flush(runner: QueryRunner): Promise<void> {
    const opens = [...this.opens.values()];
    const closes = this.closes;
    this.opens = new Map();
    this.closes = [];
    const CHUNK = 5000;
    for (let i = 0; i < opens.length; i += CHUNK) {
      await runner.query(
        `INSERT INTO grant_intervals (identity_id, target_type, target_id, roles, from_position, from_at, from_event_type,
           from_actor, from_reason, to_position, to_at, to_event_type, to_actor, to_reason)
         SELECT r.identity_id, r.target_type, r.target_id, ARRAY(SELECT jsonb_array_elements_text(r.roles)),
           r.from_position, r.from_at, r.from_event_type, r.from_actor, r.from_reason, r.to_position, r.to_at,
           r.to_event_type, r.to_actor, r.to_reason
         FROM jsonb_to_recordset($1::jsonb) AS r(identity_id text, target_type text, target_id text, roles jsonb,
           from_position bigint, from_at timestamptz, from_event_type text, from_actor text, from_reason text,
           to_position bigint, to_at timestamptz, to_event_type text, to_actor text, to_reason text)`,
        [JSON.stringify(opens.slice(i, i + CHUNK))],
      );
    }
    for (let i = 0; i < closes.length; i += CHUNK) {
      await runner.query(
        `UPDATE grant_intervals g SET to_position = r.to_position, to_at = r.to_at, to_event_type = r.to_event_type,
           to_actor = r.to_actor, to_reason = r.to_reason
         FROM jsonb_to_recordset($1::jsonb) AS r(identity_id text, target_type text, target_id text, from_position bigint,
           to_position bigint, to_at timestamptz, to_event_type text, to_actor text, to_reason text)
         WHERE g.identity_id = r.identity_id AND g.target_type = r.target_type AND g.target_id = r.target_id
           AND g.from_position = r.from_position`,
        [JSON.stringify(closes.slice(i, i + CHUNK))],
      );
    }
  }
}

/** Seen identities taken up per step (their intervals come from one replay of the log). */
const SEEN_PER_STEP = 1000;

interface SeenIdentityRow {
  id: string;
  issuer_dn: string;
  subject_dn: string;
  env: Record<string, string>;
}

function seenIdentity(row: SeenIdentityRow): TrackedIdentity {
  return { id: row.id, issuer: row.issuer_dn, subject: row.subject_dn, label: 'seen by authorize', env: row.env };
}

interface IntervalWrite {
  identity_id: string;
  target_type: string;
  target_id: string;
  roles: string[];
  from_position: number;
  from_at: string;
  from_event_type: string;
  from_actor: string;
  from_reason: string | null;
  to_position: number | null;
  to_at: string | null;
  to_event_type: string | null;
  to_actor: string | null;
  to_reason: string | null;
}

type CloseWrite = Pick<IntervalWrite, 'identity_id' | 'target_type' | 'target_id' | 'from_position' | 'to_position' | 'to_at' | 'to_event_type' | 'to_actor' | 'to_reason'>;

function splitTarget(target: string): [string, string] {
  const colon = target.indexOf(':');
  return [target.slice(0, colon), target.slice(colon + 1)];
}

function sameGrants(a: Map<string, string[]>, b: Map<string, string[]>): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) {
    const w = b.get(k);
    if (!w || !sameRoles(v, w)) return false;
  }
  return true;
}

/** Calls `each` for every event up to and including `upTo`, in order. */
async function foldLog(runner: QueryRunner, upTo: number, each: (event: RecordedEvent) => void): Promise<void> {
  let from = 0;
  while (from < upTo) {
    const batch = await readAfter(runner, from, 5000);
    for (const event of batch) {
      if (event.position > upTo) return;
      each(event);
    }
    if (batch.length < 5000) return;
    from = batch.at(-1)!.position;
  }
}

/**
 * Which identities an event can affect. Changes to settings, identity
 * providers, mappings, protocols, domains, projects and roles affect every
 * identity; a user, group, membership or assignment event affects only the
 * identities whose last evaluation read that user or group (plus, for user
 * and group events, those that did not resolve or resolve groups by name).
 */
class Dependencies {
  private readonly of = new Map<string, IdentityEvaluation>();
  private readonly byUser = new Map<string, Set<string>>();
  private readonly byGroup = new Map<string, Set<string>>();
  private readonly watchers = new Set<string>();
  private readonly always = new Set<string>();

  clear(): void {
    for (const id of [...this.of.keys()]) this.delete(id);
  }

  set(id: string, evaluation: IdentityEvaluation): void {
    this.delete(id);
    this.of.set(id, evaluation);
    for (const u of evaluation.users) add(this.byUser, u, id);
    for (const g of evaluation.groups) add(this.byGroup, g, id);
    if (evaluation.watchesDirectory) this.watchers.add(id);
    if (evaluation.always) this.always.add(id);
  }

  delete(id: string): void {
    const old = this.of.get(id);
    if (!old) return;
    this.of.delete(id);
    for (const u of old.users) remove(this.byUser, u, id);
    for (const g of old.groups) remove(this.byGroup, g, id);
    this.watchers.delete(id);
    this.always.delete(id);
  }

  affectedBy(event: RecordedEvent): Set<string> | 'all' {
    const out = new Set(this.always);
    const users = (id: string) => this.byUser.get(id)?.forEach((i) => out.add(i));
    const groups = (id: string) => this.byGroup.get(id)?.forEach((i) => out.add(i));
    const watchers = () => this.watchers.forEach((i) => out.add(i));
    switch (event.type) {
      case 'IdentityTracked':
      case 'IdentityUntracked':
        return out;
      case 'UserCreated':
        watchers();
        return out;
      case 'UserUpdated':
      case 'UserDeleted':
        users(event.data.id);
        watchers();
        return out;
      case 'GroupCreated':
        watchers();
        return out;
      case 'GroupUpdated':
      case 'GroupDeleted':
        groups(event.data.id);
        watchers();
        return out;
      case 'UserAddedToGroup':
      case 'UserRemovedFromGroup':
        users(event.data.user_id);
        return out;
      case 'RoleGranted':
      case 'RoleRevoked':
        if (event.data.actor_type === 'user') users(event.data.actor_id);
        else groups(event.data.actor_id);
        return out;
      default:
        return 'all';
    }
  }
}

function add(map: Map<string, Set<string>>, key: string, value: string): void {
  let set = map.get(key);
  if (!set) map.set(key, (set = new Set()));
  set.add(value);
}

function remove(map: Map<string, Set<string>>, key: string, value: string): void {
  const set = map.get(key);
  if (!set) return;
  set.delete(value);
  if (set.size === 0) map.delete(key);
}
