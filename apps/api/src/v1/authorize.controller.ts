import { Body, Controller, HttpCode, Inject, Post, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { authorize, decidedBy, validation, type AuthorizationIndex } from '../../../../libs/domain/src';
import { RequireAccess } from '../http/auth.guard';
import { errorBody } from '../http/error.filter';
import { validateBody } from '../http/validate';
import { PointInTimeService } from '../registry/point-in-time.service';
import { RegistryIndexService } from '../registry/registry-index.service';
import { REGISTRY_CONFIG, type RegistryConfig } from '../config';
import { AuthorizeDto } from './dto';

@Controller('v1/authorize')
export class AuthorizeController {
  constructor(
    private readonly registry: RegistryIndexService,
    private readonly pointInTime: PointInTimeService,
    @Inject(REGISTRY_CONFIG) private readonly config: RegistryConfig,
  ) {}

  /**
   * Keystone's tokenless decision for a certificate's attributes and a
   * scope, from this process's in-memory index (no SQL). `min_position`
   * waits until the index has applied that position (a write's answer
   * carries it in X-Registry-Position). `as_of` (an ISO 8601 instant) or
   * `at_position` answer from the state folded from the log up to then, with
   * the positions of the events the answer rests on in `decided_by`.
   */
  @Post()
  @HttpCode(200)
  @RequireAccess('reader')
  async authorize(@Body() body: unknown, @Req() req: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    const dto = validateBody(AuthorizeDto, body);
    if (dto.min_position !== undefined && !(await this.registry.waitFor(dto.min_position, this.config.maxWaitMs))) {
      req.logFields = { decision: 'refused', reason: 'index_behind', min_position: dto.min_position };
      void reply.status(503).header('Retry-After', '1');
      return {
        ...errorBody(503, `The index has not reached position ${dto.min_position} yet.`, 'index_behind'),
        position: this.registry.position,
      };
    }
    const past = await this.pastIndex(dto);
    // The index and its position are read together, with no await in between.
    const index: AuthorizationIndex = past?.index ?? this.registry.index;
    const position = index.state.position;
    const request = { env: dto.env ?? {}, headers: dto.headers ?? {} };
    const result = authorize(index, request);
    void reply.header('X-Registry-Position', String(position));
    const pointInTime = past
      ? {
          as_of: { position, recorded_at: index.state.lastRecordedAt, requested: dto.as_of ?? dto.at_position },
          decided_by: decidedBy(index.state, request, result),
        }
      : {};
    if (result.outcome === 'granted') {
      req.logFields = { decision: 'granted', user_type: result.user_type, idp_id: result.idp_id, ...(past ? { at_position: position } : {}) };
      return { auth_context: result.auth_context, position, ...pointInTime };
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
  }

  /** The past state a point-in-time request asks for, or undefined for the live index. */
  private async pastIndex(dto: AuthorizeDto) {
    if (dto.as_of !== undefined && dto.at_position !== undefined) {
      throw validation('Give either as_of or at_position, not both.', 'point_in_time_ambiguous');
    }
    if (dto.at_position !== undefined) {
      if (dto.at_position > this.registry.position && dto.at_position > (await this.registry.catchUp())) {
        throw validation(`Position ${dto.at_position} has not been recorded yet.`, 'position_in_future');
      }
      return this.pointInTime.at(dto.at_position);
    }
    if (dto.as_of !== undefined) {
      if (!/(?:[zZ]|[+-]\d\d(?::?\d\d)?)$/.test(dto.as_of) && !/^\d{4}-\d\d-\d\d$/.test(dto.as_of)) {
        throw validation('as_of needs a time zone (Z or an offset).', 'as_of_without_zone');
      }
      const instant = new Date(dto.as_of);
      if (Number.isNaN(instant.getTime())) throw validation(`as_of is not a valid instant: ${dto.as_of}`, 'as_of_invalid');
      if (instant.getTime() > Date.now()) throw validation('as_of is in the future.', 'as_of_in_future');
      return this.pointInTime.at(await this.pointInTime.positionAt(instant));
    }
    return undefined;
  }
}
