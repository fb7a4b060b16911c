import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { AuthorizationIndex, RegistryState, authorize, grantsOf, trackedIdentityId } from '../../libs/domain/src';
import { EventStore } from '../../libs/store/src';
import { apacheEnv, idpId, issuerDn } from '../../libs/x509/src';
import { TestPki } from '../support/pki';
import { startTestRegistry, type TestRegistry } from '../support/registry';
import { until } from '../support/wait';
import type { AuthorizeAnswer, FollowedIdentity, GrantInterval } from '../support/api-types';

const run = promisify(execFile);
const CLI = join(process.cwd(), 'dist', 'apps', 'cli', 'src', 'main.js');

const mapping = (names: string[]) => [
  {
    local: [{ user: { name: '{0}', domain: { id: 'default' }, type: 'local' } }],
    remote: [{ type: 'SSL_CLIENT_S_DN_CN' }, { type: 'SSL_CLIENT_S_DN_CN', any_one_of: names }],
  },
];
const SCOPES: Record<string, string>[] = [{ 'X-Project-Id': 'p-web' }, { 'X-Project-Id': 'p-db' }, { 'X-Domain-Id': 'default' }];

/**
 * Months of a registry's life driven through the admin API, certificates
 * authorized along the way, then the audit checked against fresh
 * evaluations of the log: point-in-time answers, timelines, holders, and an
 * export that verifies until one byte of it changes.
 */
