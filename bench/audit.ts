import { createHash } from 'node:crypto';
import type { PoolClient } from 'pg';
import QueryStream from 'pg-query-stream';
import { RegistryState, decide, type PendingEvent, type RegistryCommand } from '../libs/domain/src';
import { EventStore, createDataSource, migrate } from '../libs/store/src';
import { AuditExport, writeExport } from '../apps/worker/src/audit-export';
import { GrantTimelineProjector } from '../apps/worker/src/grant-timeline';
import { createTestDatabase } from '../test/support/db';

/**
 * The audit part of `npm run bench`: builds a history of BENCH_EVENTS events
 * (default 100,000) in which mapping rules name BENCH_IDENTITIES certificate
 * identities (default 10,000), then measures, in the same run and on the
 * same PostgreSQL: a plain sequential read of the events (the baseline),
 * the grant timeline replayed from position 0, and the CSV export, each
 * reported as a rate and as a ratio to the baseline.
 */
const QUICK = process.env.BENCH_QUICK === '1';
const EVENTS = Number(process.env.BENCH_EVENTS ?? (QUICK ? 20_000 : 100_000));
const IDENTITIES = Number(process.env.BENCH_IDENTITIES ?? (QUICK ? 1_000 : 10_000));
const PROJECTS = 40;
const GROUPS = Number(process.env.BENCH_GROUPS ?? 1_000);
const ROLES = ['reader', 'member', 'operator', 'admin'];
const ISSUER = 'CN=Bench Issuing CA,O=Example';

