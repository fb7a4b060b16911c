import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  GENERIC_401,
  authorize,
  decidedBy,
  validation,
  type AuthorizationIndex,
  type AuthorizeRequest,
} from '../../../../libs/domain/src';
import type { ClientCertificateService } from '../http/client-certificate';
import { checkCertificateFields, requestFromCertificate, type Terminator } from './certificate-env';
import type { AuthGuard } from '../http/auth.guard';
import { errorBody, type KeystoneErrorFilter } from '../http/error.filter';
import type { RegistryIndexService } from '../registry/registry-index.service';
import type { PastIndex, PointInTimeService } from '../registry/point-in-time.service';
import type { RegistryConfig } from '../config';
import type { SeenDecision, SeenDecisionsService } from '../registry/seen-decisions.service';
import { parseAuthorizeBody, type AuthorizeBody } from './authorize-request';
import { bodyProblem } from '../http/body-checks';
import { logFieldsFragment, msSinceArrival, type RequestLog } from '../http/logger';
import { setCommonHeaders } from '../http/request-context';

/**
 * `POST /v1/authorize`: Keystone's tokenless decision for a certificate's
 * attributes and a scope, from this process's in-memory index (no SQL).
 *
 * It is the hot path, so it is a plain Fastify route rather than a Nest
 * controller: the same guard (`admit`) and the same error envelope
 * (`render`), without Nest's per-request pipeline. `min_position` waits
 * until the index has applied that position (every write's answer carries
 * it in X-Registry-Position); every answer carries the position it was
 * computed at, in X-Registry-Position and in the body. `as_of` (an ISO 8601
 * instant) or `at_position` answer from the state folded from the log up to
 * then, naming the events the answer rests on in `decided_by`. Every other
 * decision is handed to `seen` (in memory; written in batches later); with
 * AUDIT_FAIL_MODE=closed, a decision that cannot be recorded is answered
 * 503 `audit_unavailable` instead.
 */
/** A calendar date, or a date and time with seconds optional and fractions allowed. */
const ISO_8601 = /^\d{4}-\d\d-\d\d(?:[T ]\d\d:\d\d(?::\d\d(?:\.\d+)?)?)?(?:[zZ]|[+-]\d\d(?::?\d\d)?)?$/;

