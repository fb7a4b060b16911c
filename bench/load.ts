/**
 * The load generator, run as its own process so it never shares an event
 * loop with the server or with the bench's own probes. Reads one JSON job
 * from argv, prints one JSON result line on stdout.
 */
import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';

export interface LoadJob {
  url: string;
  body: string;
  headers: Record<string, string>;
  connections: number;
  warmupSeconds: number;
  seconds: number;
  /** Replace `[<id>]` in the body with a fresh number on every request, so no two bodies are alike. */
  uniqueBodies?: boolean;
  /** The server's process id, to measure the CPU time it spends per request (Linux only). */
  serverPid?: number;
}

export interface LoadResult {
  rps: number;
  p50_ms: number;
  p99_ms: number;
  requests: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  /** Server CPU time (user + system) per answered request in the measured run, in microseconds. */
  server_cpu_us_per_request?: number;
}

/** CPU time a process has used so far, in microseconds, from /proc (undefined where there is none). */
export function processCpuMicros(pid: number): number | undefined {
  try {
    // Fields after the command name (which may hold spaces), counted from field 3: utime is 14, stime 15.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return (ticks * 1_000_000) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}
/** USER_HZ: 100 on every Linux architecture Node runs on. */
const CLOCK_TICKS_PER_SECOND = 100;

let sequence = 0;
/** The body with `[<id>]` replaced by a number no other request of this run had. */
function unique(body: string): string {
  sequence += 1;
  return body.replace('[<id>]', sequence.toString(16).padStart(8, '0'));
}

function run(job: LoadJob, seconds: number): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    autocannon(
      {
        url: job.url,
        method: 'POST',
        body: job.body,
        headers: { 'content-type': 'application/json', ...job.headers },
        connections: job.connections,
        duration: seconds,
        pipelining: 1,
        ...(job.uniqueBodies ? { requests: [{ setupRequest: (req: autocannon.Request) => ({ ...req, body: unique(job.body) }) }] } : {}),
      },
      (err, result) => (err ? reject(err) : resolve(result)),
    );
  });
}

async function main(): Promise<void> {
  const job = JSON.parse(process.argv[2]) as LoadJob;
  if (job.warmupSeconds > 0) await run(job, job.warmupSeconds);
  const cpuBefore = job.serverPid === undefined ? undefined : processCpuMicros(job.serverPid);
  const r = await run(job, job.seconds);
  const cpuAfter = job.serverPid === undefined ? undefined : processCpuMicros(job.serverPid);
  const out: LoadResult = {
    rps: r.requests.total / (r.duration || job.seconds),
    p50_ms: r.latency.p50,
    p99_ms: r.latency.p99,
    requests: r.requests.total,
    non2xx: r.non2xx,
    errors: r.errors,
    timeouts: r.timeouts,
    ...(cpuBefore !== undefined && cpuAfter !== undefined && r.requests.total > 0
      ? { server_cpu_us_per_request: (cpuAfter - cpuBefore) / r.requests.total }
      : {}),
  };
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

if (require.main === module) {
  main().catch((err) => {
    process.stderr.write(`${String(err)}\n`);
    process.exit(1);
  });
}
