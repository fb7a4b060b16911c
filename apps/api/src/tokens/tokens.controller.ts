import { Body, Controller, Delete, Get, HttpCode, Param, Post, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { notFound, streams, type ApiTokenRole } from '../../../../libs/domain/src';
import { RequireAccess } from '../http/auth.guard';
import { validateBody } from '../http/validate';
import { ChangesService } from '../registry/changes.service';
import { CreateApiTokenDto } from './dto';
import { mintApiToken, presentApiToken } from './secrets';

/** Registry API tokens: created (the secret shown once), listed without secrets, revoked by id. */
@Controller('v1/tokens')
@RequireAccess('admin')
export class TokensController {
  constructor(private readonly changes: ChangesService) {}

  @Post()
  @HttpCode(201)
  async create(@Body() body: unknown, @Req() req: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    const { token: input } = validateBody(CreateApiTokenDto, body);
    const { token, secret } = mintApiToken(input.name, input.role as ApiTokenRole);
    const recorded = await this.changes.record(req, reply, { kind: 'CreateApiToken', token });
    this.changes.etag(reply, streams.token(token.id));
    void reply.header('Cache-Control', 'no-store');
    return { token: { ...presentApiToken(token), created_at: recorded.events[0]?.recorded_at, secret } };
  }

  /** Auditors may see which tokens exist (never a secret or its hash). */
  @Get()
  @RequireAccess('auditor')
  list() {
    return { tokens: [...this.changes.state.apiTokens.values()].map(presentApiToken) };
  }

  @Get(':id')
  @RequireAccess('auditor')
  show(@Param('id') id: string, @Res({ passthrough: true }) reply: FastifyReply) {
    const token = this.changes.state.apiTokens.get(id);
    if (!token) throw notFound('token', id, 'token_not_found');
    this.changes.etag(reply, streams.token(id));
    return { token: presentApiToken(token) };
  }

  @Delete(':id')
  @HttpCode(204)
  async revoke(@Param('id') id: string, @Req() req: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    await this.changes.record(req, reply, { kind: 'RevokeApiToken', id });
  }
}
