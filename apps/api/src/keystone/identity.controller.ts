import { Body, Controller, Delete, Get, Head, HttpCode, Param, Patch, Post, Put, Query, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { notFound, streams, validation, type RegistryState } from '../../../../libs/domain/src';
import { baseUrl } from '../http/request-context';
import { extrasOf, validateBody } from '../http/validate';
import { ChangesService, newId } from '../registry/changes.service';
import { DomainBody, GroupBody, ProjectBody, UserBody } from './dto';
import { listOf, presentDomain, presentGroup, presentProject, presentUser } from './present';

const DOMAIN_KEYS = ['id', 'name', 'description', 'enabled', 'tags', 'options'] as const;
const PROJECT_KEYS = ['id', 'name', 'domain_id', 'parent_id', 'description', 'enabled', 'is_domain', 'tags', 'options'] as const;
const USER_KEYS = ['id', 'name', 'domain_id', 'enabled', 'default_project_id', 'password', 'options'] as const;
const GROUP_KEYS = ['id', 'name', 'domain_id', 'description'] as const;

type Q = Record<string, string | undefined>;

function enabledFilter(q: Q): boolean | undefined {
  if (q.enabled === undefined) return undefined;
  return !['false', '0', 'no', 'off'].includes(q.enabled.toLowerCase());
}

function requireName(name: string | undefined, kind: string): string {
  if (name === undefined) throw validation(`'name' is a required property of ${kind}`, 'invalid_body');
  return name;
}

function selfUrl(req: FastifyRequest): string {
  return `${baseUrl(req)}${req.url}`;
}

@Controller('v3/domains')
export class DomainsController {
  constructor(private readonly changes: ChangesService) {}

  private get state(): RegistryState {
    return this.changes.state;
  }

  @Post()
  @HttpCode(201)
  async create(@Body() body: unknown, @Req() req: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    const { domain } = validateBody(DomainBody, body);
    const id = domain.id ?? newId();
    await this.changes.record(req, reply, {
      kind: 'CreateDomain',
      id,
      domain: {
        name: requireName(domain.name, 'domain'),
        description: domain.description ?? undefined,
        enabled: domain.enabled,
        tags: domain.tags,
        extra: extrasOf(domain, DOMAIN_KEYS),
      },
    });
    this.changes.etag(reply, streams.domain(id));
    return { domain: presentDomain(this.state.domains.get(id)!, baseUrl(req)) };
  }

  @Get()
  list(@Query() q: Q, @Req() req: FastifyRequest) {
    const enabled = enabledFilter(q);
    const items = [...this.state.domains.values()]
      .filter((d) => (q.name === undefined || d.name === q.name) && (enabled === undefined || d.enabled === enabled))
      .map((d) => presentDomain(d, baseUrl(req)));
    return listOf('domains', items, selfUrl(req));
  }

  @Get(':id')
  show(@Param('id') id: string, @Req() req: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    const domain = this.state.domains.get(id);
    if (!domain) throw notFound('domain', id);
    this.changes.etag(reply, streams.domain(id));
    return { domain: presentDomain(domain, baseUrl(req)) };
  }

  @Patch(':id')
  async update(
    @Param('id') id: string,
    @Body() body: unknown,
    @Req() req: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const { domain } = validateBody(DomainBody, body);
    if (domain.id !== undefined && domain.id !== id) throw validation('Cannot change ID', 'immutable_id');
    const extra = extrasOf(domain, DOMAIN_KEYS);
    await this.changes.record(req, reply, {
      kind: 'UpdateDomain',
      id,
      patch: {
        name: domain.name,
        description: domain.description ?? undefined,
        enabled: domain.enabled,
        tags: domain.tags,
        ...(Object.keys(extra).length > 0 ? { extra } : {}),
      },
    });
    this.changes.etag(reply, streams.domain(id));
    return { domain: presentDomain(this.state.domains.get(id)!, baseUrl(req)) };
  }

  @Delete(':id')
  @HttpCode(204)
  async remove(@Param('id') id: string, @Req() req: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    await this.changes.record(req, reply, { kind: 'DeleteDomain', id });
  }
}

@Controller('v3/projects')
export class ProjectsController {
  constructor(private readonly changes: ChangesService) {}

  private get state(): RegistryState {
    return this.changes.state;
  }

  @Post()
  @HttpCode(201)
  async create(@Body() body: unknown, @Req() req: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    const { project } = validateBody(ProjectBody, body);
    if (project.is_domain === true) {
      throw validation('Creating projects acting as domains is not supported; use /v3/domains.', 'is_domain_unsupported');
    }
    const id = project.id ?? newId();
    await this.changes.record(req, reply, {
      kind: 'CreateProject',
      id,
      project: {
        name: requireName(project.name, 'project'),
        domain_id: project.domain_id,
        parent_id: project.parent_id,
        description: project.description ?? undefined,
        enabled: project.enabled,
        tags: project.tags,
        extra: extrasOf(project, PROJECT_KEYS),
      },
    });
    this.changes.etag(reply, streams.project(id));
    return { project: presentProject(this.state.projects.get(id)!, baseUrl(req)) };
  }

  @Get()
  list(@Query() q: Q, @Req() req: FastifyRequest) {
    const enabled = enabledFilter(q);
    const items = [...this.state.projects.values()]
      .filter(
        (p) =>
          (q.name === undefined || p.name === q.name) &&
          (q.domain_id === undefined || p.domain_id === q.domain_id) &&
          (q.parent_id === undefined || p.parent_id === q.parent_id) &&
          (enabled === undefined || p.enabled === enabled),
      )
      .map((p) => presentProject(p, baseUrl(req)));
    return listOf('projects', items, selfUrl(req));
  }

  @Get(':id')
  show(@Param('id') id: string, @Req() req: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    const project = this.state.projects.get(id);
    if (!project) throw notFound('project', id);
    this.changes.etag(reply, streams.project(id));
    return { project: presentProject(project, baseUrl(req)) };
  }

  @Patch(':id')
  async update(
    @Param('id') id: string,
    @Body() body: unknown,
    @Req() req: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const { project } = validateBody(ProjectBody, body);
    if (project.id !== undefined && project.id !== id) throw validation('Cannot change ID', 'immutable_id');
    const extra = extrasOf(project, PROJECT_KEYS);
    await this.changes.record(req, reply, {
      kind: 'UpdateProject',
      id,
      patch: {
        name: project.name,
        domain_id: project.domain_id ?? undefined,
        parent_id: project.parent_id ?? undefined,
        description: project.description ?? undefined,
        enabled: project.enabled,
        tags: project.tags,
        ...(Object.keys(extra).length > 0 ? { extra } : {}),
      },
    });
    this.changes.etag(reply, streams.project(id));
    return { project: presentProject(this.state.projects.get(id)!, baseUrl(req)) };
  }

  @Delete(':id')
  @HttpCode(204)
  async remove(@Param('id') id: string, @Req() req: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    await this.changes.record(req, reply, { kind: 'DeleteProject', id });
  }
}

@Controller('v3/users')
export class UsersController {
  constructor(private readonly changes: ChangesService) {}

  private get state(): RegistryState {
    return this.changes.state;
  }

  @Post()
  @HttpCode(201)
  async create(@Body() body: unknown, @Req() req: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    const { user } = validateBody(UserBody, body);
    const id = user.id ?? newId();
    // Passwords are accepted for CLI compatibility but never stored: the registry authenticates by certificate.
    await this.changes.record(req, reply, {
      kind: 'CreateUser',
      id,
      user: {
        name: requireName(user.name, 'user'),
        domain_id: user.domain_id,
        enabled: user.enabled,
        default_project_id: user.default_project_id ?? undefined,
        extra: extrasOf(user, USER_KEYS),
      },
    });
    this.changes.etag(reply, streams.user(id));
    return { user: presentUser(this.state.users.get(id)!, baseUrl(req)) };
  }

  @Get()
  list(@Query() q: Q, @Req() req: FastifyRequest) {
    const enabled = enabledFilter(q);
    const items = [...this.state.users.values()]
      .filter(
        (u) =>
          (q.name === undefined || u.name === q.name) &&
          (q.domain_id === undefined || u.domain_id === q.domain_id) &&
          (enabled === undefined || u.enabled === enabled),
      )
      .map((u) => presentUser(u, baseUrl(req)));
    return listOf('users', items, selfUrl(req));
  }

  @Get(':id')
  show(@Param('id') id: string, @Req() req: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    const user = this.state.users.get(id);
    if (!user) throw notFound('user', id);
    this.changes.etag(reply, streams.user(id));
    return { user: presentUser(user, baseUrl(req)) };
  }

  @Get(':id/groups')
  groups(@Param('id') id: string, @Req() req: FastifyRequest) {
    if (!this.state.users.has(id)) throw notFound('user', id);
    const items = [...(this.state.groupsOfUser.get(id) ?? [])].map((g) =>
      presentGroup(this.state.groups.get(g)!, baseUrl(req)),
    );
    return listOf('groups', items, selfUrl(req));
  }

  @Patch(':id')
  async update(
    @Param('id') id: string,
    @Body() body: unknown,
    @Req() req: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const { user } = validateBody(UserBody, body);
    if (user.id !== undefined && user.id !== id) throw validation('Cannot change ID', 'immutable_id');
    const extra = extrasOf(user, USER_KEYS);
    await this.changes.record(req, reply, {
      kind: 'UpdateUser',
      id,
      patch: {
        name: user.name,
        domain_id: user.domain_id,
        enabled: user.enabled,
        default_project_id: user.default_project_id ?? undefined,
        ...(Object.keys(extra).length > 0 ? { extra } : {}),
      },
    });
    this.changes.etag(reply, streams.user(id));
    return { user: presentUser(this.state.users.get(id)!, baseUrl(req)) };
  }

  @Delete(':id')
  @HttpCode(204)
  async remove(@Param('id') id: string, @Req() req: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    await this.changes.record(req, reply, { kind: 'DeleteUser', id });
  }
}

@Controller('v3/groups')
export class GroupsController {
  constructor(private readonly changes: ChangesService) {}

  private get state(): RegistryState {
    return this.changes.state;
  }

  @Post()
  @HttpCode(201)
  async create(@Body() body: unknown, @Req() req: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    const { group } = validateBody(GroupBody, body);
    const id = group.id ?? newId();
    await this.changes.record(req, reply, {
      kind: 'CreateGroup',
      id,
      group: {
        name: requireName(group.name, 'group'),
        domain_id: group.domain_id,
        description: group.description ?? undefined,
        extra: extrasOf(group, GROUP_KEYS),
      },
    });
    this.changes.etag(reply, streams.group(id));
    return { group: presentGroup(this.state.groups.get(id)!, baseUrl(req)) };
  }

  @Get()
  list(@Query() q: Q, @Req() req: FastifyRequest) {
    const items = [...this.state.groups.values()]
      .filter((g) => (q.name === undefined || g.name === q.name) && (q.domain_id === undefined || g.domain_id === q.domain_id))
      .map((g) => presentGroup(g, baseUrl(req)));
    return listOf('groups', items, selfUrl(req));
  }

  @Get(':id')
  show(@Param('id') id: string, @Req() req: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    const group = this.state.groups.get(id);
    if (!group) throw notFound('group', id);
    this.changes.etag(reply, streams.group(id));
    return { group: presentGroup(group, baseUrl(req)) };
  }

  @Get(':id/users')
  members(@Param('id') id: string, @Req() req: FastifyRequest) {
    if (!this.state.groups.has(id)) throw notFound('group', id);
    const items = [...(this.state.membersOfGroup.get(id) ?? [])].map((u) =>
      presentUser(this.state.users.get(u)!, baseUrl(req)),
    );
    return listOf('users', items, selfUrl(req));
  }

  @Patch(':id')
  async update(
    @Param('id') id: string,
    @Body() body: unknown,
    @Req() req: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const { group } = validateBody(GroupBody, body);
    if (group.id !== undefined && group.id !== id) throw validation('Cannot change ID', 'immutable_id');
    const extra = extrasOf(group, GROUP_KEYS);
    await this.changes.record(req, reply, {
      kind: 'UpdateGroup',
      id,
      patch: {
        name: group.name,
        domain_id: group.domain_id,
        description: group.description ?? undefined,
        ...(Object.keys(extra).length > 0 ? { extra } : {}),
      },
    });
    this.changes.etag(reply, streams.group(id));
    return { group: presentGroup(this.state.groups.get(id)!, baseUrl(req)) };
  }

  @Delete(':id')
  @HttpCode(204)
  async remove(@Param('id') id: string, @Req() req: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    await this.changes.record(req, reply, { kind: 'DeleteGroup', id });
  }

  @Put(':groupId/users/:userId')
  @HttpCode(204)
  async addMember(
    @Param('groupId') groupId: string,
    @Param('userId') userId: string,
    @Req() req: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    await this.changes.record(req, reply, { kind: 'AddUserToGroup', group_id: groupId, user_id: userId });
  }

  @Head(':groupId/users/:userId')
  @HttpCode(204)
  isMember(@Param('groupId') groupId: string, @Param('userId') userId: string, @Res({ passthrough: true }) reply: FastifyReply) {
    if (!this.state.groups.has(groupId)) throw notFound('group', groupId);
    if (!this.state.users.has(userId)) throw notFound('user', userId);
    if (!this.state.membersOfGroup.get(groupId)?.has(userId)) {
      throw notFound('membership', `${userId} in ${groupId}`, 'not_a_member');
    }
    this.changes.etag(reply, streams.membership(groupId, userId));
  }

  @Delete(':groupId/users/:userId')
  @HttpCode(204)
  async removeMember(
    @Param('groupId') groupId: string,
    @Param('userId') userId: string,
    @Req() req: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    await this.changes.record(req, reply, { kind: 'RemoveUserFromGroup', group_id: groupId, user_id: userId });
  }
}
