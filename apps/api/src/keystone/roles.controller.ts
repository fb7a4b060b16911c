import { Body, Controller, Delete, Get, Head, HttpCode, Param, Patch, Post, Put, Query, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  DomainError,
  notFound,
  streams,
  validation,
  type RegistryState,
  type RoleAssignment,
} from '../../../../libs/domain/src';
import { baseUrl } from '../http/request-context';
import { extrasOf, validateBody } from '../http/validate';
import { ChangesService, newId } from '../registry/changes.service';
import { RoleBody } from './dto';
import { listOf, presentRole, presentRoleRef } from './present';
import { listRoleAssignments } from './role-assignments';

const ROLE_KEYS = ['id', 'name', 'domain_id', 'description', 'options'] as const;

@Controller('v3')
export class RolesController {
  constructor(private readonly changes: ChangesService) {}

  private get state(): RegistryState {
    return this.changes.state;
  }

  @Post('roles')
  @HttpCode(201)
  async create(@Body() body: unknown, @Req() req: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    const { role } = validateBody(RoleBody, body);
    if (role.name === undefined) throw validation("'name' is a required property of role", 'invalid_body');
    const id = role.id ?? newId();
    await this.changes.record(req, reply, {
      kind: 'CreateRole',
      id,
      role: { name: role.name, domain_id: role.domain_id, description: role.description, extra: extrasOf(role, ROLE_KEYS) },
    });
    this.changes.etag(reply, streams.role(id));
    return { role: presentRole(this.state.roles.get(id)!, baseUrl(req)) };
  }

  @Get('roles')
  list(@Query() q: Record<string, string | undefined>, @Req() req: FastifyRequest) {
    const items = [...this.state.roles.values()]
      .filter(
        (r) =>
          (q.name === undefined || r.name === q.name) &&
          // Keystone lists global roles unless a domain is asked for.
          (q.domain_id === undefined ? r.domain_id === null : r.domain_id === q.domain_id),
      )
      .map((r) => presentRole(r, baseUrl(req)));
    return listOf('roles', items, `${baseUrl(req)}${req.url}`);
  }

  @Get('roles/:id')
  show(@Param('id') id: string, @Req() req: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    const role = this.state.roles.get(id);
    if (!role) throw notFound('role', id);
    this.changes.etag(reply, streams.role(id));
    return { role: presentRole(role, baseUrl(req)) };
  }

  @Patch('roles/:id')
  async update(
    @Param('id') id: string,
    @Body() body: unknown,
    @Req() req: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const { role } = validateBody(RoleBody, body);
    if (role.id !== undefined && role.id !== id) throw validation('Cannot change ID', 'immutable_id');
    const extra = extrasOf(role, ROLE_KEYS);
    await this.changes.record(req, reply, {
      kind: 'UpdateRole',
      id,
      patch: {
        name: role.name,
        domain_id: role.domain_id,
        description: role.description,
        ...(Object.keys(extra).length > 0 ? { extra } : {}),
      },
    });
    this.changes.etag(reply, streams.role(id));
    return { role: presentRole(this.state.roles.get(id)!, baseUrl(req)) };
  }

  @Delete('roles/:id')
  @HttpCode(204)
  async remove(@Param('id') id: string, @Req() req: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    await this.changes.record(req, reply, { kind: 'DeleteRole', id });
  }

  @Put('roles/:prior/implies/:implied')
  @HttpCode(201)
  async imply(
    @Param('prior') prior: string,
    @Param('implied') implied: string,
    @Req() req: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    await this.changes.record(req, reply, { kind: 'ImplyRole', prior_role_id: prior, implied_role_id: implied });
    return this.inference(prior, implied, req);
  }

  @Get('roles/:prior/implies/:implied')
  showImplied(@Param('prior') prior: string, @Param('implied') implied: string, @Req() req: FastifyRequest) {
    this.requireImplication(prior, implied);
    return this.inference(prior, implied, req);
  }

  @Head('roles/:prior/implies/:implied')
  @HttpCode(204)
  checkImplied(@Param('prior') prior: string, @Param('implied') implied: string, @Res({ passthrough: true }) reply: FastifyReply) {
    this.requireImplication(prior, implied);
    this.changes.etag(reply, streams.implication(prior, implied));
  }

  @Get('roles/:prior/implies')
  listImplied(@Param('prior') prior: string, @Req() req: FastifyRequest) {
    const role = this.state.roles.get(prior);
    if (!role) throw notFound('role', prior);
    const base = baseUrl(req);
    const implies = [...(this.state.impliedRoles.get(prior) ?? [])].map((id) =>
      presentRoleRef(this.state.roles.get(id)!, base),
    );
    return {
      role_inference: { prior_role: presentRoleRef(role, base), implies },
      links: { self: `${base}/v3/roles/${prior}/implies` },
    };
  }

  @Delete('roles/:prior/implies/:implied')
  @HttpCode(204)
  async removeImplied(
    @Param('prior') prior: string,
    @Param('implied') implied: string,
    @Req() req: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    await this.changes.record(req, reply, { kind: 'RemoveImpliedRole', prior_role_id: prior, implied_role_id: implied });
  }

  @Get('role_inferences')
  inferences(@Req() req: FastifyRequest) {
    const base = baseUrl(req);
    const role_inferences = [...this.state.impliedRoles.entries()].map(([prior, implied]) => ({
      prior_role: presentRoleRef(this.state.roles.get(prior)!, base),
      implies: [...implied].map((id) => presentRoleRef(this.state.roles.get(id)!, base)),
    }));
    return { role_inferences };
  }

