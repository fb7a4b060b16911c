import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DataSource } from 'typeorm';
import { trackedIdentityId, validation, type TrackedIdentity } from '../../../../libs/domain/src';
import { CertificateInputError, apacheEnv } from '../../../../libs/x509/src';
import { Readable } from 'node:stream';
import { AuditExport } from '../../../worker/src/audit-export';
import { TIMELINE_PROJECTION } from '../../../worker/src/grant-timeline';
import { RequireAccess } from '../http/auth.guard';
import { validateBody } from '../http/validate';
import { ChangesService } from '../registry/changes.service';
import { TrackIdentityDto } from './dto';
import { TIMELINE_PAGE } from './timeline-page';
import type { IntervalRow } from '../../../worker/src/audit-export';


function instantParam(name: string, value: string | undefined): string | undefined {
  if (value === undefined || value === '') return undefined;
  if (!/^\d{4}-\d\d-\d\d(?:$|T.*(?:[zZ]|[+-]\d\d(?::?\d\d)?)$)/.test(value) || Number.isNaN(new Date(value).getTime())) {
    throw validation(`${name} must be an ISO 8601 instant with a time zone, got ${value}.`, 'invalid_time');
  }
  return new Date(value).toISOString();
}

function interval(row: IntervalRow) {
  return {
    identity: { id: row.identity_id, issuer: row.issuer_dn, subject: row.subject_dn },
    [row.target_type === 'project' ? 'project_id' : 'domain_id']: row.target_id,
    roles: row.roles,
    from: row.from_at.toISOString(),
    to: row.to_at ? row.to_at.toISOString() : null,
    opened_by: {
      position: Number(row.from_position),
      recorded_at: row.from_at.toISOString(),
      type: row.from_event_type,
      actor: row.from_actor,
      reason: row.from_reason,
    },
    closed_by:
      row.to_position === null
        ? null
        : {
            position: Number(row.to_position),
            recorded_at: row.to_at!.toISOString(),
            type: row.to_event_type,
            actor: row.to_actor,
            reason: row.to_reason,
          },
  };
}

const ENV_NAME = /^(?:HTTPS|SSL_CLIENT_[A-Z0-9_]+)$/;

interface SeenRow {
  identity_id: string;
  issuer_dn: string;
  subject_dn: string;
  scope_type: 'project' | 'domain' | 'requested';
  scope: string;
  outcome: 'granted' | 'refused';
  reason: string | null;
  roles: string[];
  first_seen: Date;
  last_seen: Date;
  count: string;
}

const SEEN_LIMIT = 1000;
const SEEN_MAX_LIMIT = 10_000;

function seenRow(row: SeenRow) {
  const scope =
    row.scope_type === 'requested'
      ? { requested_scope: JSON.parse(row.scope) as Record<string, string> }
      : { [row.scope_type === 'project' ? 'project_id' : 'domain_id']: row.scope };
  return {
    identity: { id: row.identity_id, issuer: row.issuer_dn, subject: row.subject_dn },
    ...scope,
    outcome: row.outcome,
    reason: row.reason,
    roles: row.roles,
    first_seen: row.first_seen.toISOString(),
    last_seen: row.last_seen.toISOString(),
    count: Number(row.count),
  };
}

/**
 * The audit: identities the grant timeline follows, the intervals during
 * which they held roles, and who held a role where. Read from the worker's
 * projection; every answer says how far the projection has got.
 */
@Controller('v1/audit')
export class AuditController {
  constructor(
    private readonly changes: ChangesService,
    private readonly dataSource: DataSource,
  ) {}

  private present(identity: TrackedIdentity) {
    return { id: identity.id, issuer: identity.issuer, subject: identity.subject, label: identity.label, env: identity.env };
  }

  /** The timeline page (no data of its own; its script asks the grants endpoint with the caller's token). */
  @Get('timeline')
  @RequireAccess('public')
  timelinePage(@Res() reply: FastifyReply) {
    return reply
      .header('Content-Type', 'text/html; charset=utf-8')
      .header('Content-Security-Policy', "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'")
      .send(TIMELINE_PAGE);
  }

