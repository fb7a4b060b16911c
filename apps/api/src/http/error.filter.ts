import { ArgumentsHost, Catch, HttpException, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DomainError, GENERIC_500 } from '../../../../libs/domain/src';
import { MappingError } from '../../../../libs/domain/src/mapping';

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  412: 'Precondition Failed',
  413: 'Request Entity Too Large',
  415: 'Unsupported Media Type',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export interface ErrorBody {
  error: { code: number; message: string; title: string; reason: string };
}

export function errorBody(status: number, message: string, reason: string, title?: string): ErrorBody {
  return { error: { code: status, message, title: title ?? TITLES[status] ?? 'Error', reason } };
}

function reasonForHttp(status: number): string {
  switch (status) {
    case 400: return 'bad_request';
    case 401: return 'unauthenticated';
    case 403: return 'forbidden';
    case 404: return 'not_found';
    case 405: return 'method_not_allowed';
    case 413: return 'body_too_large';
    case 415: return 'unsupported_media_type';
    default: return 'http_error';
  }
}

/**
 * Every refusal leaves in Keystone's envelope,
 * `{"error": {"code", "message", "title"}}`, plus a stable `reason`.
 * Unexpected errors are logged and answered with Keystone's generic 500.
 */
@Catch()
export class KeystoneErrorFilter implements ExceptionFilter {

  constructor(private readonly insecureDebug = false) {}

  catch(err: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const req = host.switchToHttp().getRequest<FastifyRequest>();
    const { status, body } = this.render(err, req);
    if (status === 401) reply.header('WWW-Authenticate', `Keystone uri="${req.protocol}://${req.host}/v3"`);
    void reply.status(status).type('application/json').send(body);
  }

  /** The status and Keystone envelope for any error (also used by routes outside Nest's pipeline). */
  render(err: unknown, req: FastifyRequest): { status: number; body: ErrorBody } {
    if (err instanceof DomainError || err instanceof MappingError) {
      const message = this.withDebug(err.status, err.message, (err as { debugMessage?: string }).debugMessage);
      req.logFields = { ...req.logFields, reason: err.reason };
      return { status: err.status, body: errorBody(err.status, message, err.reason) };
    }
    if (err instanceof HttpException) {
      const status = err.getStatus();
      const response = err.getResponse();
      const message =
        typeof response === 'object' && response !== null && 'message' in response
          ? [(response as { message: unknown }).message].flat().join('\n')
          : err.message;
      const reason =
        typeof response === 'object' && response !== null && 'reason' in response
          ? String((response as { reason: unknown }).reason)
          : reasonForHttp(status);
      req.logFields = { ...req.logFields, reason };
      return { status, body: errorBody(status, message, reason) };
    }
    const fastifyStatus = (err as { statusCode?: number }).statusCode;
    if (typeof fastifyStatus === 'number' && fastifyStatus >= 400 && fastifyStatus < 500) {
      // Body parser and routing errors (malformed JSON, wrong content type, too large).
      const message = (err as Error).message;
      const reason = reasonForHttp(fastifyStatus);
      req.logFields = { ...req.logFields, reason };
      return { status: fastifyStatus, body: errorBody(fastifyStatus, message, reason) };
    }
    // The request's own log line carries the error, so a failure is still one line per request.
    req.logFields = { ...req.logFields, reason: 'internal_error', err: String((err as Error)?.stack ?? err) };
    return { status: 500, body: errorBody(500, GENERIC_500, 'internal_error') };
  }

  private withDebug(status: number, message: string, debug?: string): string {
    if (!this.insecureDebug || !debug || (status !== 500 && status !== 401)) return message;
    return `${debug} (Disable insecure_debug mode to suppress these details.)`;
  }
}
