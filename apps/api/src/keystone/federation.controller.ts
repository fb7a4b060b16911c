import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Put, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { notFound, streams, validation, type RegistryState } from '../../../../libs/domain/src';
import { mappingWarnings, validateMapping } from '../../../../libs/domain/src/mapping';
import { baseUrl } from '../http/request-context';
import { validateBody } from '../http/validate';
import { ChangesService, newId } from '../registry/changes.service';
import { IdentityProviderBody, MappingOptionsDto, ProtocolBody } from './dto';
import { listOf, presentIdp, presentMapping, presentProtocol } from './present';

/** `{"mapping": {"rules": [...]}}`, checked with Keystone's mapping schema (one line per violation). */
function mappingFrom(body: unknown): { rules: unknown[]; options?: MappingOptionsDto } {
  if (typeof body !== 'object' || body === null || typeof (body as { mapping?: unknown }).mapping !== 'object') {
    throw validation("'mapping' is a required property\n", 'invalid_body');
  }
  const mapping = (body as { mapping: Record<string, unknown> }).mapping;
  const { options, ...rest } = mapping;
  const errors = validateMapping(rest);
  if (errors.length > 0) throw validation(errors.map((e) => `${e}\n`).join(''), 'invalid_mapping');
  const checkedOptions =
    options === undefined ? undefined : validateBody(MappingOptionsDto, options);
  return { rules: rest.rules as unknown[], ...(checkedOptions ? { options: { ...checkedOptions } } : {}) };
}

@Controller('v3/OS-FEDERATION')
export class FederationController {
  constructor(private readonly changes: ChangesService) {}

  private get state(): RegistryState {
    return this.changes.state;
  }

  @Put('identity_providers/:id')
  @HttpCode(201)
  async createIdp(
    @Param('id') id: string,
    @Body() body: unknown,
    @Req() req: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const { identity_provider: idp } = validateBody(IdentityProviderBody, body);
    await this.changes.record(req, reply, {
      kind: 'RegisterIdentityProvider',
      id,
      auto_domain_id: newId(),
      identity_provider: {
        domain_id: idp.domain_id,
        enabled: idp.enabled,
        description: idp.description,
        remote_ids: idp.remote_ids ?? undefined,
      },
    });
    this.changes.etag(reply, streams.idp(id));
    return { identity_provider: presentIdp(this.state.idps.get(id)!, baseUrl(req)) };
  }

  @Get('identity_providers')
  listIdps(@Req() req: FastifyRequest) {
    const q = req.query as Record<string, string | undefined>;
    const items = [...this.state.idps.values()]
      .filter((i) => (q.id === undefined || i.id === q.id) && q.name === undefined)
      .map((i) => presentIdp(i, baseUrl(req)));
    return listOf('identity_providers', items, `${baseUrl(req)}${req.url}`);
  }

  @Get('identity_providers/:id')
  showIdp(@Param('id') id: string, @Req() req: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    const idp = this.state.idps.get(id);
    if (!idp) throw notFound('Identity Provider', id);
    this.changes.etag(reply, streams.idp(id));
    return { identity_provider: presentIdp(idp, baseUrl(req)) };
  }

  @Patch('identity_providers/:id')
  async updateIdp(
    @Param('id') id: string,
    @Body() body: unknown,
    @Req() req: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const { identity_provider: idp } = validateBody(IdentityProviderBody, body);
    await this.changes.record(req, reply, {
      kind: 'UpdateIdentityProvider',
      id,
      patch: {
        domain_id: idp.domain_id,
        enabled: idp.enabled,
        description: idp.description,
        remote_ids: idp.remote_ids === null ? [] : idp.remote_ids,
      },
    });
    this.changes.etag(reply, streams.idp(id));
    return { identity_provider: presentIdp(this.state.idps.get(id)!, baseUrl(req)) };
  }

  @Delete('identity_providers/:id')
  @HttpCode(204)
  async deleteIdp(@Param('id') id: string, @Req() req: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    await this.changes.record(req, reply, { kind: 'DeleteIdentityProvider', id });
  }

