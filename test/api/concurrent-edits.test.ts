import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startRegistry, type RunningRegistry } from '../../apps/api/src/app';
import { configFromEnv } from '../../apps/api/src/config';
import { onServer } from '../support/db';
import { ADMIN_TOKEN, startTestRegistry, type Answer, type TestRegistry } from '../support/registry';
import type { LoggedEvent } from '../support/api-types';

const ROUNDS = 40;

/**
 * Two writers edit the same project round after round. Each writer talks to
 * its own registry process on the same database (on a PostgreSQL server;
 * on the embedded database both use the one process), so the writes really
 * race. Nothing may be lost; with If-Match every stale write is refused.
 */
describe('two writers, same resource, many rounds', () => {
  let reg: TestRegistry;
  let second: RunningRegistry | undefined;
  let urls: [string, string];

  before(async () => {
    reg = await startTestRegistry();
    if (await onServer()) {
      second = await startRegistry({
        ...configFromEnv({}),
        databaseUrl: reg.db.url,
        port: 0,
        adminToken: ADMIN_TOKEN,
        logLevel: 'silent',
        pollIntervalMs: 50,
      });
    }
    urls = [reg.url, second?.url ?? reg.url];
  });
  after(async () => {
    await second?.close();
    await reg?.stop();
  });

  const call = async (base: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> => {
    const res = await fetch(base + path, {
      method,
      headers: { 'X-Auth-Token': ADMIN_TOKEN, ...(body ? { 'Content-Type': 'application/json' } : {}), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : null };
  };

  const newProject = async (name: string) => {
    const res = await reg.call('POST', '/v3/projects', { project: { name, domain_id: 'default' } });
    assert.equal(res.status, 201);
    assert.equal(res.headers.get('etag'), '"1"');
    return res.body.project.id as string;
  };

  /** The other registry process follows the log; wait until it has the project. */
  const seenBy = async (base: string, id: string) => {
    for (let i = 0; i < 200; i++) {
      if ((await call(base, 'GET', `/v3/projects/${id}`)).status === 200) return;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`${base} never saw project ${id}`);
  };

  const streamEvents = async (stream: string) => {
    const all: LoggedEvent[] = [];
    for (let after = 0; ; ) {
      const page = await reg.call('GET', `/v1/events?after=${after}&limit=1000`);
      all.push(...page.body.events);
      if (page.body.events.length < 1000) break;
      after = page.body.next_after;
    }
    return all.filter((e) => e.stream === stream);
  };

  test('without If-Match: every write is applied, serialized per stream, none lost', async () => {
    const id = await newProject('race-plain');
    await seenBy(urls[1], id);
    const writer = async (w: 'a' | 'b', base: string) => {
      for (let i = 0; i < ROUNDS; i++) {
        // Each write adds its own attribute: a lost update would drop one.
        const res = await call(base, 'PATCH', `/v3/projects/${id}`, { project: { [`${w}${i}`]: i, description: `${w}${i}` } });
        assert.equal(res.status, 200, JSON.stringify(res.body));
      }
    };
    await Promise.all([writer('a', urls[0]), writer('b', urls[1])]);

    // The first process follows the second's writes from the log; wait until it has them all.
    let final = await reg.call('GET', `/v3/projects/${id}`);
    for (let i = 0; i < 200 && final.headers.get('etag') !== `"${1 + 2 * ROUNDS}"`; i++) {
      await new Promise((r) => setTimeout(r, 25));
      final = await reg.call('GET', `/v3/projects/${id}`);
    }
    for (let i = 0; i < ROUNDS; i++) {
      assert.equal(final.body.project[`a${i}`], i);
      assert.equal(final.body.project[`b${i}`], i);
    }
    assert.equal(final.headers.get('etag'), `"${1 + 2 * ROUNDS}"`);
    const events = await streamEvents(`project:${id}`);
    assert.equal(events.length, 1 + 2 * ROUNDS);
    assert.deepEqual(events.map((e) => e.version), Array.from({ length: 1 + 2 * ROUNDS }, (_, i) => i + 1));
    // Each update's "previous" is what the one before it left: the writes were applied one after another.
    for (let k = 2; k < events.length; k++) {
      assert.equal(events[k].data.previous?.description, events[k - 1].data.changes?.description);
    }
  });

  test('with If-Match: stale versions are refused with 412, every success is based on the version it saw', async () => {
    const id = await newProject('race-if-match');
    await seenBy(urls[1], id);
    let conflicts = 0;
    const successes: { ifMatch: number; position: number }[] = [];
    const writer = async (w: 'a' | 'b', base: string) => {
      for (let i = 0; i < ROUNDS; ) {
        const seen = await call(base, 'GET', `/v3/projects/${id}`);
        assert.equal(seen.status, 200);
        const etag = seen.headers.get('etag')!;
        const res = await call(base, 'PATCH', `/v3/projects/${id}`, { project: { [`${w}${i}`]: i } }, { 'If-Match': etag });
        if (res.status === 412) {
          conflicts++;
          assert.equal(res.body.error.code, 412);
          assert.equal(res.body.error.title, 'Precondition Failed');
          assert.equal(res.body.error.reason, 'version_mismatch');
          assert.match(res.body.error.message, new RegExp(`^Version mismatch on project:${id}: expected \\d+, current \\d+\\.$`));
          continue;
        }
        assert.equal(res.status, 200, JSON.stringify(res.body));
        successes.push({ ifMatch: Number(etag.replace(/"/g, '')), position: Number(res.headers.get('x-registry-position')) });
        i++;
      }
    };
    await Promise.all([writer('a', urls[0]), writer('b', urls[1])]);

    assert.equal(successes.length, 2 * ROUNDS);
    const events = await streamEvents(`project:${id}`);
    assert.equal(events.length, 1 + 2 * ROUNDS, 'a refused write records nothing');
    for (const s of successes) {
      const event = events.find((e) => e.position === s.position);
      assert.equal(event?.version, s.ifMatch + 1, 'each success is the next version after the one it saw');
    }
    assert.equal(new Set(successes.map((s) => s.ifMatch)).size, 2 * ROUNDS, 'no two successes were based on the same version');
    const final = await reg.call('GET', `/v3/projects/${id}`);
    for (let i = 0; i < ROUNDS; i++) assert.ok(`a${i}` in final.body.project && `b${i}` in final.body.project);
    // How many conflicts a run sees depends on timing; each one was checked above and retried.
    void conflicts;
  });

  test('If-Match on DELETE and PUT refuses a stale version and changes nothing', async () => {
    const id = await newProject('guarded');
    await reg.call('PATCH', `/v3/projects/${id}`, { project: { description: 'v2' } });
    const stale = await reg.call('DELETE', `/v3/projects/${id}`, undefined, { 'If-Match': '"1"' });
    assert.equal(stale.status, 412);
    assert.equal((await reg.call('GET', `/v3/projects/${id}`)).status, 200);
    const fresh = await reg.call('DELETE', `/v3/projects/${id}`, undefined, { 'If-Match': '"2"' });
    assert.equal(fresh.status, 204);

    const settings = await reg.call('GET', '/v1/tokenless');
    const version = Number(settings.headers.get('etag')!.replace(/"/g, ''));
    const put = (ifMatch: string, issuer: string) =>
      reg.call('PUT', '/v1/tokenless', { trusted_issuer: [issuer] }, { 'If-Match': ifMatch });
    assert.equal((await put(`"${version}"`, 'CN=First CA')).status, 200);
    const refused = await put(`"${version}"`, 'CN=Second CA');
    assert.equal(refused.status, 412);
    assert.deepEqual((await reg.call('GET', '/v1/tokenless')).body.trusted_issuer, ['CN=First CA']);
    const malformed = await put('"abc"', 'CN=Third CA');
    assert.equal(malformed.status, 400);
    assert.equal(malformed.body.error.reason, 'invalid_if_match');
  });
});
