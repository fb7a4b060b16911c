import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { DataSource } from 'typeorm';
import { apacheEnv, idpId, issuerDn } from '../../libs/x509/src';
import { GrantTimelineProjector } from '../../apps/worker/src/grant-timeline';
import { TestPki } from '../support/pki';
import { startTestRegistry, type TestRegistry } from '../support/registry';
import { until } from '../support/wait';
import type { FollowedIdentity, GrantInterval } from '../support/api-types';

const CLI = join(process.cwd(), 'dist', 'apps', 'cli', 'src', 'main.js');

const localMapping = (names: string[]) => [
  {
    local: [{ user: { name: '{0}', domain: { id: 'default' }, type: 'local' } }],
    remote: [{ type: 'SSL_CLIENT_S_DN_CN' }, { type: 'SSL_CLIENT_S_DN_CN', any_one_of: names }],
  },
];

async function snapshot(ds: DataSource) {
  return {
    identities: await ds.query('SELECT * FROM audit_identities ORDER BY id'),
    named: await ds.query('SELECT * FROM audit_named_identities ORDER BY id'),
    intervals: await ds.query('SELECT * FROM grant_intervals ORDER BY identity_id, target_type, target_id, from_position'),
  };
}

const headOf = async (ds: DataSource) => Number((await ds.query('SELECT coalesce(max(position), 0) AS p FROM events'))[0].p);