export function registerAuthorizeRoute(
  fastify: FastifyInstance,
  deps: {
    registry: RegistryIndexService;
    config: RegistryConfig;
    guard: AuthGuard;
    errors: KeystoneErrorFilter;
    certificates: ClientCertificateService;
    pointInTime: PointInTimeService;
    seen: SeenDecisionsService;
    requestLogger: RequestLog;
  },
): void {
  const { registry, config, guard, errors, certificates, pointInTime, seen, requestLogger } = deps;

  /**
   * Every answer leaves through here: the request line is written (this
   * route has no onResponse hook), then the body sent. `logFragment`: the
   * route's log fields already serialized (a repeated decision's).
   */
  const answer = (req: FastifyRequest, reply: FastifyReply, payload: unknown, logFragment?: string) => {
    requestLogger.request(req, reply.statusCode, msSinceArrival(req.raw), logFragment);
    return reply.send(payload);
  };

  const fail = (err: unknown, req: FastifyRequest, reply: FastifyReply) => {
    setCommonHeaders(req, reply);
    const { status, body } = errors.render(err, req);
    // Every authorize that is not answered with a decision is still a refusal, and its line says so.
    req.logFields = { decision: 'refused', ...req.logFields };
    if (status === 401) void reply.header('WWW-Authenticate', `Keystone uri="${req.protocol}://${req.host}/v3"`);
    void reply.header('X-Registry-Position', String(registry.position));
    return answer(req, reply.status(status).type('application/json'), { ...body, position: registry.position });
  };

  const decide = (
    req: FastifyRequest,
    reply: FastifyReply,
    request: AuthorizeRequest,
    past?: PastIndex & { requested: string | number },
    decided?: { seen?: SeenDecision },
  ) => {
    // The index and its position are read together, with no await in between.
    const index: AuthorizationIndex = past?.index ?? registry.index;
    const position = past ? past.position : registry.position;
    const result = authorize(index, request);
    void reply.header('X-Registry-Position', String(position));
    if (!past) {
      const described = seen.describe(index, request, result);
      if (decided) decided.seen = described;
      if (!seen.seen(described, request.env)) return auditUnavailable(req, reply, position);
    }
    const pointInTime = past
      ? {
          as_of: { position, recorded_at: past.recorded_at, requested: past.requested },
          decided_by: decidedBy(index.state, request, result),
        }
      : undefined;
    if (result.outcome === 'granted') {
      req.logFields = { decision: 'granted', user_type: result.user_type, idp_id: result.idp_id };
      if (past) req.logFields.at_position = position;
      return pointInTime ? { auth_context: result.auth_context, position, ...pointInTime } : { auth_context: result.auth_context, position };
    }
    req.logFields = { decision: 'refused', reason: result.reason, status: result.status, detail: result.detail };
    if (result.status === 401) {
      void reply.header('WWW-Authenticate', `Keystone uri="${req.protocol}://${req.host}/v3"`);
    }
    void reply.status(result.status);
    return {
      error: { code: result.status, title: result.title, message: result.message, reason: result.reason },
      position,
      ...pointInTime,
    };
  };

  const auditUnavailable = (req: FastifyRequest, reply: FastifyReply, position: number) => {
    req.logFields = { decision: 'refused', reason: 'audit_unavailable' };
    void reply.status(503).header('Retry-After', '1');
    return {
      ...errorBody(503, 'Decisions cannot be recorded at the moment, and AUDIT_FAIL_MODE is closed.', 'audit_unavailable'),
      position,
    };
  };

  /** The past state a point-in-time request asks for. */
  const pastIndex = async (dto: AuthorizeBody): Promise<PastIndex & { requested: string | number }> => {
    if (dto.as_of !== undefined && dto.at_position !== undefined) {
      throw validation('Give either as_of or at_position, not both.', 'point_in_time_ambiguous');
    }
    if (dto.at_position !== undefined) {
      const wanted = dto.at_position;
      if (wanted > registry.position && wanted > (await registry.catchUp())) {
        throw validation(`Position ${wanted} has not been recorded yet.`, 'position_in_future');
      }
      return { ...(await pointInTime.at(wanted)), requested: wanted };
    }
    const asOf = dto.as_of!;
    if (!/(?:[zZ]|[+-]\d\d(?::?\d\d)?)$/.test(asOf) && !/^\d{4}-\d\d-\d\d$/.test(asOf)) {
      throw validation('as_of needs a time zone (Z or an offset).', 'as_of_without_zone');
    }
    if (!ISO_8601.test(asOf)) throw validation(`as_of is not an ISO 8601 instant: ${asOf}`, 'as_of_invalid');
    const instant = new Date(asOf);
    if (Number.isNaN(instant.getTime())) throw validation(`as_of is not a valid instant: ${asOf}`, 'as_of_invalid');
    if (instant.getTime() > Date.now()) throw validation('as_of is in the future.', 'as_of_in_future');
    return { ...(await pointInTime.at(await pointInTime.positionAt(instant))), requested: asOf };
  };

  const cache = new DecisionCache();

  // In a scope of its own: the body arrives as text, so a repeated body is recognised before it is parsed.
  fastify.register(async (scope) => {
    const parseJson = scope.getDefaultJsonParser('ignore', 'ignore');
    scope.removeContentTypeParser('application/json');
    scope.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => done(null, body));

    scope.route({
    method: 'POST',
    url: '/v1/authorize',
    // Body parser errors (malformed JSON, wrong content type) leave in the same envelope.
    errorHandler: (err, req, reply) => fail(err, req, reply),
    handler: (req, reply) => {
      let dto;
      let request: AuthorizeRequest;
      const raw = req.body as string;
      // This route has no hooks (see app.ts), so it sets what the Nest application's hook sets elsewhere.
      setCommonHeaders(req, reply);
      try {
        guard.admit(req, 'reader');
        const known = cache.get(raw, registry.position);
        if (known) {
          void reply.header('X-Registry-Position', known.position);
          if (!seen.seen(known.seen, known.request.env)) {
            return answer(req, reply, auditUnavailable(req, reply, registry.position));
          }
          req.logFields = known.logFields;
          if (known.status === 401) void reply.header('WWW-Authenticate', `Keystone uri="${req.protocol}://${req.host}/v3"`);
          return answer(req, reply.status(known.status).type(JSON_TYPE), known.json, known.logFragment);
        }
        const body = parseBody(parseJson, req, raw);
        const problem = bodyProblem(body);
        if (problem) throw validation(problem.message, problem.reason);
        dto = parseAuthorizeBody(body);
        request = { env: dto.env, headers: dto.headers };
        if (dto.certificate !== undefined || dto.terminator !== undefined) {
          checkCertificateFields({ env: dto.has_env ? dto.env : undefined, certificate: dto.certificate, terminator: dto.terminator });
          request = requestFromCertificate(dto.certificate!, dto.terminator as Terminator, dto.headers);
        } else if (!dto.has_env) {
          // Neither env nor certificate: this connection's own client certificate, or a trusted proxy's headers.
          const found = certificates.attributes(req);
          if (found.kind === 'attributes') request = { env: found.env, headers: dto.headers };
          if (found.kind === 'refused') {
            req.logFields = { decision: 'refused', reason: found.reason, status: 401, detail: found.detail };
            void reply.status(401).header('WWW-Authenticate', `Keystone uri="${req.protocol}://${req.host}/v3"`);
            return answer(req, reply, { ...errorBody(401, GENERIC_401, found.reason), position: registry.position });
          }
        }
      } catch (err) {
        return fail(err, req, reply);
      }
      if (dto.as_of !== undefined || dto.at_position !== undefined) {
        const asked = request;
        return pastIndex(dto).then(
          (past) => answer(req, reply, decide(req, reply, asked, past)),
          (err: unknown) => fail(err, req, reply),
        );
      }
      if (dto.min_position === undefined || registry.position >= dto.min_position) {
        const decided: { seen?: SeenDecision } = {};
        const decision = decide(req, reply, request, undefined, decided);
        // Only what the body alone decides (not a connection's own certificate or a proxy's headers), and only decisions.
        if ((!dto.has_env && dto.certificate === undefined) || decided.seen === undefined || reply.statusCode === 503) {
          return answer(req, reply, decision);
        }
        const json = JSON.stringify(decision);
        const logFields = req.logFields ?? {};
        const logFragment = logFieldsFragment(logFields, reply.statusCode);
        cache.set(raw, registry.position, {
          status: reply.statusCode,
          position: String(registry.position),
          json,
          logFields,
          logFragment,
          request,
          seen: decided.seen,
        });
        return answer(req, reply.type(JSON_TYPE), json, logFragment);
      }
      const wanted = dto.min_position;
      return registry.waitFor(wanted, config.maxWaitMs).then((reached) => {
        if (reached) return answer(req, reply, decide(req, reply, request));
        req.logFields = { decision: 'refused', reason: 'index_behind', min_position: wanted };
        void reply.status(503).header('Retry-After', '1').header('X-Registry-Position', String(registry.position));
        return answer(req, reply, {
          ...errorBody(503, `The registry has not reached position ${wanted}; it is at ${registry.position}.`, 'index_behind'),
          position: registry.position,
        });
      });
    },
    });
  });
}

