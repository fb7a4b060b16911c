import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DEFAULT_TOKENLESS_SETTINGS, idpIdForIssuer, streams } from '../../../../libs/domain/src';
import { validateBody } from '../http/validate';
import { ChangesService } from '../registry/changes.service';
import { TokenlessSettingsDto, TrustedIssuerDto } from './dto';

/** keystone.conf's `[tokenless_auth]`, event-sourced. */
@Controller('v1/tokenless')
export class TokenlessController {
  constructor(private readonly changes: ChangesService) {}

  private answer(reply: FastifyReply) {
    this.changes.etag(reply, streams.settings());
    const settings = this.changes.state.settings;
    return {
      ...settings,
      // The IdP id each issuer hashes to: what `identity provider create` needs.
      identity_provider_ids: Object.fromEntries(settings.trusted_issuer.map((i) => [i, idpIdForIssuer(i)])),
      // The log position these settings are read at (a write's own position is in X-Registry-Position).
      position: this.changes.state.position,
    };
  }

  @Get()
  show(@Res({ passthrough: true }) reply: FastifyReply) {
    return this.answer(reply);
  }

  @Put()
  async replace(@Body() body: unknown, @Req() req: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    const dto = validateBody(TokenlessSettingsDto, body);
    await this.changes.record(req, reply, {
      kind: 'ReplaceTokenlessSettings',
      settings: {
        trusted_issuer: dto.trusted_issuer,
        protocol: dto.protocol ?? DEFAULT_TOKENLESS_SETTINGS.protocol,
        issuer_attribute: dto.issuer_attribute ?? DEFAULT_TOKENLESS_SETTINGS.issuer_attribute,
      },
    });
    return this.answer(reply);
  }

  @Post('trusted_issuers')
  @HttpCode(201)
  async addIssuer(@Body() body: unknown, @Req() req: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    const { issuer } = validateBody(TrustedIssuerDto, body);
    await this.changes.record(req, reply, { kind: 'AddTrustedIssuer', issuer });
    return this.answer(reply);
  }

  /** The issuer travels in the query (`?issuer=`) or, URL-encoded, in the path. */
  @Delete('trusted_issuers')
  @HttpCode(204)
  async removeIssuerByQuery(
    @Query('issuer') issuer: string | undefined,
    @Body() body: unknown,
    @Req() req: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const value = issuer ?? validateBody(TrustedIssuerDto, body ?? {}).issuer;
    await this.changes.record(req, reply, { kind: 'RemoveTrustedIssuer', issuer: value });
  }

  @Delete('trusted_issuers/:issuer')
  @HttpCode(204)
  async removeIssuer(
    @Param('issuer') issuer: string,
    @Req() req: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    await this.changes.record(req, reply, { kind: 'RemoveTrustedIssuer', issuer });
  }
}
