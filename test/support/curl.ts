import { execFile } from 'node:child_process';
import { execFileSync } from 'node:child_process';

export interface CurlAnswer {
  /** curl's exit code: 0 when an HTTP answer arrived. */
  exitCode: number;
  stderr: string;
  status?: number;
  headers: Record<string, string>;
  body: any;
}

export interface CurlOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: unknown;
  /** Client certificate and key files (`--cert`, `--key`). */
  cert?: string;
  key?: string;
  /** CA file for the server certificate (`--cacert`). */
  cacert?: string;
}

/**
 * One request with the real curl, run asynchronously so a registry in this
 * process keeps serving while curl waits for it.
 */
export function curl(url: string, options: CurlOptions = {}): Promise<CurlAnswer> {
  const args = ['-sS', '--http1.1', '-i', '--max-time', '20', '-X', options.method ?? 'GET'];
  if (options.cacert) args.push('--cacert', options.cacert);
  if (options.cert) args.push('--cert', options.cert);
  if (options.key) args.push('--key', options.key);
  for (const [name, value] of Object.entries(options.headers ?? {})) args.push('-H', `${name}: ${value}`);
  if (options.body !== undefined) {
    args.push('-H', 'Content-Type: application/json', '--data-binary', JSON.stringify(options.body));
  }
  args.push(url);
  return new Promise((resolve) => {
    execFile('curl', args, { encoding: 'utf8', maxBuffer: 4 * 1024 * 1024 }, (err, stdout, stderr) => {
      const exitCode = err ? Number((err as { code?: number }).code ?? 1) : 0;
      const answer: CurlAnswer = { exitCode, stderr, headers: {}, body: undefined };
      const split = stdout.indexOf('\r\n\r\n');
      if (exitCode === 0 && split >= 0) {
        const [statusLine, ...lines] = stdout.slice(0, split).split('\r\n');
        answer.status = Number(statusLine.split(' ')[1]);
        for (const line of lines) {
          const colon = line.indexOf(':');
          answer.headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
        }
        const text = stdout.slice(split + 4);
        try {
          answer.body = text === '' ? null : JSON.parse(text);
        } catch {
          answer.body = text;
        }
      }
      resolve(answer);
    });
  });
}

/**
 * Whether a Debian tool the test needs is installed. Under CI=1 a missing
 * tool is a failure (CI installs it); elsewhere the test is skipped with a message.
 */
export function toolStatus(command: string, pkg = command): { missing: boolean; message: string } {
  try {
    execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' });
    return { missing: false, message: '' };
  } catch {
    return { missing: true, message: `${command} is not installed (apt-get install -y ${pkg})` };
  }
}