  @Put('identity_providers/:idpId/protocols/:id')
  @HttpCode(201)
  async createProtocol(
    @Param('idpId') idpId: string,
    @Param('id') id: string,
    @Body() body: unknown,
    @Req() req: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const { protocol } = validateBody(ProtocolBody, body);
    await this.changes.record(req, reply, { kind: 'CreateProtocol', idp_id: idpId, id, mapping_id: protocol.mapping_id });
    this.changes.etag(reply, streams.protocol(idpId, id));
    return { protocol: presentProtocol(this.state.protocols.get(`${idpId}/${id}`)!, baseUrl(req)) };
  }

  @Get('identity_providers/:idpId/protocols')
  listProtocols(@Param('idpId') idpId: string, @Req() req: FastifyRequest) {
    // Keystone answers an empty list even for an IdP that does not exist.
    const items = [...this.state.protocols.values()]
      .filter((p) => p.idp_id === idpId)
      .map((p) => presentProtocol(p, baseUrl(req), true));
    return listOf('protocols', items, `${baseUrl(req)}${req.url}`);
  }

  @Get('identity_providers/:idpId/protocols/:id')
  showProtocol(
    @Param('idpId') idpId: string,
    @Param('id') id: string,
    @Req() req: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const protocol = this.state.protocols.get(`${idpId}/${id}`);
    if (!protocol) throw notFound(`federated protocol ${id} for Identity Provider`, idpId, 'protocol_not_found');
    this.changes.etag(reply, streams.protocol(idpId, id));
    return { protocol: presentProtocol(protocol, baseUrl(req)) };
  }

  @Patch('identity_providers/:idpId/protocols/:id')
  async updateProtocol(
    @Param('idpId') idpId: string,
    @Param('id') id: string,
    @Body() body: unknown,
    @Req() req: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const { protocol } = validateBody(ProtocolBody, body);
    await this.changes.record(req, reply, { kind: 'UpdateProtocol', idp_id: idpId, id, mapping_id: protocol.mapping_id });
    this.changes.etag(reply, streams.protocol(idpId, id));
    return { protocol: presentProtocol(this.state.protocols.get(`${idpId}/${id}`)!, baseUrl(req)) };
  }

  @Delete('identity_providers/:idpId/protocols/:id')
  @HttpCode(204)
  async deleteProtocol(
    @Param('idpId') idpId: string,
    @Param('id') id: string,
    @Req() req: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    await this.changes.record(req, reply, { kind: 'DeleteProtocol', idp_id: idpId, id });
  }

  @Put('mappings/:id')
  @HttpCode(201)
  async createMapping(
    @Param('id') id: string,
    @Body() body: unknown,
    @Req() req: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const { rules, options } = mappingFrom(body);
    await this.changes.record(req, reply, { kind: 'CreateMapping', id, rules, options });
    this.changes.etag(reply, streams.mapping(id));
    return this.mappingAnswer(id, req);
  }

  @Get('mappings')
  listMappings(@Req() req: FastifyRequest) {
    const items = [...this.state.mappings.values()].map((m) => presentMapping(m, baseUrl(req)));
    return listOf('mappings', items, `${baseUrl(req)}${req.url}`);
  }

  @Get('mappings/:id')
  showMapping(@Param('id') id: string, @Req() req: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    const mapping = this.state.mappings.get(id);
    if (!mapping) throw notFound('mapping', id);
    this.changes.etag(reply, streams.mapping(id));
    return { mapping: presentMapping(mapping, baseUrl(req)) };
  }

  @Patch('mappings/:id')
  async updateMapping(
    @Param('id') id: string,
    @Body() body: unknown,
    @Req() req: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const { rules, options } = mappingFrom(body);
    await this.changes.record(req, reply, { kind: 'ReplaceMapping', id, rules, options });
    this.changes.etag(reply, streams.mapping(id));
    return this.mappingAnswer(id, req);
  }

  @Delete('mappings/:id')
  @HttpCode(204)
  async deleteMapping(@Param('id') id: string, @Req() req: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    await this.changes.record(req, reply, { kind: 'DeleteMapping', id });
  }

  /**
   * The mapping as Keystone answers, plus `warnings` when a rule will not do
   * what it seems to (a whitelist that does not gate its rule, a rule on a
   * client-controlled header, ...). Keystone's CLI ignores the extra key.
   */
  private mappingAnswer(id: string, req: FastifyRequest) {
    const mapping = this.state.mappings.get(id)!;
    const warnings = mappingWarnings(mapping.rules);
    return {
      mapping: presentMapping(mapping, baseUrl(req)),
      ...(warnings.length > 0 ? { warnings } : {}),
    };
  }
}
