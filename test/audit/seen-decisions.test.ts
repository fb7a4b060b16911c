import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { Client } from 'pg';
import { GrantTimelineProjector } from '../../apps/worker/src/grant-timeline';
import { SeenDecisionsService } from '../../apps/api/src/registry/seen-decisions.service';
import { configFromEnv } from '../../apps/api/src/config';
import { startTestRegistry, type TestRegistry } from '../support/registry';
import type { GrantInterval, ReadyAnswer, SeenRow } from '../support/api-types';

const ISSUER = 'CN=Seen CA,O=Example';
const OTHER_ISSUER = 'CN=Stranger CA,O=Example';
const ADA = 'CN=ada,O=Example';
const APP = { 'X-Project-Name': 'app', 'X-Project-Domain-Id': 'default' };

const envOf = (cn: string, issuer = ISSUER) => ({
  SSL_CLIENT_I_DN: issuer,
  SSL_CLIENT_S_DN: `CN=${cn},O=Example`,
  SSL_CLIENT_S_DN_CN: cn,
  SSL_CLIENT_S_DN_O: 'Example',
  SSL_CLIENT_CERT: '-----BEGIN CERTIFICATE-----\nnot kept\n-----END CERTIFICATE-----',
  HTTP_X_AUTH_TOKEN: 'never kept',
});

const seenService = (reg: TestRegistry) => reg.registry.app.get(SeenDecisionsService);
const rename = (reg: TestRegistry, from: string, to: string) =>
  reg.registry.dataSource.query(`ALTER TABLE ${from} RENAME TO ${to}`);