function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export async function auditBench(figure: (name: string, value: number, unit?: string) => void): Promise<void> {
  const db = await createTestDatabase('tr_bench');
  const ds = createDataSource({ url: db.url, poolSize: 4 });
  await ds.initialize();
  try {
    await migrate(ds);
    const store = new EventStore(ds);
    const state = RegistryState.withDefaultDomain();
    // Commands are decided and applied as they are chosen (so the next choice sees them), appended in batches.
    let pending: (PendingEvent & { version: number })[] = [];
    let recordedCount = 0;
    const flush = async () => {
      const events = pending;
      pending = [];
      if (events.length === 0) return;
      await store.transaction(async (tx) => {
        await tx.lock();
        await tx.append(events, { actor: 'bench', actor_kind: 'system', reason: 'benchmark history' });
      });
      recordedCount += events.length;
    };
    const run = async (c: RegistryCommand) => {
      for (const event of decide(state, c)) {
        const version = state.version(event.stream) + 1;
        state.versions.set(event.stream, version);
        state.apply(event);
        pending.push({ ...event, version });
      }
      if (pending.length >= 2000) await flush();
    };

    const t0 = performance.now();
    const idp = createHash('sha256').update(ISSUER).digest('hex');
    for (let p = 0; p < PROJECTS; p++) await run({ kind: 'CreateProject', id: `p${p}`, project: { name: `project-${p}`, domain_id: 'default' } });
    for (const r of ROLES) await run({ kind: 'CreateRole', id: `r-${r}`, role: { name: r } });
    for (let u = 0; u < IDENTITIES; u++) await run({ kind: 'CreateUser', id: `u${u}`, user: { name: `cn${u}`, domain_id: 'default' } });
    for (let g = 0; g < GROUPS; g++) await run({ kind: 'CreateGroup', id: `g${g}`, group: { name: `group-${g}`, domain_id: 'default' } });
    await run({ kind: 'ReplaceTokenlessSettings', settings: { trusted_issuer: [ISSUER], protocol: 'x509', issuer_attribute: 'SSL_CLIENT_I_DN' } });
    await run({ kind: 'RegisterIdentityProvider', id: idp, identity_provider: { domain_id: 'default' }, auto_domain_id: 'unused' });
    const rules = [];
    for (let from = 0; from < IDENTITIES; from += 1000) {
      const names = Array.from({ length: Math.min(1000, IDENTITIES - from) }, (_, i) => `cn${from + i}`);
      rules.push({
        local: [{ user: { name: '{0}', domain: { id: 'default' }, type: 'local' } }],
        remote: [{ type: 'SSL_CLIENT_S_DN_CN' }, { type: 'SSL_CLIENT_S_DN_CN', any_one_of: names }],
      });
    }
    await run({ kind: 'CreateMapping', id: 'bench', rules });
    await run({ kind: 'CreateProtocol', idp_id: idp, id: 'x509', mapping_id: 'bench' });
    await flush();

    // The rest: grants, revocations, memberships and user switches, chosen so every command is valid.
    const random = prng(42);
    const pick = (n: number) => Math.floor(random() * n);
    while (recordedCount + pending.length < EVENTS) {
      const dice = random();
      if (dice < 0.55) {
        const a = { role_id: `r-${ROLES[pick(ROLES.length)]}`, actor_type: 'user' as const, actor_id: `u${pick(IDENTITIES)}`, target_type: 'project' as const, target_id: `p${pick(PROJECTS)}`, inherited: false };
        const key = `user:${a.actor_id}:project:${a.target_id}:${a.role_id}`;
        await run({ kind: state.assignments.has(key) ? 'RevokeRole' : 'GrantRole', assignment: a });
      } else if (dice < 0.85) {
        const group_id = `g${pick(GROUPS)}`;
        const user_id = `u${pick(IDENTITIES)}`;
        const member = state.groupsOfUser.get(user_id)?.has(group_id) ?? false;
        await run({ kind: member ? 'RemoveUserFromGroup' : 'AddUserToGroup', group_id, user_id });
      } else if (dice < 0.95) {
        const a = { role_id: `r-${ROLES[pick(ROLES.length)]}`, actor_type: 'group' as const, actor_id: `g${pick(GROUPS)}`, target_type: 'project' as const, target_id: `p${pick(PROJECTS)}`, inherited: false };
        const key = `group:${a.actor_id}:project:${a.target_id}:${a.role_id}`;
        await run({ kind: state.assignments.has(key) ? 'RevokeRole' : 'GrantRole', assignment: a });
      } else {
        const id = `u${pick(IDENTITIES)}`;
        await run({ kind: 'UpdateUser', id, patch: { enabled: !state.users.get(id)!.enabled } });
      }
    }
    await flush();
    const head = await store.headPosition();
    const buildSeconds = (performance.now() - t0) / 1000;

    // Baseline: every event read in position order, as the worker reads them.
    let t = performance.now();
    let read = 0;
    for (let from = 0; ; ) {
      const batch = await store.readAfter(from, 10_000);
      read += batch.length;
      if (batch.length < 10_000) break;
      from = batch.at(-1)!.position;
    }
    const readRate = read / ((performance.now() - t) / 1000);

    t = performance.now();
    const projector = new GrantTimelineProjector(ds, 5000);
    await projector.catchUp();
    const replaySeconds = (performance.now() - t) / 1000;
    const replayRate = head / replaySeconds;
    const [{ intervals }] = await ds.query('SELECT count(*)::int AS intervals FROM grant_intervals');
    const [{ identities }] = await ds.query('SELECT count(*)::int AS identities FROM audit_named_identities');

    // Export baseline: the same rows' events through a server-side cursor, doing nothing with them.
    const runner = ds.createQueryRunner();
    const client = (await runner.connect()) as PoolClient;
    t = performance.now();
    let streamed = 0;
    for await (const _row of client.query(new QueryStream('SELECT * FROM events ORDER BY position', [], { batchSize: 1000 })) as unknown as AsyncIterable<unknown>) {
      streamed++;
    }
    const cursorRate = streamed / ((performance.now() - t) / 1000);
    await runner.release();

    t = performance.now();
    const exp = await AuditExport.open(ds, { format: 'csv' });
    let bytes = 0;
    const manifest = await writeExport(exp, (chunk) => {
      bytes += chunk.length;
    });
    await exp.close();
    const exportRate = manifest.rows / ((performance.now() - t) / 1000);

    figure('audit_history_events', head);
    figure('audit_named_identities', Number(identities));
    figure('audit_grant_intervals', Number(intervals));
    figure('audit_history_build_s', buildSeconds, 's');
    figure('audit_sequential_read_events_per_s', readRate, 'events/s');
    figure('audit_replay_events_per_s', replayRate, 'events/s');
    figure('audit_replay_vs_sequential_read', replayRate / readRate);
    figure('audit_cursor_read_rows_per_s', cursorRate, 'rows/s');
    figure('audit_export_rows', manifest.rows);
    figure('audit_export_bytes', bytes, 'bytes');
    figure('audit_export_rows_per_s', exportRate, 'rows/s');
    figure('audit_export_vs_cursor_read', exportRate / cursorRate);
  } finally {
    await ds.destroy();
    await db.drop();
  }
}

