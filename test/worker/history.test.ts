import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { startTestRegistry } from '../support/registry';
import { databaseMode } from '../support/db';
import { until } from '../support/wait';
import { startWorker } from '../../apps/worker/src/worker';
import { LOCKS } from '../../libs/store/src';

const CLI = join(process.cwd(), 'dist', 'apps', 'cli', 'src', 'main.js');

function startWorkerProcess(databaseUrl: string): ChildProcess {
  return spawn(process.execPath, [CLI, 'worker'], {
    env: { ...process.env, DATABASE_URL: databaseUrl, POLL_INTERVAL_MS: '20', LOG_LEVEL: 'silent' },
    stdio: 'ignore',
  });
}

describe('history worker', () => {
  test('serves who changed what, with reason and diff, from GET /v1/history', async () => {
    const reg = await startTestRegistry({ withWorker: true });
    try {
      await reg.call('POST', '/v3/domains', { domain: { id: 'd-acme', name: 'acme' } }, { 'X-Change-Reason': 'onboarding ACME' });
      const patched = await reg.call('PATCH', '/v3/domains/d-acme', { domain: { enabled: false } });
      const position = Number(patched.headers.get('x-registry-position'));
      await until(async () => {
        const h = await reg.call('GET', '/v1/history/domain/d-acme');
        return h.body.projected_through >= position;
      }, 10_000);
      const h = await reg.call('GET', '/v1/history/domain/d-acme');
      assert.equal(h.status, 200);
      assert.deepEqual(h.body.history.map((e: any) => e.event_type), ['DomainCreated', 'DomainUpdated']);
      assert.equal(h.body.history[0].actor, 'admin-token');
      assert.equal(h.body.history[0].reason, 'onboarding ACME');
      assert.match(h.body.history[0].request_id, /^req-/);
      assert.deepEqual(h.body.history[1].changes, { enabled: { from: true, to: false } });
      assert.match(h.body.history[1].recorded_at, /Z$/);
    } finally {
      await reg.stop();
    }
  });

  test('killed at random moments and restarted, it resumes and writes each event exactly once', async () => {
    const reg = await startTestRegistry();
    let worker: ChildProcess | undefined;
    try {
      const writes = (async () => {
        for (let i = 0; i < 60; i++) {
          const res = await reg.call('POST', '/v3/projects', { project: { name: `p${i}` } });
          assert.equal(res.status, 201);
        }
      })();
      for (let round = 0; round < 5; round++) {
        worker = startWorkerProcess(reg.db.url);
        await new Promise((r) => setTimeout(r, 150 + Math.random() * 350));
        worker.kill('SIGKILL');
        await new Promise((r) => worker!.once('exit', r));
      }
      await writes;
      worker = startWorkerProcess(reg.db.url);
      const ds = reg.registry.dataSource;
      const head = Number((await ds.query('SELECT max(position) AS p FROM events'))[0].p);
      await until(async () => {
        const rows = await ds.query(`SELECT position FROM checkpoints WHERE name = 'change_history'`);
        return rows.length > 0 && Number(rows[0].position) === head;
      }, 20_000);
      const [counts] = await ds.query(
        `SELECT (SELECT count(*)::int FROM events) AS events,
                (SELECT count(*)::int FROM change_history) AS rows,
                (SELECT count(DISTINCT position)::int FROM change_history) AS distinct_rows`,
      );
      assert.equal(counts.rows, counts.events);
      assert.equal(counts.distinct_rows, counts.events);
      const missing = await ds.query(
        'SELECT e.position FROM events e LEFT JOIN change_history h USING (position) WHERE h.position IS NULL',
      );
      assert.deepEqual(missing, []);
    } finally {
      worker?.kill('SIGKILL');
      await reg.stop();
    }
  });
});

describe('worker sessions', () => {
  test('a worker whose database session is killed stops leading, and the log is still followed', async (t) => {
    const reg = await startTestRegistry();
    const ds = reg.registry.dataSource;
    if ((await databaseMode()) !== 'server') {
      t.skip('needs a PostgreSQL server');
      await reg.stop();
      return;
    }
    const log = () => undefined;
    const a = await startWorker({ dataSource: ds, listenUrl: reg.db.url, pollIntervalMs: 50, log });
    const b = await startWorker({ dataSource: ds, listenUrl: reg.db.url, pollIntervalMs: 50, log });
    const leaders = () => [a, b].filter((w) => w.isLeader()).length;
    const lockHolder = async () =>
      (await ds.query(`SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND objid = $1 AND granted`, [LOCKS.historyWorker])) as {
        pid: number;
      }[];
    let bothLed = false;
    const watch = setInterval(() => {
      if (leaders() > 1) bothLed = true;
    }, 5);
    try {
      await until(async () => leaders() === 1, 10_000);
      for (let round = 0; round < 3; round++) {
        const [holder] = await lockHolder();
        assert.ok(holder, 'the leader holds the lock');
        await ds.query('SELECT pg_terminate_backend($1)', [holder.pid]);
        // Whoever leads next holds the lock in a live session, and follows what is written meanwhile.
        const res = await reg.call('POST', '/v3/projects', { project: { name: `after-kill-${round}` } });
        const position = Number(res.headers.get('x-registry-position'));
        await until(async () => {
          const rows = await ds.query(`SELECT position FROM checkpoints WHERE name = 'change_history'`);
          return rows.length > 0 && Number(rows[0].position) >= position && leaders() === 1;
        }, 15_000);
        const holders = await lockHolder();
        assert.equal(holders.length, 1);
        assert.notEqual(holders[0].pid, holder.pid);
      }
      assert.equal(bothLed, false, 'never two leaders at once');
    } finally {
      clearInterval(watch);
      await a.stop();
      await b.stop();
      await reg.stop();
    }
  });
});
