import { Body, Controller, HttpCode, Inject, Post, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { GENERIC_401, authorize } from '../../../../libs/domain/src';
import { RequireAccess } from '../http/auth.guard';
import { errorBody } from '../http/error.filter';
import { validateBody } from '../http/validate';
import { RegistryIndexService } from '../registry/registry-index.service';
import { REGISTRY_CONFIG, type RegistryConfig } from '../config';
import { ClientCertificateService } from '../http/client-certificate';
import { checkCertificateFields, requestFromCertificate, type Terminator } from './certificate-env';
import { AuthorizeDto } from './dto';

@Controller('v1/authorize')
export class AuthorizeController {
  constructor(
    private readonly registry: RegistryIndexService,
    @Inject(REGISTRY_CONFIG) private readonly config: RegistryConfig,
    private readonly certificates: ClientCertificateService,
  ) {}

  /**
   * Keystone's tokenless decision for a certificate's attributes and a
   * scope, from this process's in-memory index (no SQL). `min_position`
   * waits until the index has applied that position (a write's answer
   * carries it in X-Registry-Position). The attributes are `env` as given,
   * or derived from `certificate` as `terminator` would pass them, or, with
   * neither, from the client certificate of this connection (registry TLS)
   * or a trusted proxy's certificate headers.
   */
  @Post()
  @HttpCode(200)
  @RequireAccess('reader')
  async authorize(@Body() body: unknown, @Req() req: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    const dto = validateBody(AuthorizeDto, body);
    checkCertificateFields(dto);
    let request = { env: dto.env ?? {}, headers: dto.headers ?? {} };
    if (dto.certificate !== undefined) {
      request = requestFromCertificate(dto.certificate, dto.terminator as Terminator, request.headers);
    } else if (dto.env === undefined) {
      const found = this.certificates.attributes(req);
      if (found.kind === 'attributes') request.env = found.env;
      if (found.kind === 'refused') {
        req.logFields = { decision: 'refused', reason: found.reason, status: 401, detail: found.detail };
        void reply.status(401).header('WWW-Authenticate', `Keystone uri="${req.protocol}://${req.host}/v3"`);
        return { ...errorBody(401, GENERIC_401, found.reason), position: this.registry.position };
      }
    }
    if (dto.min_position !== undefined && !(await this.registry.waitFor(dto.min_position, this.config.maxWaitMs))) {
      req.logFields = { decision: 'refused', reason: 'index_behind', min_position: dto.min_position };
      void reply.status(503).header('Retry-After', '1');
      return {
        ...errorBody(503, `The index has not reached position ${dto.min_position} yet.`, 'index_behind'),
        position: this.registry.position,
      };
    }
    // The index and its position are read together, with no await in between.
    const position = this.registry.position;
    const result = authorize(this.registry.index, request);
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
  }
}
