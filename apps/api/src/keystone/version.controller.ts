import { Controller, Get, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { RequireAccess } from '../http/auth.guard';
import { baseUrl } from '../http/request-context';
import { RegistryIndexService } from '../registry/registry-index.service';

@Controller()
export class VersionController {
  constructor(private readonly registry: RegistryIndexService) {}

  @Get('v3')
  @RequireAccess('public')
  version(@Req() req: FastifyRequest) {
    return {
      version: {
        id: 'v3.14',
        status: 'stable',
        updated: '2020-04-07T00:00:00Z',
        links: [{ rel: 'self', href: `${baseUrl(req)}/v3/` }],
        'media-types': [{ base: 'application/json', type: 'application/vnd.openstack.identity-v3+json' }],
      },
    };
  }

  @Get('health')
  @RequireAccess('public')
  health() {
    return { status: 'ok' };
  }

  @Get('ready')
  @RequireAccess('public')
  ready() {
    return { status: 'ready', position: this.registry.position };
  }
}
