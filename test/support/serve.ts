import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';

/** A loopback port nothing listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** A real `tokenless serve --no-worker` process, with everything it writes kept. */
export interface ServedRegistry {
  /** `http://127.0.0.1:PORT` */
  url: string;
  /** Everything written to stdout and stderr so far. */
  output(): string;
  /** The JSON lines written so far. */
  lines(): Record<string, unknown>[];
  stop(): Promise<void>;
}

const CLI = join(__dirname, '../../apps/cli/src/main.js');

/** Starts `tokenless serve --no-worker` on `databaseUrl` and waits until it listens. */
export async function startServeProcess(databaseUrl: string, env: Record<string, string>): Promise<ServedRegistry> {
  const port = await freePort();
  const child = spawn(process.execPath, [CLI, 'serve', '--no-worker'], {
    env: { ...process.env, DATABASE_URL: databaseUrl, HOST: '127.0.0.1', PORT: String(port), LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.setEncoding('utf8').on('data', (d) => (output += d));
  child.stderr!.setEncoding('utf8').on('data', (d) => (output += d));
  await new Promise<void>((resolve, reject) => {
    const check = () => (output.includes('registry listening') ? resolve() : undefined);
    child.stdout!.on('data', check);
    child.once('exit', (code) => reject(new Error(`serve exited with ${code}: ${output}`)));
  });
  return {
    url: `http://127.0.0.1:${port}`,
    output: () => output,
    lines: () =>
      output
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>),
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