/** Runs Fastify's own JSON parser (prototype-poisoning checks included) on a body kept as text. */
function parseBody(
  parse: (req: FastifyRequest, body: string, done: (err: Error | null, body?: unknown) => void) => void,
  req: FastifyRequest,
  raw: string,
): unknown {
  let out: unknown;
  let failure: Error | null = null;
  parse(req, raw, (err, body) => {
    failure = err;
    out = body;
  });
  if (failure) throw failure;
  return out;
}

interface KnownDecision {
  status: number;
  /** The position it was decided at, as X-Registry-Position gives it. */
  position: string;
  /** The answer's body, serialized. */
  json: string;
  logFields: Record<string, unknown>;
  /** The same, serialized for the request line. */
  logFragment: string | undefined;
  /** What was asked, and the decision as recorded again as seen on every repeat. */
  request: AuthorizeRequest;
  seen: SeenDecision;
}

/**
 * Decisions by exact request body, valid while the index stays at the
 * position they were made at: services repeat the same certificate and
 * scope on every call, and authorize is a pure function of the index and
 * the request. Any change to the index empties it, so an answer is never
 * older than the index. Only bodies that carry the attributes themselves
 * (`env` or `certificate`) are kept, never point-in-time or waiting ones.
 */
class DecisionCache {
  private position = -1;
  private readonly entries = new Map<string, KnownDecision>();

  get(raw: string, position: number): KnownDecision | undefined {
    if (position !== this.position) {
      this.entries.clear();
      this.position = position;
      return undefined;
    }
    return this.entries.get(raw);
  }

  set(raw: string, position: number, decision: KnownDecision): void {
    if (position !== this.position || raw.length > MAX_CACHED_BODY) return;
    if (this.entries.size >= MAX_CACHED_DECISIONS) this.entries.delete(this.entries.keys().next().value as string);
    this.entries.set(raw, decision);
  }
}

const JSON_TYPE = 'application/json; charset=utf-8';
const MAX_CACHED_DECISIONS = 4096;
const MAX_CACHED_BODY = 16 * 1024;