  @Post('identities')
  @HttpCode(201)
  @RequireAccess('auditor')
  async track(@Body() body: unknown, @Req() req: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    const dto = validateBody(TrackIdentityDto, body);
    if ((dto.certificate === undefined) === (dto.env === undefined)) {
      throw validation('Give either a PEM certificate or an SSL_CLIENT_* environment.', 'identity_input_invalid');
    }
    let env: Record<string, string>;
    if (dto.certificate !== undefined) {
      try {
        env = apacheEnv(dto.certificate, { exportCertData: false });
      } catch (err) {
        if (err instanceof CertificateInputError) throw validation(err.message, `certificate_${err.reason}`);
        throw err;
      }
    } else {
      env = {};
      for (const [name, value] of Object.entries(dto.env!)) {
        if (!ENV_NAME.test(name) || typeof value !== 'string') {
          throw validation(`env may hold only SSL_CLIENT_* strings; ${name} is not one.`, 'identity_env_invalid');
        }
        env[name] = value;
      }
    }
    const issuer = env.SSL_CLIENT_I_DN;
    const subject = env.SSL_CLIENT_S_DN;
    if (!issuer || !subject) {
      throw validation('The identity needs SSL_CLIENT_I_DN and SSL_CLIENT_S_DN.', 'identity_incomplete');
    }
    await this.changes.record(req, reply, {
      kind: 'TrackIdentity',
      identity: { issuer, subject, env, label: dto.label ?? null },
    });
    return { identity: this.present(this.changes.state.trackedIdentities.get(trackedIdentityId(issuer, subject))!) };
  }

  @Get('identities')
  @RequireAccess('auditor')
  async list() {
    const identities = [...this.changes.state.trackedIdentities.values()].sort((a, b) => a.id.localeCompare(b.id));
    const named = (await this.dataSource.query(
      'SELECT id, issuer_dn, subject_dn, label, env, since_position FROM audit_named_identities ORDER BY id',
    )) as { id: string; issuer_dn: string; subject_dn: string; label: string | null; env: Record<string, string>; since_position: string }[];
    return {
      identities: identities.map((i) => this.present(i)),
      // Followed because a mapping in use named them (whitelist / any_one_of values), as far as the worker has got.
      named_by_mappings: named.map((n) => ({
        id: n.id,
        issuer: n.issuer_dn,
        subject: n.subject_dn,
        label: n.label,
        env: n.env,
        since_position: Number(n.since_position),
      })),
      projected_through: await this.checkpoint(),
    };
  }

  @Delete('identities/:id')
  @HttpCode(204)
  @RequireAccess('auditor')
  async untrack(@Param('id') id: string, @Req() req: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    await this.changes.record(req, reply, { kind: 'UntrackIdentity', id });
  }

  /** An identity's intervals (by `identity` id, or `issuer` and `subject` DN) overlapping [from, to]. */
  @Get('grants')
  @RequireAccess('auditor')
  async grants(
    @Query('identity') identity?: string,
    @Query('issuer') issuer?: string,
    @Query('subject') subject?: string,
    @Query('from') from?: string,
    @Query('to') to?: string,
  ) {
    let id = identity;
    if (id === undefined) {
      if (!issuer || !subject) throw validation('Give identity, or issuer and subject.', 'identity_required');
      id = trackedIdentityId(issuer, subject);
    }
    const rows = await this.intervals(['i.identity_id = $1'], [id], from, to);
    // An identity nobody follows has no timeline at all, which is not the same as one that held nothing.
    const followed = (await this.dataSource.query('SELECT 1 FROM audit_identities WHERE id = $1', [id])).length > 0;
    return { identity_id: id, followed, intervals: rows.map(interval), projected_through: await this.checkpoint() };
  }

  /**
   * The decisions the authorize endpoints have seen, one row per identity,
   * scope, outcome and roles, seen in [from, to]; `outcome` is granted,
   * refused or a refusal's reason. Newest first, at most `limit` rows.
   * Decisions reach the table in batches, a moment after they are answered.
   */
  @Get('seen')
  @RequireAccess('auditor')
  async seen(
    @Query('issuer') issuer?: string,
    @Query('subject') subject?: string,
    @Query('from') fromParam?: string,
    @Query('to') toParam?: string,
    @Query('outcome') outcome?: string,
    @Query('limit') limitParam?: string,
  ) {
    const from = instantParam('from', fromParam);
    const to = instantParam('to', toParam);
    if (from && to && from > to) throw validation('from is after to.', 'invalid_time_range');
    let limit = SEEN_LIMIT;
    if (limitParam !== undefined && limitParam !== '') {
      limit = Number(limitParam);
      if (!/^\d+$/.test(limitParam) || limit < 1 || limit > SEEN_MAX_LIMIT) {
        throw validation(`limit must be an integer from 1 to ${SEEN_MAX_LIMIT}.`, 'invalid_limit');
      }
    }
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (clause: (n: string) => string, value: unknown) => {
      params.push(value);
      where.push(clause(`$${params.length}`));
    };
    if (issuer !== undefined && subject !== undefined) add((n) => `identity_id = ${n}`, trackedIdentityId(issuer, subject));
    if (issuer !== undefined) add((n) => `issuer_dn = ${n}`, issuer);
    if (subject !== undefined) add((n) => `subject_dn = ${n}`, subject);
    if (outcome !== undefined && outcome !== '') {
      if (!/^[a-z0-9_]{1,64}$/.test(outcome)) throw validation('outcome is granted, refused or a refusal reason.', 'invalid_outcome');
      if (outcome === 'granted' || outcome === 'refused') add((n) => `outcome = ${n}`, outcome);
      else add((n) => `reason = ${n}`, outcome);
    }
    if (from) add((n) => `last_seen >= ${n}`, from);
    if (to) add((n) => `first_seen <= ${n}`, to);
    params.push(limit + 1);
    const rows = (await this.dataSource.query(
      `SELECT identity_id, issuer_dn, subject_dn, scope_type, scope, outcome, reason, roles, first_seen, last_seen, count
       FROM audit_seen_decisions ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY last_seen DESC, key LIMIT $${params.length}`,
      params,
    )) as SeenRow[];
    return { seen: rows.slice(0, limit).map(seenRow), truncated: rows.length > limit };
  }

