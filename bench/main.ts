/**
 * `npm run bench`: the registry on a real PostgreSQL with a realistic
 * configuration, measured in one run against a bare Fastify endpoint on the
 * same machine. Prints one line per figure and writes a JSON report.
 *
 * BENCH_QUICK=1 shrinks every size and duration for a smoke run.
 * DATABASE_URL names the server (a fresh database is created on it and dropped afterwards).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { Client } from 'pg';
import { createDataSource, migrate, EventStore } from '../libs/store/src';
import type { LoadJob, LoadResult } from './load';
import { auditBench } from './audit';
import { Seeder, baseWorld, identityProviders, ids, projectEdits, type WorldSize } from './seed';

const QUICK = process.env.BENCH_QUICK === '1';
/** BENCH_ONLY=authorize stops after the authorize figures (for working on the hot path). */
const ONLY_AUTHORIZE = process.env.BENCH_ONLY === 'authorize';
const TOKEN = `bench-${randomBytes(8).toString('hex')}`;
const ROOT = resolve(__dirname, '..', '..');
const CLI = join(ROOT, 'dist', 'apps', 'cli', 'src', 'main.js');

const SIZE: WorldSize = QUICK
  ? { idps: 100, projects: 1_000, users: 200, groups: 100, assignments: 5_000 }
  : { idps: 1_000, projects: 10_000, users: 2_000, groups: 1_000, assignments: 50_000 };
const MAPPING_STEPS = QUICK ? [10, 100, 1_000] : [10, 1_000, 10_000];
const SECONDS = QUICK ? 1 : 3;
/**
 * Interleaved rounds of every authorize run and the baseline. Ratios are
 * taken within a round (runs seconds apart) and the median over rounds is
 * reported, so a machine that speeds up or slows down during the run moves
 * both sides of a ratio alike.
 */
const ROUNDS = QUICK ? 3 : 5;
const WARMUP = 1;
const CONNECTIONS = 64;
const PROPAGATION_WRITES = QUICK ? 20 : 200;
const COMMAND_CLIENTS = 16;
const COMMAND_SECONDS = QUICK ? 2 : 5;
const STARTUP_EVENTS = QUICK ? 100_000 : 1_000_000;
const STARTUP_TAIL = QUICK ? 1_000 : 10_000;

const report: Record<string, unknown> = { quick: QUICK, started_at: new Date().toISOString() };
function figure(name: string, value: number | string, unit = ''): void {
  report[name] = value;
  const shown = typeof value === 'number' ? (Number.isInteger(value) ? String(value) : value.toFixed(2)) : value;
  console.log(`${name.padEnd(44)} ${shown}${unit ? ` ${unit}` : ''}`);
}

function argValue(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => res(port));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Server {
  name: string;
  url: string;
  proc: ChildProcess;
  logFile: string;
  stop(): Promise<void>;
}

const workDir = mkdtempSync(join(tmpdir(), 'tokenless-bench-'));

/** Starts a node script as its own process (stdout to a log file, as in production) and waits until it answers. */
async function startProcess(
  name: string,
  script: string,
  args: string[],
  env: Record<string, string>,
  readyPath: string,
  timeoutMs = 600_000,
): Promise<Server & { readyMs: number }> {
  const port = await freePort();
  const logFile = join(workDir, `${name}.log`);
  const fd = openSync(logFile, 'a');
  const started = performance.now();
  // BENCH_PROFILE=<dir> writes a CPU profile of every registry process (node --cpu-prof) there.
  const nodeArgs = process.env.BENCH_PROFILE && script === CLI ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_PROFILE] : [];
  const proc = spawn(process.execPath, [...nodeArgs, script, ...args], {
    env: { ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', fd, fd],
  });
  closeSync(fd);
  let exited = false;
  proc.once('exit', () => (exited = true));
  const url = `http://127.0.0.1:${port}`;
  for (;;) {
    if (exited) throw new Error(`${name} exited during start-up; see ${logFile}:\n${readFileSync(logFile, 'utf8').slice(-2000)}`);
    if (performance.now() - started > timeoutMs) throw new Error(`${name} did not become ready`);
    try {
      const res = await fetch(url + readyPath, { method: readyPath === '/v1/authorize' ? 'POST' : 'GET' });
      if (res.status < 500) {
        await res.arrayBuffer();
        break;
      }
    } catch {
      // not listening yet
    }
    await sleep(5);
  }
  const readyMs = performance.now() - started;
  return {
    name,
    url,
    proc,
    logFile,
    readyMs,
    stop: () =>
      new Promise<void>((res) => {
        if (exited) return res();
        proc.once('exit', () => res());
        proc.kill('SIGTERM');
      }),
  };
}

