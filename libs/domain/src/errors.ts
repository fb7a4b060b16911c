/**
 * Refusals a command or query can produce, shaped like Keystone's errors:
 * an HTTP status, the title Keystone shows, the client-visible message and a
 * stable snake_case reason that callers can branch on.
 */
export class DomainError extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    message: string,
    readonly reason: string,
    readonly debugMessage?: string,
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export const GENERIC_500 =
  'An unexpected error prevented the server from fulfilling your request.';
export const GENERIC_401 = 'The request you have made requires authentication.';

export function notFound(kind: string, id: string, reason = 'not_found'): DomainError {
  return new DomainError(404, 'Not Found', `Could not find ${kind}: ${id}.`, reason);
}

export function conflict(kind: string, detail: string): DomainError {
  return new DomainError(
    409,
    'Conflict',
    `Conflict occurred attempting to store ${kind} - ${detail}.`,
    'conflict',
  );
}

export function validation(message: string, reason = 'validation_error'): DomainError {
  return new DomainError(400, 'Bad Request', message, reason);
}

export function forbidden(message: string, reason: string): DomainError {
  return new DomainError(403, 'Forbidden', message, reason);
}

/** A stale `If-Match` (or expected version) on a stream. */
export function preconditionFailed(stream: string, expected: number, actual: number): DomainError {
  return new DomainError(
    412,
    'Precondition Failed',
    `Version mismatch on ${stream}: expected ${expected}, current ${actual}.`,
    'version_mismatch',
  );
}

/**
 * An `If-Match` on a PUT whose resource does not exist: there is no current
 * version for any tag, not even `*`, to match (RFC 9110 13.1.1).
 */
export function noCurrentVersion(stream: string, expected: number | '*'): DomainError {
  const tag = expected === '*' ? '*' : `"${expected}"`;
  return new DomainError(
    412,
    'Precondition Failed',
    `No current version of ${stream}: If-Match ${tag} cannot match a resource that does not exist.`,
    'no_current_version',
  );
}