describe('grant timeline', () => {
  const pki = new TestPki();
  let reg: TestRegistry;
  let ada: string;
  let bob: string;
  let projector: GrantTimelineProjector;

  const must = async (method: string, path: string, body?: unknown, headers?: Record<string, string>) => {
    const res = await reg.call(method, path, body, headers);
    assert.ok(res.status < 300, `${method} ${path}: ${res.status} ${JSON.stringify(res.body)}`);
    await projector.catchUp();
    return res;
  };

  before(async () => {
    pki.ca('ca', '/O=Example/CN=Timeline CA');
    ada = pki.pem(pki.client('ada', '/O=Example/CN=ada', 'ca'));
    bob = pki.pem(pki.client('bob', '/O=Example/CN=bob', 'ca'));
    reg = await startTestRegistry();
    projector = new GrantTimelineProjector(reg.registry.dataSource, 3);
  });

  after(async () => {
    await reg?.stop();
  });

  test('tracked identities: PEM or SSL_CLIENT_* env, recorded as events; bad input refused', async () => {
    const tracked = await must('POST', '/v1/audit/identities', { certificate: ada, label: 'ada' });
    assert.equal(tracked.status, 201);
    assert.equal(tracked.body.identity.subject, 'CN=ada,O=Example');
    assert.equal(tracked.body.identity.env.SSL_CLIENT_CERT, undefined);
    const again = await reg.call('POST', '/v1/audit/identities', { certificate: ada });
    assert.equal(again.status, 409);
    assert.equal(again.body.error.reason, 'identity_already_tracked');
    const cases: [unknown, string][] = [
      [{}, 'identity_input_invalid'],
      [{ certificate: 'not a pem' }, 'certificate_not_pem'],
      [{ env: { SSL_CLIENT_S_DN: 'CN=x' } }, 'identity_incomplete'],
      [{ env: { PATH: '/bin', SSL_CLIENT_S_DN: 'CN=x', SSL_CLIENT_I_DN: 'CN=y' } }, 'identity_env_invalid'],
    ];
    for (const [body, reason] of cases) {
      const res = await reg.call('POST', '/v1/audit/identities', body);
      assert.equal(res.status, 400, JSON.stringify(res.body));
      assert.equal(res.body.error.reason, reason);
    }
    const anonymous = await fetch(`${reg.url}/v1/audit/grants?identity=x`);
    assert.equal(anonymous.status, 401);
    const events = await reg.registry.dataSource.query(`SELECT type FROM events WHERE stream_id LIKE 'tracked_identity:%'`);
    assert.deepEqual(events, [{ type: 'IdentityTracked' }]);
  });

  test('a history of changes yields intervals opened and closed by the deciding events', async () => {
    const issuer = issuerDn(ada, 'apache');
    const idp = idpId(ada, 'apache');
    await must('PUT', '/v1/tokenless', { trusted_issuer: [issuer], protocol: 'x509', issuer_attribute: 'SSL_CLIENT_I_DN' });
    await must('PUT', `/v3/OS-FEDERATION/identity_providers/${idp}`, { identity_provider: { domain_id: 'default' } });
    await must('PUT', '/v3/OS-FEDERATION/mappings/m', { mapping: { rules: localMapping(['ada']) } });
    const setup = await must('PUT', `/v3/OS-FEDERATION/identity_providers/${idp}/protocols/x509`, { protocol: { mapping_id: 'm' } });
    await must('POST', '/v3/projects', { project: { id: 'p-app', name: 'app', domain_id: 'default' } });
    await must('POST', '/v3/roles', { role: { id: 'r-reader', name: 'reader' } });
    await must('POST', '/v3/roles', { role: { id: 'r-admin', name: 'admin' } });
    await must('POST', '/v3/users', { user: { id: 'u-ada', name: 'ada', domain_id: 'default' } });
    await must('POST', '/v3/users', { user: { id: 'u-bob', name: 'bob', domain_id: 'default' } });
    await must('PUT', '/v3/projects/p-app/users/u-bob/roles/r-reader');
    const granted = await must('PUT', '/v3/projects/p-app/users/u-ada/roles/r-reader', undefined, { 'X-Change-Reason': 'joins app' });
    const widened = await must('PUT', '/v3/projects/p-app/users/u-ada/roles/r-admin');
    const disabled = await must('PATCH', '/v3/users/u-ada', { user: { enabled: false } }, { 'X-Change-Reason': 'leave' });
    const enabled = await must('PATCH', '/v3/users/u-ada', { user: { enabled: true } });
    const bobIn = await must('PATCH', '/v3/OS-FEDERATION/mappings/m', { mapping: { rules: localMapping(['ada', 'bob']) } });
    // bob is tracked only now, by his environment: his timeline still starts where he was first granted.
    await must('POST', '/v1/audit/identities', { env: apacheEnv(bob, { exportCertData: false }) });
    const bobOut = await must('PATCH', '/v3/OS-FEDERATION/mappings/m', { mapping: { rules: localMapping(['ada']) } });
    const pos = (r: { headers: Headers }) => Number(r.headers.get('x-registry-position'));

    const adaTimeline = await reg.call('GET', `/v1/audit/grants?issuer=${encodeURIComponent(issuer)}&subject=${encodeURIComponent('CN=ada,O=Example')}`);
    assert.equal(adaTimeline.status, 200, JSON.stringify(adaTimeline.body));
    assert.equal(adaTimeline.body.followed, true);
    // An identity nobody follows says so, rather than looking like one that held nothing.
    const stranger = await reg.call('GET', '/v1/audit/grants?identity=nobody-follows-this');
    assert.equal(stranger.status, 200);
    assert.equal(stranger.body.followed, false);
    assert.deepEqual(stranger.body.intervals, []);
    const brief = (adaTimeline.body.intervals as GrantInterval[]).map((i) => [
      i.project_id ?? `domain ${i.domain_id}`,
      i.roles.join('+'),
      i.opened_by.position,
      i.opened_by.type,
      i.closed_by?.position ?? null,
    ]);
    assert.deepEqual(brief, [
      ['p-app', 'reader', pos(granted), 'RoleGranted', pos(widened)],
      ['p-app', 'admin+reader', pos(widened), 'RoleGranted', pos(disabled)],
      ['p-app', 'admin+reader', pos(enabled), 'UserUpdated', null],
    ]);
    const first = adaTimeline.body.intervals[0];
    assert.equal(first.opened_by.reason, 'joins app');
    assert.equal(first.opened_by.actor, 'admin-token');
    assert.equal(adaTimeline.body.intervals[1].closed_by.reason, 'leave');
    assert.equal(adaTimeline.body.intervals[2].to, null);
    assert.match(first.from, /Z$/);

    const bobId = (await reg.call('GET', '/v1/audit/identities')).body.identities.find((i: FollowedIdentity) => i.subject === 'CN=bob,O=Example').id;
    const bobTimeline = await reg.call('GET', `/v1/audit/grants?identity=${bobId}`);
    assert.deepEqual(
      (bobTimeline.body.intervals as GrantInterval[]).map((i) => [i.project_id, i.roles, i.opened_by.position, i.closed_by?.position]),
      [['p-app', ['reader'], pos(bobIn), pos(bobOut)]],
    );

    // The mapping names CN=ada (and, while widened, CN=bob): those identities are followed too.
    const listed = await reg.call('GET', '/v1/audit/identities');
    assert.deepEqual(
      (listed.body.named_by_mappings as FollowedIdentity[]).map((n) => [n.subject, n.issuer, n.since_position]).sort(),
      [['CN=ada', issuer, pos(setup)], ['CN=bob', issuer, pos(bobIn)]],
    );
    const namedAda = (listed.body.named_by_mappings as FollowedIdentity[]).find((n) => n.subject === 'CN=ada');
    assert.ok(namedAda);
    const namedTimeline = await reg.call('GET', `/v1/audit/grants?identity=${namedAda.id}`);
    assert.deepEqual(
      (namedTimeline.body.intervals as GrantInterval[]).map((i) => [i.roles.join('+'), i.opened_by.position, i.closed_by?.position ?? null]),
      brief.map((b) => [b[1], b[2], b[4]]),
    );

    const holders = await reg.call('GET', `/v1/audit/holders?project=p-app&role=admin&from=${encodeURIComponent(first.from)}`);
    const byPosition = (a: [string, number], b: [string, number]) => a[0].localeCompare(b[0]) || a[1] - b[1];
    assert.deepEqual((holders.body.holders as GrantInterval[]).map((h): [string, number] => [h.identity.subject, h.opened_by.position]).sort(byPosition), [
      ['CN=ada', pos(widened)],
      ['CN=ada', pos(enabled)],
      ['CN=ada,O=Example', pos(widened)],
      ['CN=ada,O=Example', pos(enabled)],
    ]);
    const noWindow = await reg.call('GET', '/v1/audit/holders?project=p-app&from=2000-01-01T00:00:00Z&to=2000-02-01T00:00:00Z');
    assert.deepEqual(noWindow.body.holders, []);
    const badTime = await reg.call('GET', '/v1/audit/holders?project=p-app&from=yesterday');
    assert.equal(badTime.body.error.reason, 'invalid_time');
    assert.equal((await reg.call('GET', '/v1/audit/holders')).body.error.reason, 'target_required');
  });

  test('rebuilt from position 0 in one pass, the timeline equals the incrementally built one', async () => {
    const ds = reg.registry.dataSource;
    const incremental = await snapshot(ds);
    assert.ok(incremental.intervals.length >= 4);
    const rebuild = new GrantTimelineProjector(ds, 1000);
    await rebuild.reset();
    assert.equal(await rebuild.catchUp(), await headOf(ds));
    assert.deepEqual(await snapshot(ds), incremental);
  });

  test('worker processes killed at random moments resume; a standby takes over; the result equals a rebuild', async () => {
    const ds = reg.registry.dataSource;
    await projector.reset();
    const start = () =>
      spawn(process.execPath, [CLI, 'worker'], {
        env: { ...process.env, DATABASE_URL: reg.db.url, POLL_INTERVAL_MS: '20', LOG_LEVEL: 'silent' },
        stdio: 'ignore',
      });
    const workers: ChildProcess[] = [];
    try {
      const writes = (async () => {
        for (let i = 0; i < 20; i++) {
          const res = await reg.call('PUT', `/v3/projects/p-app/users/u-ada/roles/r-${i % 2 ? 'admin' : 'reader'}`);
          assert.ok(res.status < 300);
          const off = await reg.call('DELETE', `/v3/projects/p-app/users/u-ada/roles/r-${i % 2 ? 'admin' : 'reader'}`);
          assert.equal(off.status, 204);
        }
      })();
      for (let round = 0; round < 4; round++) {
        const pair = [start(), start()];
        workers.push(...pair);
        await new Promise((r) => setTimeout(r, 200 + Math.random() * 400));
        // Kill one of the two; the other (leader or standby) carries on until the next round.
        for (const w of pair) {
          w.kill('SIGKILL');
          await new Promise((r) => w.once('exit', r));
        }
      }
      await writes;
      const leader = start();
      const standby = start();
      workers.push(leader, standby);
      const head = await headOf(ds);
      const reached = async () =>
        Number((await ds.query(`SELECT coalesce(max(position), 0) AS p FROM checkpoints WHERE name = 'grant_timeline'`))[0].p) >= head;
      await until(reached, 30_000);
      // Whoever led goes away; the standby takes the lock and follows new events.
      leader.kill('SIGKILL');
      await new Promise((r) => leader.once('exit', r));
      await reg.call('PUT', '/v3/projects/p-app/users/u-ada/roles/r-reader');
      const newHead = await headOf(ds);
      await until(async () => {
        const rows = await ds.query(`SELECT position FROM checkpoints WHERE name = 'grant_timeline'`);
        return Number(rows[0].position) >= newHead;
      }, 30_000);
      standby.kill('SIGKILL');
      await new Promise((r) => standby.once('exit', r));
      const fromWorkers = await snapshot(ds);
      const rebuild = new GrantTimelineProjector(ds, 1000);
      await rebuild.reset();
      await rebuild.catchUp();
      assert.deepEqual(await snapshot(ds), fromWorkers);
    } finally {
      for (const w of workers) w.kill('SIGKILL');
    }
  });
});