describe('audit over a simulated history', () => {
  const pki = new TestPki();
  let reg: TestRegistry;
  const pems: Record<string, string> = {};
  /** Live answers recorded during the history: [cert, scope index, position, status, body]. */
  const live: { who: string; scope: number; position: number; status: number; body: AuthorizeAnswer }[] = [];
  const month: Record<string, number> = {};
  const dir = mkdtempSync(join(tmpdir(), 'audit-export-'));

  const must = async (method: string, path: string, body?: unknown, reason?: string) => {
    const res = await reg.call(method, path, body, reason ? { 'X-Change-Reason': reason } : {});
    assert.ok(res.status < 300, `${method} ${path}: ${res.status} ${JSON.stringify(res.body)}`);
    return res;
  };
  const observe = async (label: string) => {
    for (const who of Object.keys(pems)) {
      for (let scope = 0; scope < SCOPES.length; scope++) {
        const res = await reg.call('POST', '/v1/authorize', { env: apacheEnv(pems[who]), headers: SCOPES[scope] });
        live.push({ who, scope, position: res.body.position, status: res.status, body: res.body });
        month[label] = res.body.position;
      }
    }
  };
  const foldTo = async (position: number) => {
    const state = RegistryState.withDefaultDomain();
    for (const e of await new EventStore(reg.registry.dataSource).readRange(0, position, 1_000_000)) state.applyRecorded(e);
    return new AuthorizationIndex(state);
  };

  before(async () => {
    pki.ca('ca', '/DC=org/DC=example/O=Example/CN=Example Issuing CA');
    for (const who of ['alice', 'bob', 'carol']) pems[who] = pki.pem(pki.client(who, `/DC=org/DC=example/O=Example/CN=${who}`, 'ca'));
    reg = await startTestRegistry({ withWorker: true });
    const issuer = issuerDn(pems.alice, 'apache');
    const idp = idpId(pems.alice, 'apache');

    // Month 1: the registry is set up; alice and bob are tracked, carol only through the mapping.
    await must('POST', '/v1/audit/identities', { certificate: pems.alice, label: 'alice' });
    await must('POST', '/v1/audit/identities', { certificate: pems.bob, label: 'bob' });
    await must('PUT', '/v1/tokenless', { trusted_issuer: [issuer], protocol: 'x509', issuer_attribute: 'SSL_CLIENT_I_DN' });
    await must('PUT', `/v3/OS-FEDERATION/identity_providers/${idp}`, { identity_provider: { domain_id: 'default' } });
    await must('PUT', '/v3/OS-FEDERATION/mappings/certs', { mapping: { rules: mapping(['alice', 'carol']) } });
    await must('PUT', `/v3/OS-FEDERATION/identity_providers/${idp}/protocols/x509`, { protocol: { mapping_id: 'certs' } });
    await must('POST', '/v3/projects', { project: { id: 'p-web', name: 'web', domain_id: 'default' } });
    await must('POST', '/v3/projects', { project: { id: 'p-db', name: 'db', domain_id: 'default' } });
    for (const r of ['reader', 'operator', 'admin']) await must('POST', '/v3/roles', { role: { id: `r-${r}`, name: r } });
    for (const u of ['alice', 'bob', 'carol']) await must('POST', '/v3/users', { user: { id: `u-${u}`, name: u, domain_id: 'default' } });
    await must('POST', '/v3/groups', { group: { id: 'g-ops', name: 'ops', domain_id: 'default' } });
    await must('PUT', '/v3/projects/p-web/users/u-alice/roles/r-reader', undefined, 'alice joins web');
    await must('PUT', '/v3/projects/p-web/users/u-carol/roles/r-reader');
    await must('PUT', '/v3/projects/p-db/groups/g-ops/roles/r-operator');
    await must('PUT', '/v3/groups/g-ops/users/u-alice');
    await must('PUT', '/v3/projects/p-db/users/u-bob/roles/r-reader');
    await observe('m1');
    // Month 2: the whitelist widens to bob.
    await must('PATCH', '/v3/OS-FEDERATION/mappings/certs', { mapping: { rules: mapping(['alice', 'bob', 'carol']) } }, 'bob onboarded');
    await observe('m2');
    // Month 3: ops gains admin on web; bob joins ops.
    await must('PUT', '/v3/projects/p-web/groups/g-ops/roles/r-admin', undefined, 'ops takes over web');
    await must('PUT', '/v3/groups/g-ops/users/u-bob');
    // ... and carol a domain-wide reader inherited by every project, and an implied role.
    await must('PUT', '/v3/OS-INHERIT/domains/default/users/u-carol/roles/r-reader/inherited_to_projects');
    await must('PUT', '/v3/roles/r-admin/implies/r-operator');
    await observe('m3');
    // Month 4: the IdP is disabled; month 5: re-enabled.
    await must('PATCH', `/v3/OS-FEDERATION/identity_providers/${idp}`, { identity_provider: { enabled: false } }, 'incident');
    await observe('m4');
    await must('PATCH', `/v3/OS-FEDERATION/identity_providers/${idp}`, { identity_provider: { enabled: true } });
    await observe('m5');
    // Month 6: alice is disabled.
    await must('PATCH', '/v3/users/u-alice', { user: { enabled: false } }, 'alice on leave');
    await observe('m6');
    // Month 7: the whitelist narrows; carol drops out.
    await must('PATCH', '/v3/OS-FEDERATION/mappings/certs', { mapping: { rules: mapping(['alice', 'bob']) } }, 'carol left');
    await observe('m7');
    // Month 8: ops loses admin on web.
    await must('DELETE', '/v3/projects/p-web/groups/g-ops/roles/r-admin', undefined, 'least privilege');
    await observe('m8');
    // Month 9: alice is back; month 10: bob leaves ops.
    await must('PATCH', '/v3/users/u-alice', { user: { enabled: true } });
    await observe('m9');
    await must('DELETE', '/v3/groups/g-ops/users/u-bob');
    await must('DELETE', '/v3/OS-INHERIT/domains/default/users/u-carol/roles/r-reader/inherited_to_projects');
    await observe('m10');
    // Month 11: the project web is disabled; month 12: re-enabled with bob as reader.
    await must('PATCH', '/v3/projects/p-web', { project: { enabled: false } });
    await observe('m11');
    await must('PATCH', '/v3/projects/p-web', { project: { enabled: true } });
    await must('PUT', '/v3/projects/p-web/users/u-bob/roles/r-reader');
    await observe('m12');
    const head = await new EventStore(reg.registry.dataSource).headPosition();
    await until(async () => {
      const rows = await reg.registry.dataSource.query(`SELECT position FROM checkpoints WHERE name = 'grant_timeline'`);
      return rows.length > 0 && Number(rows[0].position) >= head;
    }, 30_000);
  });

  after(async () => {
    await reg?.stop();
  });

  test('point-in-time answers at a dozen instants equal the live answers then and a fresh evaluation', async () => {
    assert.equal(Object.keys(month).length, 12);
    for (const seen of live) {
      const request = { env: apacheEnv(pems[seen.who]), headers: SCOPES[seen.scope] };
      const past = await reg.call('POST', '/v1/authorize', { ...request, at_position: seen.position });
      assert.equal(past.status, seen.status, `${seen.who} @${seen.position}`);
      assert.equal(past.body.position, seen.position);
      if (seen.status === 200) assert.deepEqual(past.body.auth_context, seen.body.auth_context);
      else assert.equal(past.body.error.reason, seen.body.error?.reason);
      const fresh = authorize(await foldTo(seen.position), request);
      assert.equal(fresh.outcome === 'granted' ? 200 : fresh.status, seen.status);
      if (fresh.outcome === 'granted') assert.deepEqual(fresh.auth_context, seen.body.auth_context);
    }
    // The history did change the answers.
    const alice = live.filter((l) => l.who === 'alice' && l.scope === 0).map((l) => l.body.auth_context?.roles?.join('+') ?? l.body.error?.reason);
    assert.deepEqual(new Set(alice).size > 2, true, JSON.stringify(alice));
  });

  test('every identity\'s timeline equals intervals derived from a fresh evaluation after each event', async () => {
    const events = await new EventStore(reg.registry.dataSource).readAfter(0, 100_000);
    const identities = await reg.call('GET', '/v1/audit/identities');
    const followed = [
      ...identities.body.identities,
      ...(identities.body.named_by_mappings as FollowedIdentity[]).filter((n) => !(identities.body.identities as FollowedIdentity[]).some((i) => i.id === n.id)),
    ];
    assert.deepEqual(followed.map((i: FollowedIdentity) => i.subject).sort(), [
      'CN=alice', 'CN=bob', 'CN=carol',
      'CN=alice,O=Example,DC=example,DC=org', 'CN=bob,O=Example,DC=example,DC=org',
    ].sort());
    for (const identity of followed) {
      const expected: [string, string, number, number | null][] = [];
      const open = new Map<string, { roles: string; from: number }>();
      const state = RegistryState.withDefaultDomain();
      const index = new AuthorizationIndex(state);
      for (const e of events) {
        state.applyRecorded(e);
        const now = grantsOf(index, identity.env);
        for (const [target, o] of [...open]) {
          if (now.get(target)?.join('+') !== o.roles) {
            expected.push([target, o.roles, o.from, e.position]);
            open.delete(target);
          }
        }
        for (const [target, roles] of now) if (!open.has(target)) open.set(target, { roles: roles.join('+'), from: e.position });
      }
      for (const [target, o] of open) expected.push([target, o.roles, o.from, null]);
      const timeline = await reg.call('GET', `/v1/audit/grants?identity=${identity.id}`);
      const actual = (timeline.body.intervals as GrantInterval[]).map((i) => [
        i.project_id ? `project:${i.project_id}` : `domain:${i.domain_id}`,
        i.roles.join('+'),
        i.opened_by.position,
        i.closed_by?.position ?? null,
      ]);
      const order = (a: unknown[], b: unknown[]) => Number(a[2]) - Number(b[2]) || String(a[0]).localeCompare(String(b[0]));
      assert.deepEqual(actual.sort(order), expected.sort(order), identity.subject);
    }
    const alice = await reg.call(
      'GET',
      `/v1/audit/grants?issuer=${encodeURIComponent(issuerDn(pems.alice, 'apache'))}&subject=${encodeURIComponent('CN=alice,O=Example,DC=example,DC=org')}`,
    );
    const first = alice.body.intervals[0];
    assert.equal(first.project_id, 'p-web');
    assert.equal(first.opened_by.reason, 'alice joins web');
    const leave = (alice.body.intervals as GrantInterval[]).find((i) => i.closed_by?.reason === 'alice on leave');
    assert.ok(leave, 'disabling alice closed an interval, with the reason given');
    assert.equal(leave.closed_by?.type, 'UserUpdated');
  });

  test('holders of admin on web in a window', async () => {
    const at = async (position: number) => (await new EventStore(reg.registry.dataSource).readRange(position - 1, position, 1))[0].recorded_at;
    const from = await at(month.m3);
    const to = await at(month.m8);
    const holders = await reg.call('GET', `/v1/audit/holders?project=p-web&role=admin&from=${from}&to=${to}`);
    const subjects = [...new Set((holders.body.holders as GrantInterval[]).map((h) => h.identity.subject))].sort();
    assert.deepEqual(subjects, ['CN=alice', 'CN=alice,O=Example,DC=example,DC=org', 'CN=bob', 'CN=bob,O=Example,DC=example,DC=org']);
    for (const h of holders.body.holders) assert.ok(h.roles.includes('admin'));
    const later = await reg.call('GET', `/v1/audit/holders?project=p-web&role=admin&from=${new Date().toISOString()}`);
    assert.deepEqual(later.body.holders, []);
  });

  test('an export verifies; the same export with one byte changed does not, naming where', async () => {
    const env = { ...process.env, DATABASE_URL: reg.db.url, LOG_LEVEL: 'silent' };
    for (const format of ['csv', 'jsonl']) {
      const file = join(dir, `audit.${format}`);
      await run(process.execPath, [CLI, 'audit', 'export', '--format', format, '--out', file, '--no-progress'], { env });
      const manifest = JSON.parse(readFileSync(`${file}.manifest.json`, 'utf8'));
      const bytes = readFileSync(file);
      assert.equal(manifest.sha256, (await import('node:crypto')).createHash('sha256').update(bytes).digest('hex'));
      assert.equal(manifest.position_range.to, await new EventStore(reg.registry.dataSource).headPosition());
      // Identities authorize has seen are exported once the log has moved past the position where they joined.
      const [{ n }] = await reg.registry.dataSource.query(
        `SELECT count(*)::int AS n FROM grant_intervals i JOIN audit_identities a ON a.id = i.identity_id
         WHERE a.source <> 'seen' OR a.since_position < $1`,
        [manifest.timeline_through],
      );
      assert.equal(manifest.rows, manifest.position_range.to + n, 'one row per event and one per interval');
      const ok = await run(process.execPath, [CLI, 'audit', 'verify', '--export', file], { env });
      const report = JSON.parse(ok.stdout);
      assert.equal(report.ok, true, ok.stdout);
      assert.equal(report.chain.first_bad_position, null);

      // The API streams the same bytes from its own snapshot.
      const res = await fetch(`${reg.url}/v1/audit/export?format=${format}`, { headers: { 'X-Auth-Token': 'test-admin-token' } });
      assert.equal(res.status, 200);
      assert.ok(Buffer.from(await res.arrayBuffer()).equals(bytes), 'the API export equals the CLI export');

      // Change one byte inside the row of the grant of r-admin to ops.
      const text = bytes.toString('utf8');
      const marker = text.indexOf('assignment:group:g-ops:project:p-web:r-admin');
      assert.ok(marker > 0);
      const tampered = Buffer.from(bytes);
      const at = marker + 'assignment:group:g-ops:project:p-web:r-'.length;
      tampered[at] = tampered[at] === 0x41 ? 0x42 : 0x41;
      writeFileSync(file, tampered);
      const bad = await run(process.execPath, [CLI, 'audit', 'verify', '--export', file], { env }).then(
        () => assert.fail('verify accepted a tampered export'),
        (err: { code: number; stdout: string }) => err,
      );
      assert.equal(bad.code, 1);
      const badReport = JSON.parse(bad.stdout);
      assert.equal(badReport.export.sha256_matches_manifest, false);
      const events = await new EventStore(reg.registry.dataSource).readAfter(0, 100_000);
      const grant = events.find((e) => e.stream === 'assignment:group:g-ops:project:p-web:r-admin')!;
      assert.equal(badReport.export.first_tampered_position, grant.position);
    }
  });

  test('formula-looking text is neutralised in CSV and raw in JSON Lines (BR-24); times are UTC (BR-21)', async () => {
    const env = { ...process.env, DATABASE_URL: reg.db.url, LOG_LEVEL: 'silent' };
    await must('PATCH', '/v3/users/u-carol', { user: { enabled: false } }, '=HYPERLINK("http://x.example/","open")');
    const csv = join(dir, 'formula.csv');
    await run(process.execPath, [CLI, 'audit', 'export', '--format', 'csv', '--out', csv, '--no-progress'], { env: { ...env, TZ: 'America/New_York' } });
    const text = readFileSync(csv, 'utf8');
    assert.ok(text.includes(`"'=HYPERLINK(""http://x.example/"",""open"")"`), 'the reason cell starts with an apostrophe');
    assert.ok(!/(^|,)=HYPERLINK/m.test(text));
    const jsonl = join(dir, 'formula.jsonl');
    await run(process.execPath, [CLI, 'audit', 'export', '--format', 'jsonl', '--out', jsonl, '--no-progress'], { env: { ...env, TZ: 'Europe/Berlin' } });
    const rows = readFileSync(jsonl, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const row = rows.find((r) => r.reason?.startsWith('=HYPERLINK'));
    assert.equal(row.reason, '=HYPERLINK("http://x.example/","open")');
    for (const r of rows) assert.match(r.recorded_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.equal(trackedIdentityId('a', 'b').length, 64);
  });
});