describe('decisions authorize has seen', () => {
  let reg: TestRegistry;
  const authorize = (env: Record<string, string>, headers: Record<string, string> = APP, extra: Record<string, unknown> = {}) =>
    reg.call('POST', '/v1/authorize', { env, headers, ...extra });
  const must = async (method: string, path: string, body?: unknown) => {
    const res = await reg.call(method, path, body);
    assert.ok(res.status < 300, `${method} ${path}: ${res.status} ${JSON.stringify(res.body)}`);
    return res;
  };
  const seen = async (query = '') => {
    const res = await reg.call('GET', `/v1/audit/seen${query}`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body.seen as SeenRow[];
  };

  before(async () => {
    // Written only when the test says so (or when a batch fills), so every assertion sees a known buffer.
    reg = await startTestRegistry({ env: { AUDIT_FLUSH_MS: '600000', TRUSTED_PROXIES: 'loopback' } });
    await must('PUT', '/v1/tokenless', { trusted_issuer: [ISSUER], protocol: 'x509', issuer_attribute: 'SSL_CLIENT_I_DN' });
    const idpId = createHash('sha256').update(ISSUER).digest('hex');
    await must('PUT', `/v3/OS-FEDERATION/identity_providers/${idpId}`, { identity_provider: { domain_id: 'default' } });
    await must('PUT', '/v3/OS-FEDERATION/mappings/m', {
      mapping: { rules: [{ local: [{ user: { name: '{0}', domain: { id: 'default' }, type: 'local' } }], remote: [{ type: 'SSL_CLIENT_S_DN_CN' }] }] },
    });
    await must('PUT', `/v3/OS-FEDERATION/identity_providers/${idpId}/protocols/x509`, { protocol: { mapping_id: 'm' } });
    await must('POST', '/v3/projects', { project: { id: 'p-app', name: 'app', domain_id: 'default' } });
    await must('POST', '/v3/roles', { role: { id: 'r-reader', name: 'reader' } });
    await must('POST', '/v3/users', { user: { id: 'u-ada', name: 'ada', domain_id: 'default' } });
    await must('PUT', '/v3/projects/p-app/users/u-ada/roles/r-reader');
  });

  after(async () => {
    await reg?.stop();
  });

  test('AUDIT_* settings: open by default, closed on request, anything else refused', () => {
    assert.deepEqual(configFromEnv({}).audit, { failMode: 'open', flushMs: 1000, flushRows: 1000, bufferRows: 10_000 });
    assert.equal(configFromEnv({ AUDIT_FAIL_MODE: 'closed' }).audit.failMode, 'closed');
    assert.equal(configFromEnv({ AUDIT_FLUSH_ROWS: '50', AUDIT_BUFFER_ROWS: '20' }).audit.flushRows, 20);
    assert.throws(() => configFromEnv({ AUDIT_FAIL_MODE: 'maybe' }), /AUDIT_FAIL_MODE/);
    assert.throws(() => configFromEnv({ AUDIT_BUFFER_ROWS: '0' }), /AUDIT_BUFFER_ROWS/);
  });

  test('decisions are aggregated per identity, scope, outcome and roles, with first and last seen and a count', async () => {
    const before = new Date().toISOString();
    for (let i = 0; i < 3; i++) assert.equal((await authorize(envOf('ada'))).status, 200);
    assert.equal((await authorize(envOf('ada', OTHER_ISSUER))).status, 401);
    assert.equal((await authorize(envOf('ada', OTHER_ISSUER))).status, 401);
    // Refused before the scope resolved: the scope as requested, or none.
    assert.equal((await authorize(envOf('ada'), { 'x-project-domain-id': 'default', 'X-Project-Name': 'nowhere' })).status, 401);
    assert.equal((await authorize(envOf('ada'), {})).status, 400);
    // Point-in-time answers are not decisions about now: not recorded.
    const past = await authorize(envOf('ada'), APP, { at_position: 1 });
    assert.ok(past.body.as_of, JSON.stringify(past.body));
    // Forward-auth behind a trusted proxy, whose headers carry no full subject DN: recorded as they are.
    const gateway = await fetch(`${reg.url}/v1/authorize`, {
      headers: { 'X-SSL-Issuer': ISSUER, 'X-SSL-Client-CN': 'ada', 'X-SSL-Client-O': 'Example', 'X-Project-Id': 'p-app' },
    });
    assert.equal(gateway.status, 200);
    // Nothing is written on the request path.
    assert.deepEqual(await seen(), []);
    await seenService(reg).flush();

    const rows = await seen();
    const brief = rows
      .map((r) => [r.identity.issuer, r.identity.subject, r.project_id ?? r.domain_id ?? r.requested_scope, r.outcome, r.reason, r.roles, r.count])
      .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
    assert.deepEqual(brief, [
      [ISSUER, '', 'p-app', 'granted', null, ['reader'], 1],
      [ISSUER, ADA, 'p-app', 'granted', null, ['reader'], 3],
      [ISSUER, ADA, { 'X-Project-Name': 'nowhere', 'X-Project-Domain-Id': 'default' }, 'refused', 'scope_invalid', [], 1],
      [ISSUER, ADA, {}, 'refused', 'scope_missing', [], 1],
      [OTHER_ISSUER, ADA, { 'X-Project-Name': 'app', 'X-Project-Domain-Id': 'default' }, 'refused', 'untrusted_issuer', [], 2],
    ]);
    const granted = rows.find((r) => r.identity.subject === ADA && r.outcome === 'granted');
    assert.ok(granted);
    assert.ok(granted.first_seen >= before && granted.first_seen <= granted.last_seen, JSON.stringify(granted));
    assert.match(granted.identity.id, /^[0-9a-f]{64}$/);

    // A later batch adds to the same row: the count grows, first_seen stays, last_seen moves on.
    await new Promise((r) => setTimeout(r, 5));
    assert.equal((await authorize(envOf('ada'))).status, 200);
    await seenService(reg).flush();
    const again = (await seen(`?issuer=${encodeURIComponent(ISSUER)}&subject=${encodeURIComponent(ADA)}&outcome=granted`))[0];
    assert.equal(again.count, 4);
    assert.equal(again.first_seen, granted.first_seen);
    assert.ok(again.last_seen > granted.last_seen);

    // Only identities whose issuer was trusted are kept for the timeline, with their SSL_CLIENT_* attributes and no more.
    const identities = await reg.registry.dataSource.query('SELECT issuer_dn, subject_dn, env FROM audit_seen_identities');
    assert.deepEqual(identities, [
      {
        issuer_dn: ISSUER,
        subject_dn: ADA,
        env: { SSL_CLIENT_I_DN: ISSUER, SSL_CLIENT_S_DN: ADA, SSL_CLIENT_S_DN_CN: 'ada', SSL_CLIENT_S_DN_O: 'Example' },
      },
    ]);

    const ready = await fetch(`${reg.url}/ready`);
    assert.equal(ready.status, 200);
    const audit = ((await ready.json()) as ReadyAnswer).audit;
    assert.deepEqual(audit, { fail_mode: 'open', recording: true, buffered_rows: 0, recorded: 9, dropped: 0 });
  });

  test('GET /v1/audit/seen filters by identity, outcome or reason and time, and needs the auditor role', async () => {
    assert.deepEqual((await seen('?outcome=untrusted_issuer')).map((r) => r.identity.issuer), [OTHER_ISSUER]);
    assert.equal((await seen('?outcome=refused')).length, 3);
    assert.equal((await seen(`?issuer=${encodeURIComponent(OTHER_ISSUER)}`)).length, 1);
    assert.equal((await seen(`?subject=${encodeURIComponent(ADA)}`)).length, 4);
    assert.deepEqual(await seen('?from=2999-01-01T00:00:00Z'), []);
    assert.deepEqual(await seen('?to=2000-01-01T00:00:00Z'), []);
    assert.equal((await seen(`?from=2000-01-01T00:00:00Z&to=${encodeURIComponent(new Date().toISOString())}`)).length, 5);
    const page = await reg.call('GET', '/v1/audit/seen?limit=2');
    assert.equal(page.body.seen.length, 2);
    assert.equal(page.body.truncated, true);
    assert.ok(page.body.seen[0].last_seen >= page.body.seen[1].last_seen);
    for (const [query, reason] of [
      ['?outcome=DROP', 'invalid_outcome'],
      ['?limit=0', 'invalid_limit'],
      ['?from=yesterday', 'invalid_time'],
    ]) {
      const res = await reg.call('GET', `/v1/audit/seen${query}`);
      assert.equal(res.status, 400);
      assert.equal(res.body.error.reason, reason);
    }
    assert.equal((await fetch(`${reg.url}/v1/audit/seen`)).status, 401);
    const reader = await must('POST', '/v1/tokens', { token: { name: 'seen-reader', role: 'reader' } });
    const asReader = await fetch(`${reg.url}/v1/audit/seen`, { headers: { 'X-Auth-Token': reader.body.token.secret } });
    assert.equal(asReader.status, 403);
  });

  test('the grant timeline follows identities authorize has seen', async () => {
    const ds = reg.registry.dataSource;
    const projector = new GrantTimelineProjector(ds, 500, 0);
    await projector.catchUp();
    const grants = async () => {
      const res = await reg.call('GET', `/v1/audit/grants?issuer=${encodeURIComponent(ISSUER)}&subject=${encodeURIComponent(ADA)}`);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      return (res.body.intervals as GrantInterval[]).map((i) => [i.project_id, i.roles, i.opened_by.type, i.closed_by?.type ?? null]);
    };
    assert.deepEqual(await grants(), [['p-app', ['reader'], 'RoleGranted', null]]);
    assert.deepEqual(await ds.query(`SELECT source, subject_dn FROM audit_identities`), [{ source: 'seen', subject_dn: ADA }]);

    // Followed from then on like any other identity.
    await must('DELETE', '/v3/projects/p-app/users/u-ada/roles/r-reader');
    await projector.catchUp();
    assert.deepEqual(await grants(), [['p-app', ['reader'], 'RoleGranted', 'RoleRevoked']]);

    // A rebuild from position 0 gives the same intervals.
    const intervals = 'SELECT * FROM grant_intervals ORDER BY identity_id, target_type, target_id, from_position';
    const incremental = await ds.query(intervals);
    const rebuild = new GrantTimelineProjector(ds, 1000, 0);
    await rebuild.reset();
    await rebuild.catchUp();
    assert.deepEqual(await ds.query(intervals), incremental);
    await must('PUT', '/v3/projects/p-app/users/u-ada/roles/r-reader');
  });

  test('an export made before a seen identity joined the timeline still verifies; the next one after an event has it', async () => {
    const ds = reg.registry.dataSource;
    const projector = new GrantTimelineProjector(ds, 500, 0);
    await must('POST', '/v3/users', { user: { id: 'u-dan', name: 'dan', domain_id: 'default' } });
    await must('PUT', '/v3/projects/p-app/users/u-dan/roles/r-reader');
    await projector.catchUp();
    assert.equal((await authorize(envOf('dan'))).status, 200);
    await seenService(reg).flush();
    const exported = async () => {
      const res = await fetch(`${reg.url}/v1/audit/export?format=jsonl`, { headers: { 'X-Auth-Token': 'test-admin-token' } });
      assert.equal(res.status, 200);
      return res.text();
    };
    const before = await exported();
    await projector.catchUp();
    const grants = await reg.call('GET', `/v1/audit/grants?issuer=${encodeURIComponent(ISSUER)}&subject=${encodeURIComponent('CN=dan,O=Example')}`);
    assert.deepEqual((grants.body.intervals as GrantInterval[]).map((i) => [i.project_id, i.roles]), [['p-app', ['reader']]]);
    assert.equal(await exported(), before, 'the same plan gives the same bytes');
    assert.ok(!before.includes('CN=dan,O=Example'));
    await must('PATCH', '/v3/projects/p-app', { project: { description: 'moved on' } });
    await projector.catchUp();
    assert.ok((await exported()).includes('CN=dan,O=Example'));
  });

  test('open mode: while decisions cannot be written authorize keeps answering, keeps what fits and counts the rest', async () => {
    const service = seenService(reg);
    const recordedBefore = service.status().recorded;
    await rename(reg, 'audit_seen_decisions', 'audit_seen_decisions_away');
    try {
      // No such local user: a refusal after the issuer was trusted.
      assert.equal((await authorize(envOf('open-1'))).status, 404);
      await service.flush();
      assert.equal(service.status().recording, false);
      assert.equal((await authorize(envOf('open-1'))).status, 404);
      assert.equal((await authorize(envOf('open-2'))).status, 404);
      const ready = await fetch(`${reg.url}/ready`);
      assert.equal(ready.status, 200, 'open mode stays ready');
      const audit = ((await ready.json()) as ReadyAnswer).audit;
      assert.equal(audit.recording, false);
      assert.equal(audit.buffered_rows, 2);
    } finally {
      await rename(reg, 'audit_seen_decisions_away', 'audit_seen_decisions');
    }
    await service.flush();
    assert.equal(service.status().recording, true);
    assert.equal(service.status().recorded, recordedBefore + 3);
    const counts = (await seen('?outcome=refused')).filter((r) => /open-/.test(r.identity.subject));
    assert.deepEqual(counts.map((r) => [r.identity.subject, r.count]).sort(), [
      ['CN=open-1,O=Example', 2],
      ['CN=open-2,O=Example', 1],
    ]);
  });
});

describe('decisions that cannot be recorded', () => {
  test('AUDIT_FAIL_MODE=open: a full buffer drops decisions, counts them, and authorize still answers', async () => {
    const reg = await startTestRegistry({ env: { AUDIT_FLUSH_MS: '600000', AUDIT_BUFFER_ROWS: '2' } });
    try {
      const service = seenService(reg);
      const authorize = (cn: string) => reg.call('POST', '/v1/authorize', { env: envOf(cn), headers: APP });
      await rename(reg, 'audit_seen_decisions', 'audit_seen_decisions_away');
      assert.equal((await authorize('s1')).status, 401);
      assert.equal((await authorize('s2')).status, 401);
      await service.flush(); // fails: both rows are kept, and the buffer is full
      for (const cn of ['s3', 's4', 's1']) assert.equal((await authorize(cn)).status, 401);
      const ready = await fetch(`${reg.url}/ready`);
      assert.equal(ready.status, 200);
      const audit = ((await ready.json()) as ReadyAnswer).audit;
      assert.deepEqual(audit, { fail_mode: 'open', recording: false, buffered_rows: 2, recorded: 0, dropped: 2 });
      await rename(reg, 'audit_seen_decisions_away', 'audit_seen_decisions');
      await service.flush();
      const rows = await reg.registry.dataSource.query('SELECT subject_dn, count FROM audit_seen_decisions ORDER BY subject_dn');
      assert.deepEqual(rows, [
        { subject_dn: 'CN=s1,O=Example', count: '2' },
        { subject_dn: 'CN=s2,O=Example', count: '1' },
      ]);
      assert.equal(service.status().dropped, 2);
      assert.equal(service.status().recording, true);
    } finally {
      await reg.stop();
    }
  });

  test('AUDIT_FAIL_MODE=closed: authorize answers 503 audit_unavailable until a write succeeds again', async () => {
    const reg = await startTestRegistry({
      env: { AUDIT_FAIL_MODE: 'closed', AUDIT_FLUSH_MS: '600000', TRUSTED_PROXIES: 'loopback' },
    });
    try {
      const service = seenService(reg);
      const authorize = (cn: string, extra: Record<string, unknown> = {}) =>
        reg.call('POST', '/v1/authorize', { env: envOf(cn), headers: APP, ...extra });
      const gateway = () => fetch(`${reg.url}/v1/authorize`, { headers: { 'X-SSL-Issuer': ISSUER, 'X-SSL-Client-CN': 'gw' } });
      assert.equal((await authorize('c1')).status, 401);
      await rename(reg, 'audit_seen_decisions', 'audit_seen_decisions_away');
      assert.equal((await authorize('c2')).status, 401, 'answered: the write has not failed yet');
      await service.flush();

      const refused = await authorize('c1');
      assert.equal(refused.status, 503);
      assert.equal(refused.body.error.reason, 'audit_unavailable');
      assert.equal(refused.headers.get('retry-after'), '1');
      const forward = await gateway();
      assert.equal(forward.status, 503);
      assert.equal(forward.headers.get('x-auth-refused-reason'), 'audit_unavailable');
      const ready = await fetch(`${reg.url}/ready`);
      assert.equal(ready.status, 503);
      assert.equal(((await ready.json()) as ReadyAnswer).status, 'audit_unavailable');
      // Point-in-time answers are not recorded, so they do not depend on it.
      assert.equal((await authorize('c1', { at_position: 0 })).status, 401);

      await rename(reg, 'audit_seen_decisions_away', 'audit_seen_decisions');
      await service.flush();
      assert.equal((await authorize('c1')).status, 401);
      assert.equal((await gateway()).status, 401);
      assert.equal((await fetch(`${reg.url}/ready`)).status, 200);
      await service.flush();
      // Nothing answered was lost; what was refused was not recorded.
      const rows = await reg.registry.dataSource.query(
        `SELECT subject_dn, count FROM audit_seen_decisions ORDER BY subject_dn`,
      );
      assert.deepEqual(rows, [
        { subject_dn: '', count: '1' },
        { subject_dn: 'CN=c1,O=Example', count: '2' },
        { subject_dn: 'CN=c2,O=Example', count: '1' },
      ]);
    } finally {
      await reg.stop();
    }
  });

  test('what is still buffered is written when the registry shuts down', async () => {
    const reg = await startTestRegistry({ env: { AUDIT_FLUSH_MS: '600000' } });
    try {
      for (let i = 0; i < 3; i++) {
        assert.equal((await reg.call('POST', '/v1/authorize', { env: envOf('late'), headers: APP })).status, 401);
      }
      await reg.registry.close();
      const client = new Client({ connectionString: reg.db.url });
      await client.connect();
      try {
        const { rows } = await client.query('SELECT subject_dn, reason, count FROM audit_seen_decisions');
        assert.deepEqual(rows, [{ subject_dn: 'CN=late,O=Example', reason: 'no_trusted_issuers', count: '3' }]);
      } finally {
        await client.end();
      }
    } finally {
      await reg.db.drop();
    }
  });
});
