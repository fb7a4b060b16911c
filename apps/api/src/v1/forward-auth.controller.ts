import { All, Controller, Delete, Get, Head, Options, Patch, Put, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { GENERIC_401, authorize, type AuthorizeGranted } from '../../../../libs/domain/src';
import { RequireAccess } from '../http/auth.guard';
import { ClientCertificateService } from '../http/client-certificate';
import { errorBody } from '../http/error.filter';
import { RegistryIndexService } from '../registry/registry-index.service';
import { SeenDecisionsService } from '../registry/seen-decisions.service';

/**
 * Forward-auth for a gateway (nginx auth_request, HAProxy, Envoy ext_authz).
 * The scope comes from the request's X-Project-* / X-Domain-* headers, the
 * certificate attributes from a trusted proxy's X-SSL-* headers or from this
 * registry's own TLS handshake. The answer is exactly 200 (identity in
 * X-Auth-* headers), 401 (no usable certificate identity) or 403 (identified
 * but not allowed); 5xx only for a real failure.
 *
 * No token is needed: the endpoint believes certificate headers only from
 * TRUSTED_PROXIES, so an arbitrary client learns nothing it could not learn
 * by presenting its own certificate. GET, HEAD and every method below
 * /v1/authorize/ are forward-auth; POST /v1/authorize is the JSON API.
 * Decisions are recorded as the JSON API's are (503 `audit_unavailable`
 * when they cannot be and AUDIT_FAIL_MODE=closed).
 */
@Controller('v1/authorize')
@RequireAccess('public')
export class ForwardAuthController {
  constructor(
    private readonly registry: RegistryIndexService,
    private readonly certificates: ClientCertificateService,
    private readonly seen: SeenDecisionsService,
  ) {}

  @Get()
  get(@Req() req: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    return this.decide(req, reply);
  }

  @Head()
  head(@Req() req: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    this.decide(req, reply);
    return undefined;
  }

  @Put()
  put(@Req() req: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    return this.decide(req, reply);
  }

  @Patch()
  patch(@Req() req: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    return this.decide(req, reply);
  }

  @Delete()
  delete(@Req() req: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    return this.decide(req, reply);
  }

  @Options()
  options(@Req() req: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    return this.decide(req, reply);
  }

  /** Envoy ext_authz appends the original path to the configured prefix and keeps the method. */
  @All('*')
  below(@Req() req: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    if (req.method === 'HEAD') {
      this.decide(req, reply);
      return undefined;
    }
    return this.decide(req, reply);
  }

  private decide(req: FastifyRequest, reply: FastifyReply): unknown {
    void reply.header('Cache-Control', 'no-store');
    const found = this.certificates.attributes(req);
    const base = { client_address: req.ip, certificate_source: found.kind === 'none' ? 'none' : found.source };
    if (found.kind === 'refused') return this.refuse(req, reply, 401, found.reason, GENERIC_401, base, found.detail);
    if (found.kind === 'none') {
      const detail = this.certificates.peerIsTrustedProxy(req)
        ? 'The proxy sent no certificate attributes.'
        : 'The request carries no client certificate.';
      return this.refuse(req, reply, 401, 'no_certificate', GENERIC_401, base, detail);
    }
    // The index and its position are read together, with no await in between.
    const position = this.registry.position;
    const index = this.registry.index;
    const request = { env: found.env, headers: this.certificates.visibleHeaders(req) };
    const result = authorize(index, request);
    void reply.header('X-Registry-Position', String(position));
    const noRoles = result.outcome === 'granted' && result.auth_context.roles.length === 0;
    if (!this.seen.decision(index, request, result, noRoles ? 'no_roles' : undefined)) {
      req.logFields = { decision: 'refused', reason: 'audit_unavailable', ...base };
      void reply.status(503).header('Retry-After', '1').header('X-Auth-Refused-Reason', 'audit_unavailable');
      return errorBody(503, 'Decisions cannot be recorded at the moment, and AUDIT_FAIL_MODE is closed.', 'audit_unavailable');
    }
    if (result.outcome === 'refused') {
      // Gateways understand only 401 and 403: identity problems stay 401, every other refusal is 403.
      const status = result.status === 401 ? 401 : 403;
      return this.refuse(req, reply, status, result.reason, result.message, { ...base, keystone_status: result.status }, result.detail);
    }
    if (noRoles) {
      return this.refuse(req, reply, 403, 'no_roles', 'The identity has no role on the requested scope.', base, undefined);
    }
    this.identityHeaders(reply, result);
    req.logFields = { decision: 'granted', user_type: result.user_type, idp_id: result.idp_id, ...base };
    return { decision: 'granted', auth_context: result.auth_context, position };
  }

  private refuse(
    req: FastifyRequest,
    reply: FastifyReply,
    status: 401 | 403,
    reason: string,
    message: string,
    fields: Record<string, unknown>,
    detail: string | undefined,
  ): unknown {
    req.logFields = { decision: 'refused', reason, status, ...(detail !== undefined ? { detail } : {}), ...fields };
    void reply.status(status).header('X-Auth-Refused-Reason', reason);
    if (status === 401) void reply.header('WWW-Authenticate', `Keystone uri="${req.protocol}://${req.host}/v3"`);
    const body = errorBody(status, message, reason);
    return { ...body, ...(fields.keystone_status !== undefined ? { keystone_status: fields.keystone_status } : {}) };
  }

  /** Every value is visible ASCII: free text is percent-encoded (UTF-8), lists are comma-separated. */
  private identityHeaders(reply: FastifyReply, result: AuthorizeGranted): void {
    const ctx = result.auth_context as Record<string, unknown>;
    const enc = (value: unknown) => encodeURIComponent(wellFormed(String(value)));
    const list = (values: unknown) => (Array.isArray(values) ? values.map(enc).join(',') : '');
    const set = (name: string, value: string | undefined) => {
      if (value !== undefined) void reply.header(name, value);
    };
    set('X-Auth-User-Type', result.user_type);
    if (typeof ctx.user_id === 'string') {
      set('X-Auth-User-Id', enc(ctx.user_id));
      const user = this.registry.index.state.users.get(ctx.user_id);
      if (user) {
        set('X-Auth-User-Name', enc(user.name));
        set('X-Auth-User-Domain-Id', enc(user.domain_id));
      }
    }
    if (typeof ctx.project_id === 'string') set('X-Auth-Project-Id', enc(ctx.project_id));
    if (typeof ctx.domain_id === 'string') set('X-Auth-Domain-Id', enc(ctx.domain_id));
    set('X-Auth-Roles', list(ctx.roles));
    if (Array.isArray(ctx.group_ids)) set('X-Auth-Group-Ids', list(ctx.group_ids));
    set('X-Auth-Identity-Provider', enc(result.idp_id));
    if (typeof ctx['OS-FEDERATION:protocol'] === 'string') set('X-Auth-Protocol', enc(ctx['OS-FEDERATION:protocol']));
  }
}

/**
 * A lone UTF-16 surrogate (possible in a JSON-recorded name) has no UTF-8
 * form and would make encodeURIComponent throw; it becomes U+FFFD instead,
 * so the decision never depends on whether a value can be encoded.
 */
function wellFormed(value: string): string {
  return value.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
}

/** Forward-auth is every request on /v1/authorize and below it, except the JSON API's POST. */
export function isForwardAuthRequest(method: string, url: string): boolean {
  const path = url.split('?')[0].replace(/\/+$/, '');
  if (path === '/v1/authorize') return method !== 'POST';
  return path.startsWith('/v1/authorize/');
}

/**
 * A gateway may forward the original request's body with any content type;
 * the decision never reads it, so it is not parsed (which would answer 400
 * or 415, statuses a gateway cannot interpret). Node's HTTP parser still
 * discards the unread bytes by their real framing.
 */
export function ignoreForwardAuthBodies(fastify: {
  addHook(name: 'onRequest', hook: (req: FastifyRequest) => Promise<void>): unknown;
}): void {
  fastify.addHook('onRequest', async (req) => {
    if (!isForwardAuthRequest(req.method, req.url)) return;
    delete req.headers['content-type'];
    delete req.headers['transfer-encoding'];
    req.headers['content-length'] = '0';
  });
}
