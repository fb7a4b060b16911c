import { Controller, Get, Param, Query, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { DataSource } from 'typeorm';
import { validation } from '../../../../libs/domain/src';
import { ChangeHistoryEntity, CheckpointEntity, EventStore } from '../../../../libs/store/src';
import { RequireAccess } from '../http/auth.guard';
import { HISTORY_PROJECTION } from '../../../worker/src/history-projector';

const RESOURCE_TYPES = [
  'settings', 'domain', 'project', 'user', 'group', 'role', 'idp', 'mapping', 'protocol', 'membership',
  'implication', 'assignment', 'token', 'tracked_identity',
];

/** Who changed what, from the worker's change-history projection and the log itself. */
@Controller('v1')
export class HistoryController {
  constructor(
    private readonly dataSource: DataSource,
    private readonly store: EventStore,
  ) {}

  /** `/v1/history/{type}/{id}`; a protocol's id is `{idp_id}/{protocol_id}`. */
  @Get('history/:type/*')
  @RequireAccess('auditor')
  async history(@Param('type') type: string, @Req() req: FastifyRequest) {
    if (!RESOURCE_TYPES.includes(type)) {
      throw validation(`Unknown resource type "${type}"; one of ${RESOURCE_TYPES.join(', ')}.`, 'unknown_resource_type');
    }
    const id = decodeURIComponent((req.params as Record<string, string>)['*'] ?? '');
    const rows = await this.dataSource.getRepository(ChangeHistoryEntity).find({
      where: { resourceType: type, resourceId: id },
      order: { position: 'ASC' },
    });
    const checkpoint = await this.dataSource.getRepository(CheckpointEntity).findOneBy({ name: HISTORY_PROJECTION });
    return {
      resource: { type, id },
      history: rows.map((r) => ({
        position: r.position,
        recorded_at: r.recordedAt.toISOString(),
        event_type: r.eventType,
        actor: r.actor,
        actor_kind: r.actorKind,
        request_id: r.requestId,
        reason: r.reason,
        client_address: r.clientAddress,
        changes: r.changes,
      })),
      projected_through: checkpoint?.position ?? 0,
    };
  }

  /** The whole log, paged by position. */
  @Get('events')
  @RequireAccess('auditor')
  async events(@Query('after') after = '0', @Query('limit') limit = '100') {
    // Plain decimal digits only, and no more than a position can hold.
    const from = /^\d{1,15}$/.test(after) ? Number(after) : NaN;
    const count = Number(limit);
    if (!Number.isInteger(from)) throw validation('after must be a non-negative integer position.', 'invalid_query');
    if (!Number.isInteger(count) || count < 1 || count > 1000) {
      throw validation('limit must be an integer from 1 to 1000.', 'invalid_query');
    }
    const events = await this.store.readAfter(from, count);
    const head = await this.store.headPosition();
    return { events, next_after: events.at(-1)?.position ?? from, head };
  }
}
