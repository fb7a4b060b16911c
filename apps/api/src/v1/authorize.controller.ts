import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { GENERIC_401, authorize, type AuthorizeRequest } from '../../../../libs/domain/src';
import type { ClientCertificateService } from '../http/client-certificate';
import { checkCertificateFields, requestFromCertificate, type Terminator } from './certificate-env';
import type { AuthGuard } from '../http/auth.guard';
import { errorBody, type KeystoneErrorFilter } from '../http/error.filter';
import type { RegistryIndexService } from '../registry/registry-index.service';
import type { RegistryConfig } from '../config';
import { parseAuthorizeBody } from './authorize-request';

/**
 * `POST /v1/authorize`: Keystone's tokenless decision for a certificate's
 * attributes and a scope, from this process's in-memory index (no SQL).
 *
 * It is the hot path, so it is a plain Fastify route rather than a Nest
 * controller: the same guard (`admit`) and the same error envelope
 * (`render`), without Nest's per-request pipeline. `min_position` waits
 * until the index has applied that position (every write's answer carries
 * it in X-Registry-Position); every answer carries the position it was
 * computed at, in X-Registry-Position and in the body.
 */
export function registerAuthorizeRoute(
  fastify: FastifyInstance,
  deps: {
    registry: RegistryIndexService;
    config: RegistryConfig;
    guard: AuthGuard;
    errors: KeystoneErrorFilter;
    certificates: ClientCertificateService;
  },
): void {
  const { registry, config, guard, errors, certificates } = deps;

  const fail = (err: unknown, req: FastifyRequest, reply: FastifyReply) => {
    const { status, body } = errors.render(err, req);
    if (status === 401) void reply.header('WWW-Authenticate', `Keystone uri="${req.protocol}://${req.host}/v3"`);
    void reply.header('X-Registry-Position', String(registry.position));
    return reply.status(status).type('application/json').send({ ...body, position: registry.position });
  };

  const decide = (req: FastifyRequest, reply: FastifyReply, request: AuthorizeRequest) => {
    // The index and its position are read together, with no await in between.
    const position = registry.position;
    const result = authorize(registry.index, request);
    void reply.header('X-Registry-Position', String(position));
    if (result.outcome === 'granted') {
      req.logFields = { decision: 'granted', user_type: result.user_type, idp_id: result.idp_id };
      return { auth_context: result.auth_context, position };
    }
    req.logFields = { decision: 'refused', reason: result.reason, status: result.status, detail: result.detail };
    if (result.status === 401) {
      void reply.header('WWW-Authenticate', `Keystone uri="${req.protocol}://${req.host}/v3"`);
    }
    void reply.status(result.status);
    return {
      error: { code: result.status, title: result.title, message: result.message, reason: result.reason },
      position,
    };
  };

  fastify.route({
    method: 'POST',
    url: '/v1/authorize',
    // Body parser errors (malformed JSON, wrong content type) leave in the same envelope.
    errorHandler: (err, req, reply) => fail(err, req, reply),
    handler: (req, reply) => {
      let dto;
      let request: AuthorizeRequest;
      try {
        guard.admit(req, 'reader');
        dto = parseAuthorizeBody(req.body);
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
            return reply.send({ ...errorBody(401, GENERIC_401, found.reason), position: registry.position });
          }
        }
      } catch (err) {
        return fail(err, req, reply);
      }
      if (dto.min_position === undefined || registry.position >= dto.min_position) {
        return reply.send(decide(req, reply, request));
      }
      const wanted = dto.min_position;
      return registry.waitFor(wanted, config.maxWaitMs).then((reached) => {
        if (reached) return reply.send(decide(req, reply, request));
        req.logFields = { decision: 'refused', reason: 'index_behind', min_position: wanted };
        return reply
          .status(503)
          .header('Retry-After', '1')
          .header('X-Registry-Position', String(registry.position))
          .send({
            ...errorBody(503, `The index has not reached position ${wanted} yet.`, 'index_behind'),
            position: registry.position,
          });
      });
    },
  });
}
