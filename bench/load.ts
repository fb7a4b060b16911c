/**
 * The load generator, run as its own process so it never shares an event
 * loop with the server or with the bench's own probes. Reads one JSON job
 * from argv, prints one JSON result line on stdout.
 */
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
}

export interface LoadResult {
  rps: number;
  p50_ms: number;
  p99_ms: number;
  requests: number;
  non2xx: number;
  errors: number;
  timeouts: number;
}

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
  const r = await run(job, job.seconds);
  const out: LoadResult = {
    rps: r.requests.total / (r.duration || job.seconds),
    p50_ms: r.latency.p50,
    p99_ms: r.latency.p99,
    requests: r.requests.total,
    non2xx: r.non2xx,
    errors: r.errors,
    timeouts: r.timeouts,
  };
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

if (require.main === module) {
  main().catch((err) => {
    process.stderr.write(`${String(err)}\n`);
    process.exit(1);
  });
}
