import { validation } from '../../../../libs/domain/src';

export interface AuthorizeBody {
  env: Record<string, unknown>;
  headers: Record<string, unknown>;
  min_position?: number;
  /** Answer as the registry stood at this instant (ISO 8601 with a zone) ... */
  as_of?: string;
  /** ... or right after this log position. */
  at_position?: number;
  /** Whether the body gave `env` itself (otherwise it may come from a certificate). */
  has_env: boolean;
  /** A PEM client certificate; the registry derives `env` as `terminator` would. */
  certificate?: string;
  terminator?: string;
}

const MAX_CERTIFICATE_LENGTH = 65536;

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const EMPTY: Record<string, unknown> = Object.freeze({}) as Record<string, unknown>;

/**
 * The authorize body checked by hand: it is on the hot path, and a
 * decorator-driven validator costs more than the decision itself. Same
 * rules and messages as the other bodies: `env` and `headers` optional
 * objects, `min_position` an optional non-negative integer (a numeric
 * string is accepted, as a query-style value).
 */
export function parseAuthorizeBody(body: unknown): AuthorizeBody {
  if (!isObject(body)) throw validation('The request body must be a JSON object.', 'invalid_body');
  const errors: string[] = [];
  const { env, headers, min_position: rawMin, certificate, terminator, as_of: asOf, at_position: rawAt } = body;
  if (env !== undefined && env !== null && !isObject(env)) errors.push('env: env must be an object');
  if (certificate !== undefined && (typeof certificate !== 'string' || certificate.length > MAX_CERTIFICATE_LENGTH)) {
    errors.push(`certificate: certificate must be a string of at most ${MAX_CERTIFICATE_LENGTH} characters`);
  }
  if (terminator !== undefined && (typeof terminator !== 'string' || terminator.length > 64)) {
    errors.push('terminator: terminator must be a string of at most 64 characters');
  }
  if (headers !== undefined && headers !== null && !isObject(headers)) errors.push('headers: headers must be an object');
  const minPosition = position('min_position', rawMin, errors);
  const atPosition = position('at_position', rawAt, errors);
  if (asOf !== undefined && asOf !== null && (typeof asOf !== 'string' || asOf.length > 64)) {
    errors.push('as_of: as_of must be an ISO 8601 string');
  }
  if (errors.length > 0) throw validation(errors.sort().join('\n'), 'invalid_body');
  return {
    env: isObject(env) ? env : EMPTY,
    headers: isObject(headers) ? headers : EMPTY,
    ...(minPosition !== undefined ? { min_position: minPosition } : {}),
    ...(atPosition !== undefined ? { at_position: atPosition } : {}),
    ...(typeof asOf === 'string' ? { as_of: asOf } : {}),
    has_env: env !== undefined,
    ...(typeof certificate === 'string' ? { certificate } : {}),
    ...(typeof terminator === 'string' ? { terminator } : {}),
  };
}

/** An optional non-negative integer position (a numeric string is accepted, as a query-style value). */
function position(name: string, raw: unknown, errors: string[]): number | undefined {
  if (raw === undefined || raw === null) return undefined;
  const value = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : NaN;
  if (!Number.isSafeInteger(value)) errors.push(`${name}: ${name} must be an integer number`);
  else if (value < 0) errors.push(`${name}: ${name} must not be less than 0`);
  return value;
}
