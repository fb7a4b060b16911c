import type { LoggerService } from '@nestjs/common';
import pino, { type Logger } from 'pino';

/** One JSON logger for the process: Fastify's request lines and Nest's own messages alike. */
export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: 'tokenless-registry' },
    // Never log credentials, whatever a caller attaches.
    redact: { paths: ['*.headers["x-auth-token"]', '*.headers.authorization', 'token', '*.token'], remove: true },
    timestamp: pino.stdTimeFunctions.isoTime,
  });
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
