import type { IncomingMessage } from 'node:http';
import type { LoggerService } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import pino, { type Logger } from 'pino';

let destination: pino.DestinationStream | undefined;

/**
 * Standard output, written asynchronously: a line goes out at once when the
 * stream is idle, and lines logged while a write is in flight leave together
 * in the next one (under load, one system call for many lines rather than
 * one per request). Flushed when the process exits.
 * Every logger of the process shares it, so lines never interleave.
 */
function stdout(): pino.DestinationStream {
  destination ??= pino.destination({ dest: 1, sync: false });
  return destination;
}

/** One JSON logger for the process: Fastify's request lines and Nest's own messages alike. */
export function createLogger(level: string): Logger {
  return pino(
    {
      level,
      base: { service: 'tokenless-registry' },
      // Never log credentials, whatever a caller attaches.
      redact: { paths: ['*.headers["x-auth-token"]', '*.headers.authorization', 'token', '*.token'], remove: true },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    stdout(),
  );
}

/** Writes the one line per request. */
export interface RequestLog {
  info(fields: Record<string, unknown>, msg: string): void;
  error(fields: Record<string, unknown>, msg: string): void;
  /**
   * The line for `req`, answered with `status` after `ms`: the request id,
   * method, path (without its query), status, milliseconds, the client's
   * address, the caller's name and whatever the route added
   * (`req.logFields`), or instead `fragment`: those fields already
   * serialized by `logFieldsFragment`, for an answer given many times.
   */
  request(req: FastifyRequest, status: number, ms: number, fragment?: string): void;
}

/**
 * The one line per request, in the same JSON shape and on the same stream as
 * every other line (pino's level numbers, `time`, `service`, `msg`). Its
 * fields are a fixed set of strings, numbers and string arrays built by the
 * server (never headers or bodies), so the line is one `JSON.stringify`,
 * without redaction or per-key serialization: it is on every request's path.
 */
export function createRequestLogger(level: string): RequestLog {
  const threshold = level === 'silent' ? Infinity : (pino.levels.values[level] ?? 30);
  const out = stdout();
  const line = (n: number, fields: Record<string, unknown>, msg: string) => {
    if (n < threshold) return;
    const body = JSON.stringify(fields);
    out.write(
      `{"level":${n}${cachedIsoTime()},"service":"tokenless-registry"${body.length > 2 ? `,${body.slice(1, -1)}` : ''},"msg":${JSON.stringify(msg)}}\n`,
    );
  };
  return {
    info: (fields, msg) => line(30, fields, msg),
    error: (fields, msg) => line(50, fields, msg),
    request(req, status, ms, fragment) {
      const n = status >= 500 ? 50 : 30;
      if (n < threshold) return;
      const query = req.url.indexOf('?');
      const path = query < 0 ? req.url : req.url.slice(0, query);
      const rounded = Math.round(ms * 10) / 10;
      if (fragment === undefined) {
        const fields = { req_id: req.id, method: req.method, path, status, ms: rounded, client: req.ip, actor: req.caller?.name, ...capped(req.logFields) };
        return line(n, fields, 'request');
      }
      // The same fields in the same order as above, without building and serializing an object.
      const client = req.ip;
      const actor = req.caller?.name;
      out.write(
        `{"level":${n}${cachedIsoTime()},"service":"tokenless-registry","req_id":${JSON.stringify(req.id)},"method":${JSON.stringify(req.method)},"path":${JSON.stringify(path)},"status":${status},"ms":${rounded}${client === undefined ? '' : `,"client":${JSON.stringify(client)}`}${actor === undefined ? '' : `,"actor":${JSON.stringify(actor)}`}${fragment},"msg":"request"}\n`,
      );
    },
  };
}

/** The most characters of one text field a request line keeps (a refusal's detail can quote a whole DN). */
const MAX_LOGGED_TEXT = 2048;

/** `fields` with every text longer than MAX_LOGGED_TEXT cut there and marked; the same object when none is. */
function capped(fields: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  if (fields === undefined) return undefined;
  let out: Record<string, unknown> | undefined;
  for (const key in fields) {
    const value = fields[key];
    if (typeof value === 'string' && value.length > MAX_LOGGED_TEXT) {
      out ??= { ...fields };
      out[key] = `${value.slice(0, MAX_LOGGED_TEXT)}… (${value.length} characters)`;
    }
  }
  return out ?? fields;
}

/** The request line's fixed fields, which a route's own log fields do not repeat in a fragment. */
const FIXED_FIELDS = new Set(['req_id', 'method', 'path', 'status', 'ms', 'client', 'actor']);

/**
 * `fields` serialized for `RequestLog.request`'s `fragment`, for answers
 * with `status`; undefined where they name a fixed field with another value
 * (the line is then built from the fields themselves).
 */
export function logFieldsFragment(fields: Record<string, unknown>, status: number): string | undefined {
  const rest: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(capped(fields) ?? {})) {
    if (!FIXED_FIELDS.has(key)) rest[key] = value;
    else if (key !== 'status' || value !== status) return undefined;
  }
  const json = JSON.stringify(rest);
  return json.length > 2 ? `,${json.slice(1, -1)}` : '';
}

const ARRIVAL = Symbol('arrival');
type Stamped = IncomingMessage & { [ARRIVAL]?: number };

/** Notes when a request reached the server, for `msSinceArrival`. */
export function markArrival(req: IncomingMessage): void {
  (req as Stamped)[ARRIVAL] = performance.now();
}

/** Milliseconds since `markArrival` saw the request (0 if it never did). */
export function msSinceArrival(req: IncomingMessage): number {
  const at = (req as Stamped)[ARRIVAL];
  return at === undefined ? 0 : performance.now() - at;
}

let lastMs = -1;
let lastStamp = '';
/** pino's ISO timestamp, formatted once per millisecond rather than once per line. */
function cachedIsoTime(): string {
  const now = Date.now();
  if (now !== lastMs) {
    lastMs = now;
    lastStamp = `,"time":"${new Date(now).toISOString()}"`;
  }
  return lastStamp;
}

/** Nest's logger interface on top of pino. */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}

  private write(level: 'info' | 'error' | 'warn' | 'debug' | 'trace', message: unknown, context?: unknown): void {
    const fields = typeof context === 'string' ? { context } : {};
    if (typeof message === 'object' && message !== null) this.logger[level]({ ...fields, ...message });
    else this.logger[level](fields, String(message));
  }

  log(message: unknown, context?: string) {
    // Nest's start-up chatter (modules loaded, each route mapped) is debug detail, not an operator's info.
    const chatter = context === 'RoutesResolver' || context === 'RouterExplorer' || context === 'InstanceLoader';
    this.write(chatter ? 'debug' : 'info', message, context);
  }
  error(message: unknown, _trace?: string, context?: string) {
    this.write('error', message, context);
  }
  warn(message: unknown, context?: string) {
    this.write('warn', message, context);
  }
  debug(message: unknown, context?: string) {
    this.write('debug', message, context);
  }
  verbose(message: unknown, context?: string) {
    this.write('trace', message, context);
  }
}