  @Get('role_assignments')
  assignments(@Query() q: Record<string, string | undefined>, @Req() req: FastifyRequest) {
    return listRoleAssignments(this.state, q, baseUrl(req), `${baseUrl(req)}${req.url}`);
  }

  private requireImplication(prior: string, implied: string): void {
    if (!this.state.roles.has(prior)) throw notFound('role', prior);
    if (!this.state.roles.has(implied)) throw notFound('role', implied);
    if (!this.state.impliedRoles.get(prior)?.has(implied)) {
      throw notFound('role inference', `${prior} -> ${implied}`, 'implied_role_not_found');
    }
  }

  private inference(prior: string, implied: string, req: FastifyRequest) {
    const base = baseUrl(req);
    return {
      role_inference: {
        prior_role: presentRoleRef(this.state.roles.get(prior)!, base),
        implies: presentRoleRef(this.state.roles.get(implied)!, base),
      },
      links: { self: `${base}/v3/roles/${prior}/implies/${implied}` },
    };
  }
}

type TargetKind = 'projects' | 'domains';
type ActorKind = 'users' | 'groups';

function assignmentFrom(target: string, targetId: string, actor: string, actorId: string, roleId: string, inherited: boolean): RoleAssignment {
  if (target !== 'projects' && target !== 'domains') throw notFound('resource', target);
  if (actor !== 'users' && actor !== 'groups') throw notFound('resource', actor);
  return {
    role_id: roleId,
    actor_type: (actor as ActorKind) === 'users' ? 'user' : 'group',
    actor_id: actorId,
    target_type: (target as TargetKind) === 'projects' ? 'project' : 'domain',
    target_id: targetId,
    inherited,
  };
}

/** Grants: `/v3/{projects|domains}/{id}/{users|groups}/{id}/roles/{role}` and their OS-INHERIT twins. */
@Controller('v3')
export class GrantsController {
  constructor(private readonly changes: ChangesService) {}

  @Put(':target/:targetId/:actor/:actorId/roles/:roleId')
  @HttpCode(204)
  async grant(@Param() p: Record<string, string>, @Req() req: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    const assignment = assignmentFrom(p.target, p.targetId, p.actor, p.actorId, p.roleId, false);
    await this.changes.record(req, reply, { kind: 'GrantRole', assignment });
  }

  @Head(':target/:targetId/:actor/:actorId/roles/:roleId')
  @HttpCode(204)
  check(@Param() p: Record<string, string>, @Res({ passthrough: true }) reply: FastifyReply) {
    const assignment = assignmentFrom(p.target, p.targetId, p.actor, p.actorId, p.roleId, false);
    this.requireGrant(assignment);
    this.changes.etag(reply, streams.assignment(assignment));
  }

  @Get(':target/:targetId/:actor/:actorId/roles')
  listGrants(@Param() p: Record<string, string>, @Req() req: FastifyRequest) {
    const probe = assignmentFrom(p.target, p.targetId, p.actor, p.actorId, '-', false);
    const state = this.changes.state;
    const roles = state
      .assignmentsOn(probe.target_type, probe.target_id)
      .filter((a) => !a.inherited && a.actor_type === probe.actor_type && a.actor_id === probe.actor_id)
      .map((a) => state.roles.get(a.role_id)!);
    const base = baseUrl(req);
    return listOf(
      'roles',
      roles.map((r) => ({ id: r.id, name: r.name, domain_id: r.domain_id, description: r.description, options: {}, links: { self: `${base}/v3/roles/${r.id}` } })),
      `${base}${req.url}`,
    );
  }

  @Delete(':target/:targetId/:actor/:actorId/roles/:roleId')
  @HttpCode(204)
  async revoke(@Param() p: Record<string, string>, @Req() req: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    const assignment = assignmentFrom(p.target, p.targetId, p.actor, p.actorId, p.roleId, false);
    await this.changes.record(req, reply, { kind: 'RevokeRole', assignment });
  }

  @Put('OS-INHERIT/:target/:targetId/:actor/:actorId/roles/:roleId/inherited_to_projects')
  @HttpCode(204)
  async grantInherited(@Param() p: Record<string, string>, @Req() req: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    const assignment = assignmentFrom(p.target, p.targetId, p.actor, p.actorId, p.roleId, true);
    await this.changes.record(req, reply, { kind: 'GrantRole', assignment });
  }

  @Head('OS-INHERIT/:target/:targetId/:actor/:actorId/roles/:roleId/inherited_to_projects')
  @HttpCode(204)
  checkInherited(@Param() p: Record<string, string>, @Res({ passthrough: true }) reply: FastifyReply) {
    const assignment = assignmentFrom(p.target, p.targetId, p.actor, p.actorId, p.roleId, true);
    this.requireGrant(assignment);
    this.changes.etag(reply, streams.assignment(assignment));
  }

  @Delete('OS-INHERIT/:target/:targetId/:actor/:actorId/roles/:roleId/inherited_to_projects')
  @HttpCode(204)
  async revokeInherited(@Param() p: Record<string, string>, @Req() req: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    const assignment = assignmentFrom(p.target, p.targetId, p.actor, p.actorId, p.roleId, true);
    await this.changes.record(req, reply, { kind: 'RevokeRole', assignment });
  }

  private requireGrant(a: RoleAssignment): void {
    const found = this.changes.state
      .assignmentsOn(a.target_type, a.target_id)
      .some((x) => x.role_id === a.role_id && x.actor_type === a.actor_type && x.actor_id === a.actor_id && x.inherited === a.inherited);
    if (!found) {
      throw new DomainError(
        404,
        'Not Found',
        `Could not find role assignment with role: ${a.role_id}, user or group: ${a.actor_id}, project, domain, or system: ${a.target_id}.`,
        'assignment_not_found',
      );
    }
  }
}
