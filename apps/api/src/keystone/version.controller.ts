import { Controller, Get, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { RequireAccess } from '../http/auth.guard';
import { baseUrl } from '../http/request-context';
import { RegistryIndexService } from '../registry/registry-index.service';
import { SeenDecisionsService } from '../registry/seen-decisions.service';

@Controller()
export class VersionController {
  constructor(
    private readonly registry: RegistryIndexService,
    private readonly seen: SeenDecisionsService,
  ) {}

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

  /**
   * Ready, with how the recording of authorize decisions goes in this
   * process (`audit.dropped`: answered but not recorded). With
   * AUDIT_FAIL_MODE=closed a process that cannot record refuses authorize,
   * so it answers 503 here too and a load balancer can route around it.
   */
  @Get('ready')
  @RequireAccess('public')
  ready(@Res({ passthrough: true }) reply: FastifyReply) {
    const audit = this.seen.status();
    if (audit.fail_mode === 'closed' && !audit.recording) {
      void reply.status(503);
      return { status: 'audit_unavailable', position: this.registry.position, audit };
    }
    return { status: 'ready', position: this.registry.position, audit };
  }
}
