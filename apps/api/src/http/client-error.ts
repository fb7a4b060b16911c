import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { errorBody } from './error.filter';
import type { RequestLog } from './logger';

/**
 * What Node's HTTP parser refuses before any route sees the request: headers
 * larger than the server takes, bytes no header can hold, a request line
 * that is not HTTP, a request that did not arrive in time.
 */
function refusal(code: string | undefined): { status: number; message: string; reason: string } {
  switch (code) {
    case 'HPE_HEADER_OVERFLOW':
      return { status: 431, message: 'The request line and headers are larger than the server accepts.', reason: 'headers_too_large' };
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return { status: 408, message: 'The request did not arrive in time.', reason: 'request_timeout' };
    case 'HPE_INVALID_HEADER_TOKEN':
    case 'HPE_LF_EXPECTED':
    case 'HPE_CR_EXPECTED':
      return { status: 400, message: 'A header holds a byte no HTTP header may hold.', reason: 'invalid_header' };
    default:
      return { status: 400, message: 'The request is not valid HTTP.', reason: 'invalid_http' };
  }
}

/**
 * Fastify's `clientErrorHandler`: answers in the registry's error envelope
 * with a stable reason (Fastify's own answer has neither) and writes the
 * request line every request gets, with the parser's error code as
 * `detail`. There is no parsed request, so no method, path or actor.
 */
export function clientErrorHandler(requestLogger: RequestLog): (err: Error & { code?: string }, socket: Duplex) => void {
  return (err, socket) => {
    // A reset connection has nobody to answer.
    if (err.code === 'ECONNRESET' || socket.destroyed) return;
    const { status, message, reason } = refusal(err.code);
    const id = `req-${randomUUID()}`;
    const client = (socket as Duplex & { remoteAddress?: string }).remoteAddress;
    requestLogger.info({ req_id: id, status, ms: 0, client, reason, detail: err.code }, 'request');
    if (socket.writable) {
      const body = JSON.stringify(errorBody(status, message, reason));
      socket.write(
        `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
          `x-openstack-request-id: ${id}\r\nConnection: close\r\n\r\n${body}`,
      );
    }
    socket.destroy(err);
  };
}