  /** Who held `role` (or any role) on a project or domain during [from, to]. */
  @Get('holders')
  @RequireAccess('auditor')
  async holders(
    @Query('project') project?: string,
    @Query('domain') domain?: string,
    @Query('role') role?: string,
    @Query('from') from?: string,
    @Query('to') to?: string,
  ) {
    if ((project === undefined) === (domain === undefined)) {
      throw validation('Give either project or domain.', 'target_required');
    }
    const where = ['i.target_type = $1', 'i.target_id = $2'];
    const params: unknown[] = [project !== undefined ? 'project' : 'domain', project ?? domain];
    if (role) {
      params.push(role);
      where.push(`$${params.length} = ANY(i.roles)`);
    }
    const rows = await this.intervals(where, params, from, to);
    return { holders: rows.map(interval), projected_through: await this.checkpoint() };
  }

  /**
   * The change history and grant timeline in [from, to) as CSV or JSON
   * Lines, streamed from one database snapshot with constant memory. The
   * headers carry what the CLI's manifest holds (bar the file's SHA-256,
   * which `tokenless audit export` computes as it writes).
   */
  @Get('export')
  @RequireAccess('auditor')
  async export(
    @Res() reply: FastifyReply,
    @Query('format') format = 'csv',
    @Query('from') fromParam?: string,
    @Query('to') toParam?: string,
  ) {
    if (format !== 'csv' && format !== 'jsonl') throw validation('format must be csv or jsonl.', 'invalid_format');
    const from = instantParam('from', fromParam) ?? null;
    const to = instantParam('to', toParam) ?? null;
    if (from && to && from > to) throw validation('from is after to.', 'invalid_time_range');
    const exp = await AuditExport.open(this.dataSource, { format, from, to });
    const body = Readable.from(
      (async function* () {
        try {
          for await (const { text } of exp.chunks()) yield Buffer.from(text, 'utf8');
        } finally {
          await exp.close();
        }
      })(),
    );
    const plan = exp.plan;
    return reply
      .header('Content-Type', format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8')
      .header('Content-Disposition', `attachment; filename="audit-${plan.position_range.to}.${format}"`)
      .header('X-Export-Position-To', String(plan.position_range.to))
      .header('X-Export-Chain-Head', plan.hash_chain_head.hash)
      .header('X-Export-Timeline-Through', String(plan.timeline_through))
      .send(body);
  }

  private async intervals(where: string[], params: unknown[], fromParam?: string, toParam?: string): Promise<IntervalRow[]> {
    const from = instantParam('from', fromParam);
    const to = instantParam('to', toParam);
    if (from && to && from > to) throw validation('from is after to.', 'invalid_time_range');
    const clauses = [...where];
    const all = [...params];
    if (from) {
      all.push(from);
      clauses.push(`(i.to_at IS NULL OR i.to_at > $${all.length})`);
    }
    if (to) {
      all.push(to);
      clauses.push(`i.from_at <= $${all.length}`);
    }
    return (await this.dataSource.query(
      `SELECT i.*, a.issuer_dn, a.subject_dn FROM grant_intervals i JOIN audit_identities a ON a.id = i.identity_id
       WHERE ${clauses.join(' AND ')}
       ORDER BY i.identity_id, i.from_position, i.target_type, i.target_id`,
      all,
    )) as IntervalRow[];
  }

  private async checkpoint(): Promise<number> {
    const rows = (await this.dataSource.query('SELECT position FROM checkpoints WHERE name = $1', [
      TIMELINE_PROJECTION,
    ])) as { position: string }[];
    return rows.length > 0 ? Number(rows[0].position) : 0;
  }
}