function startRegistryProcess(name: string, databaseUrl: string, extraEnv: Record<string, string> = {}) {
  return startProcess(
    name,
    CLI,
    ['serve', '--no-worker'],
    {
      DATABASE_URL: databaseUrl,
      REGISTRY_ADMIN_TOKEN: TOKEN,
      LOG_LEVEL: 'info',
      POLL_INTERVAL_MS: '250',
      ...extraEnv,
    },
    '/ready',
  );
}

/** Runs the load tool in its own process against `url` and returns its figures. */
function load(job: LoadJob, signal?: AbortSignal): Promise<LoadResult | undefined> {
  return new Promise((res, rej) => {
    const child = spawn(process.execPath, [join(__dirname, 'load.js'), JSON.stringify(job)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    signal?.addEventListener('abort', () => child.kill('SIGTERM'));
    child.once('exit', (code) => {
      if (signal?.aborted) return res(undefined);
      if (code !== 0) return rej(new Error(`load tool exited with ${code}`));
      res(JSON.parse(out.trim()) as LoadResult);
    });
  });
}

interface AuthorizeBody {
  env: Record<string, string>;
  headers: Record<string, string>;
  min_position?: number;
}

const localRequest: AuthorizeBody = {
  env: { SSL_CLIENT_I_DN: ids.issuer(0), SSL_CLIENT_S_DN_CN: ids.userName(0), SSL_CLIENT_S_DN_O: 'Default' },
  headers: { 'X-Project-Id': ids.project(0) },
};
/**
 * The local request from a different certificate every time (its serial
 * number is replaced per request by the load tool): same decision, new
 * bytes, so nothing is answered from the decision cache.
 */
const localDistinctRequest: AuthorizeBody = {
  ...localRequest,
  env: { ...localRequest.env, SSL_CLIENT_M_SERIAL: '[<id>]' },
};
const ephemeralRequest: AuthorizeBody = {
  env: { SSL_CLIENT_I_DN: ids.issuer(1), SSL_CLIENT_S_DN_CN: 'nova', SSL_CLIENT_S_DN_O: 'Default' },
  headers: { 'X-Project-Id': ids.project(1) },
};

async function call(url: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(url + path, {
    method,
    headers: { 'X-Auth-Token': TOKEN, ...(body ? { 'content-type': 'application/json' } : {}), ...headers },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? (JSON.parse(text) as any) : null };
}

async function authorizeOnce(url: string, body: AuthorizeBody) {
  const res = await call(url, 'POST', '/v1/authorize', body);
  if (res.status !== 200) throw new Error(`authorize answered ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body as { auth_context: { roles: string[] }; position: number };
}

async function measureAuthorize(server: Server, body: AuthorizeBody, seconds = SECONDS, uniqueBodies = false): Promise<LoadResult> {
  await authorizeOnce(server.url, body); // fails loudly if the request is not granted
  const r = (await load({
    url: `${server.url}/v1/authorize`,
    serverPid: server.proc.pid,
    body: JSON.stringify(body),
    uniqueBodies,
    headers: { 'X-Auth-Token': TOKEN },
    connections: CONNECTIONS,
    warmupSeconds: WARMUP,
    seconds,
  }))!;
  if (r.non2xx > 0 || r.errors > 0) throw new Error(`load run had ${r.non2xx} non-2xx answers and ${r.errors} errors`);
  return r;
}

/** The middle value (the upper of the two middle ones for an even count). */
function median(xs: number[]): number {
  return [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
}

/** Several runs as one: the mean throughput; the median of their percentiles and CPU times. */
function combine(runs: LoadResult[]): LoadResult {
  const requests = runs.reduce((n, r) => n + r.requests, 0);
  return {
    rps: runs.reduce((n, r) => n + r.rps, 0) / runs.length,
    p50_ms: median(runs.map((r) => r.p50_ms)),
    p99_ms: median(runs.map((r) => r.p99_ms)),
    requests,
    server_cpu_us_per_request: median(runs.map((r) => r.server_cpu_us_per_request ?? NaN)),
    non2xx: runs.reduce((n, r) => n + r.non2xx, 0),
    errors: runs.reduce((n, r) => n + r.errors, 0),
    timeouts: runs.reduce((n, r) => n + r.timeouts, 0),
  };
}

async function waitForPosition(url: string, position: number): Promise<void> {
  for (let i = 0; i < 60_000; i++) {
    const res = await call(url, 'GET', '/ready');
    if (res.body.position >= position) return;
    await sleep(20);
  }
  throw new Error('the registry did not catch up');
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

interface Bench {
  name: string;
  url: string;
  ds: ReturnType<typeof createDataSource>;
  seeder: Seeder;
}

async function main(): Promise<void> {
  const t0 = performance.now();
  const adminUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  const servers: Server[] = [];
  const benches: Bench[] = [];
  /** One fresh database per configuration; all are dropped at the end. */
  const database = async (name: string): Promise<Bench> => {
    const db = `tokenless_bench_${randomBytes(4).toString('hex')}`;
    await admin.query(`CREATE DATABASE ${db}`);
    const u = new URL(adminUrl);
    u.pathname = `/${db}`;
    const ds = createDataSource({ url: u.toString(), poolSize: 4 });
    const bench = { name: db, url: u.toString(), ds, seeder: new Seeder(new EventStore(ds)) };
    benches.push(bench);
    await ds.initialize();
    await migrate(ds);
    return bench;
  };
  try {
    // 1. The realistic configuration (and two others differing only in their
    // number of mappings), seeded in bulk; each registry builds its index from the log.
    const configs = new Map<number, Bench>();
    for (const count of MAPPING_STEPS) {
      const bench = await database(`m${count}`);
      const t = performance.now();
      let seeded = await bench.seeder.run(baseWorld(SIZE));
      seeded += await bench.seeder.run(identityProviders(0, count, SIZE.groups));
      figure(`seed_events_${count}_mappings`, seeded);
      figure(`seed_ms_${count}_mappings`, performance.now() - t, 'ms');
      configs.set(count, bench);
    }
    let phaseStart = performance.now();
    /** How long each part of the run took, so the whole stays within its budget. */
    const phase = (name: string) => {
      figure(`phase_${name}_s`, (performance.now() - phaseStart) / 1000, 's');
      phaseStart = performance.now();
    };
    const main = configs.get(MAPPING_STEPS[1])!;
    const countEvents = async () => Number((await main.ds.query('SELECT count(*) AS n FROM events'))[0].n);

    const baseline = await startProcess('bare', join(__dirname, 'bare-server.js'), [], {}, '/v1/authorize');
    servers.push(baseline);
    const apis = new Map<number, Server>();
    for (const count of MAPPING_STEPS) {
      const api = await startRegistryProcess(`api-${count}`, configs.get(count)!.url);
      servers.push(api);
      apis.set(count, api);
      figure(`index_build_ready_ms_${count}_mappings`, api.readyMs, 'ms');
    }
    const api = apis.get(MAPPING_STEPS[1])!;
    phase('seed_and_start');

    // 2. Authorize against the bare baseline and against the number of
    // mappings. The load tool and the servers share the machine (with
    // whatever else runs on it), so the runs are interleaved in rounds, in a
    // rotating order (see ROUNDS).
    type Run = { key: string; server: Server; body: AuthorizeBody; unique?: boolean };
    const runs: Run[] = [
      { key: 'bare', server: baseline, body: localRequest },
      { key: 'local', server: api, body: localRequest },
      { key: 'local-distinct', server: api, body: localDistinctRequest, unique: true },
      { key: 'ephemeral', server: api, body: ephemeralRequest },
      // The mapping counts are compared on distinct bodies, so every request is evaluated.
      ...MAPPING_STEPS.filter((c) => c !== MAPPING_STEPS[1]).map((c) => ({ key: `m${c}`, server: apis.get(c)!, body: localDistinctRequest, unique: true })),
    ];
    // The seeding leaves PostgreSQL with dirty pages and tables to vacuum, and
    // each process has yet to compile its hot path (and write its first
    // snapshot): all of that happens now, not during the first round.
    for (const bench of configs.values()) await bench.ds.query('VACUUM ANALYZE');
    await admin.query('CHECKPOINT');
    for (const run of runs) await measureAuthorize(run.server, run.body, 1, run.unique);
    const results = new Map<string, LoadResult[]>(runs.map((r) => [r.key, []]));
    for (let round = 0; round < ROUNDS; round++) {
      for (let i = 0; i < runs.length; i++) {
        const run = runs[(i + round) % runs.length];
        results.get(run.key)!.push(await measureAuthorize(run.server, run.body, SECONDS, run.unique));
      }
    }
    // Every round's throughput, to show how much the machine moved during the run.
    report.rounds_rps = Object.fromEntries([...results].map(([k, rs]) => [k, rs.map((r) => Math.round(r.rps))]));
    report.rounds_server_cpu_us_per_request = Object.fromEntries(
      [...results].map(([k, rs]) => [k, rs.map((r) => Math.round((r.server_cpu_us_per_request ?? NaN) * 10) / 10)]),
    );
    const b = combine(results.get('bare')!);
    const l = combine(results.get('local')!);
    const e = combine(results.get('ephemeral')!);
    const d = combine(results.get('local-distinct')!);
    figure('baseline_bare_fastify_rps', b.rps, 'req/s');
    figure('baseline_bare_fastify_p50_ms', b.p50_ms, 'ms');
    figure('baseline_bare_fastify_p99_ms', b.p99_ms, 'ms');
    figure('authorize_local_rps', l.rps, 'req/s');
    figure('authorize_local_p50_ms', l.p50_ms, 'ms');
    figure('authorize_local_p99_ms', l.p99_ms, 'ms');
    figure('authorize_local_distinct_rps', d.rps, 'req/s');
    figure('authorize_local_distinct_p50_ms', d.p50_ms, 'ms');
    figure('authorize_local_distinct_p99_ms', d.p99_ms, 'ms');
    figure('authorize_ephemeral_rps', e.rps, 'req/s');
    figure('authorize_ephemeral_p50_ms', e.p50_ms, 'ms');
    figure('authorize_ephemeral_p99_ms', e.p99_ms, 'ms');
    figure('baseline_bare_fastify_cpu_us_per_request', b.server_cpu_us_per_request ?? NaN, 'µs');
    figure('authorize_local_cpu_us_per_request', l.server_cpu_us_per_request ?? NaN, 'µs');
    figure('authorize_local_distinct_cpu_us_per_request', d.server_cpu_us_per_request ?? NaN, 'µs');
    figure('authorize_ephemeral_cpu_us_per_request', e.server_cpu_us_per_request ?? NaN, 'µs');
    /** The median over rounds of `of(round)`. */
    const perRound = (of: (round: number) => number) => median(Array.from({ length: ROUNDS }, (_, i) => of(i)));
    const rps = (key: string, round: number) => results.get(key)![round].rps;
    figure('ratio_local_to_baseline', perRound((i) => rps('local', i) / rps('bare', i)), 'median of the rounds');
    figure('ratio_ephemeral_to_baseline', perRound((i) => rps('ephemeral', i) / rps('bare', i)), 'median of the rounds');
    figure('ratio_local_distinct_to_baseline', perRound((i) => rps('local-distinct', i) / rps('bare', i)), 'median of the rounds');
    figure('ratio_local_to_baseline_of_means', l.rps / b.rps);
    // Server CPU time per request, baseline over authorize: throughput as the server alone would allow it.
    figure('cpu_ratio_local_to_baseline', (b.server_cpu_us_per_request ?? NaN) / (l.server_cpu_us_per_request ?? NaN));
    figure('cpu_ratio_ephemeral_to_baseline', (b.server_cpu_us_per_request ?? NaN) / (e.server_cpu_us_per_request ?? NaN));
    const mappingKeys = MAPPING_STEPS.map((c) => (c === MAPPING_STEPS[1] ? 'local-distinct' : `m${c}`));
    MAPPING_STEPS.forEach((c, i) => figure(`authorize_rps_${c}_mappings`, combine(results.get(mappingKeys[i])!).rps, 'req/s'));
    // Three configurations differing only in their mappings: each one's median round against the others'.
    // (A spread taken within each round would add up three runs' noise in every round.)
    const medians = mappingKeys.map((k) => median(results.get(k)!.map((r) => r.rps)));
    figure(
      'mappings_throughput_spread',
      (Math.max(...medians) - Math.min(...medians)) / Math.max(...medians),
      `(max-min)/max of the median rounds at ${MAPPING_STEPS.join(' / ')} mappings`,
    );
    figure('mappings_rps_most_over_fewest', medians[medians.length - 1] / medians[0], 'median rounds');
    figure(
      'mappings_rps_most_over_fewest_per_round',
      perRound((i) => rps(mappingKeys[mappingKeys.length - 1], i) / rps(mappingKeys[0], i)),
      'median of the rounds',
    );
    for (const c of MAPPING_STEPS) if (c !== MAPPING_STEPS[1]) await apis.get(c)!.stop();
    phase('authorize_load');
    if (!ONLY_AUTHORIZE) {
      await propagation(api, main.url, servers);
      phase('propagation');
      await commands(api, servers, countEvents);
      for (const s of servers.splice(0)) await s.stop();
      phase('commands');

      // 3. Start-up with a long log: from zero, then from a snapshot plus a tail.
      await startup(main.seeder, main.ds, main.url, countEvents);
      phase('startup');

      // 4. The audit worker: grant-timeline replay and export against plain reads.
      await auditBench(figure);
      phase('audit');
    }
    figure('bench_total_s', (performance.now() - t0) / 1000, 's');
  } finally {
    for (const s of servers) await s.stop().catch(() => undefined);
    for (const bench of benches) {
      await bench.ds.destroy().catch(() => undefined);
      await admin.query(`DROP DATABASE IF EXISTS ${bench.name} WITH (FORCE)`).catch(() => undefined);
    }
    await admin.end();
    rmSync(workDir, { recursive: true, force: true });
  }
  const out = argValue('--out') ?? join(ROOT, 'bench', 'results', 'latest.json');
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`report written to ${out}`);
}

/**
 * A second API process takes the writes; authorize is read from the first,
 * under load. Each write flips the probe role of the local user, and the
 * delay is from the write's answer to the first authorize that shows it:
 * the client sends the write's position as min_position, so the first answer
 * is the one that reflects it (it comes once the first process has applied it).
 */
async function propagation(api: Server, databaseUrl: string, servers: Server[]): Promise<void> {
  const writer = await startRegistryProcess('api-b', databaseUrl);
  servers.push(writer);
  const grantPath = `/v3/projects/${ids.project(0)}/users/${ids.user(0)}/roles/r-probe`;
  const abort = new AbortController();
  const loading = load(
    {
      url: `${api.url}/v1/authorize`,
      body: JSON.stringify(ephemeralRequest),
      headers: { 'X-Auth-Token': TOKEN },
      connections: CONNECTIONS,
      warmupSeconds: 0,
      seconds: 600,
    },
    abort.signal,
  );
  await sleep(1000);
  const delays: number[] = [];
  let behind = 0;
  for (let i = 0; i < PROPAGATION_WRITES; i++) {
    const granting = i % 2 === 0;
    const w = await call(writer.url, granting ? 'PUT' : 'DELETE', grantPath);
    const answered = performance.now();
    if (w.status !== 204) throw new Error(`probe write answered ${w.status}: ${JSON.stringify(w.body)}`);
    const position = Number(w.headers.get('x-registry-position'));
    // The client does what the consistency token is for: it asks with the write's position.
    for (;;) {
      const res = await call(api.url, 'POST', '/v1/authorize', { ...localRequest, min_position: position });
      if (res.status === 503) {
        behind++;
        continue;
      }
      if (res.status !== 200) throw new Error(`probe authorize answered ${res.status}`);
      const a = res.body as { auth_context: { roles: string[] }; position: number };
      if (a.position < position) throw new Error('an answer below the requested min_position');
      if (a.auth_context.roles.includes('probe') !== granting) throw new Error('an answer at the write position misses the write');
      delays.push(performance.now() - answered);
      break;
    }
  }
  abort.abort();
  await loading;
  delays.sort((a, b) => a - b);
  figure('propagation_writes', delays.length);
  figure('propagation_p50_ms', percentile(delays, 50), 'ms');
  figure('propagation_p99_ms', percentile(delays, 99), 'ms');
  figure('propagation_max_ms', delays.at(-1)!, 'ms');
  figure('propagation_index_behind_503', behind);
}

/**
 * 16 clients write for a fixed time across both API processes: half create
 * projects, half edit two shared projects with If-Match (conflicts expected).
 * Every acknowledged write must be one event in the log.
 */
async function commands(api: Server, servers: Server[], countEvents: () => Promise<number>): Promise<void> {
  const writer = servers.find((s) => s.name === 'api-b')!;
  const before = await countEvents();
  let ok = 0;
  let conflicts = 0;
  let failures = 0;
  const deadline = performance.now() + COMMAND_SECONDS * 1000;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: COMMAND_CLIENTS }, async (_, c) => {
      const url = c % 2 === 0 ? api.url : writer.url;
      let n = 0;
      while (performance.now() < deadline) {
        if (c < COMMAND_CLIENTS / 2) {
          const r = await call(url, 'POST', '/v3/projects', { project: { name: `bench-${c}-${n++}`, domain_id: 'default' } });
          if (r.status === 201) ok++;
          else failures++;
        } else {
          const id = ids.project(c % 2);
          const got = await call(url, 'GET', `/v3/projects/${id}`);
          const r = await call(url, 'PATCH', `/v3/projects/${id}`, { project: { description: `edit ${c}-${n++}` } }, {
            'If-Match': got.headers.get('etag') ?? '',
          });
          if (r.status === 200) ok++;
          else if (r.status === 412 || r.status === 409) conflicts++;
          else failures++;
        }
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const recorded = (await countEvents()) - before;
  figure('commands_per_s_16_clients', ok / seconds, 'writes/s');
  figure('commands_acknowledged', ok);
  figure('commands_conflicts', conflicts);
  figure('commands_failed', failures);
  figure('commands_events_recorded', recorded);
  figure('commands_lost', ok - recorded);
  if (recorded !== ok) throw new Error(`${ok} writes acknowledged but ${recorded} events recorded`);
}

/** Grows the log to STARTUP_EVENTS events and times an API process's start from zero and from a snapshot. */
async function startup(
  seeder: Seeder,
  ds: ReturnType<typeof createDataSource>,
  databaseUrl: string,
  countEvents: () => Promise<number>,
): Promise<void> {
  let t = performance.now();
  const missing = STARTUP_EVENTS - (await countEvents()) - STARTUP_TAIL;
  if (missing > 0) await seeder.run(projectEdits(missing, SIZE.projects), 50_000);
  figure('startup_generate_events_ms', performance.now() - t, 'ms');
  await ds.query('DELETE FROM snapshots');
  const head = seeder.state.position;

  // From zero; this process then writes a snapshot (SNAPSHOT_EVERY=1 after any new event).
  const cold = await startRegistryProcess('api-cold', databaseUrl, { SNAPSHOT_EVERY: '1' });
  figure('startup_from_zero_events_in_log', await countEvents());
  figure('startup_from_zero_ready_ms', cold.readyMs, 'ms');
  t = performance.now();
  for (;;) {
    const rows = (await ds.query('SELECT position, length(state) AS bytes FROM snapshots ORDER BY position DESC LIMIT 1')) as {
      position: string;
      bytes: number;
    }[];
    if (rows[0] && Number(rows[0].position) >= head) {
      figure('snapshot_bytes', Number(rows[0].bytes));
      break;
    }
    if (performance.now() - t > 300_000) throw new Error('no snapshot was written');
    await sleep(50);
  }
  await cold.stop();

  await seeder.run(projectEdits(STARTUP_TAIL, SIZE.projects, missing));
  const warm = await startRegistryProcess('api-warm', databaseUrl, { SNAPSHOT_EVERY: '0' });
  const ready = await call(warm.url, 'GET', '/ready');
  // Log lines leave asynchronously: give the one that says how the index was built a moment to reach the file.
  let log = '';
  for (let i = 0; i < 100 && !log.includes('state loaded from snapshot'); i++) {
    if (i > 0) await sleep(50);
    log = readFileSync(warm.logFile, 'utf8');
  }
  await warm.stop();
  if (!log.includes('state loaded from snapshot')) throw new Error('the second process did not start from the snapshot');
  if (ready.body.position !== seeder.state.position) throw new Error('the second process is not at the head');
  figure('startup_from_snapshot_events_in_log', await countEvents());
  figure('startup_tail_events', STARTUP_TAIL);
  figure('startup_from_snapshot_ready_ms', warm.readyMs, 'ms');
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
