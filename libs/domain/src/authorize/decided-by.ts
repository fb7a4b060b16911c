import { streams } from '../model/events';
import type { RegistryState } from '../model/state';
import { idpIdForIssuer, type AuthorizeRequest, type AuthorizeResult } from './authorize';

/** A resource an answer depended on and the position of the last event that changed it. */
export interface DecidingEvent {
  stream: string;
  position: number;
}

/**
 * The events an authorize answer rests on: for every resource the decision
 * read (trusted issuers, identity provider, protocol, mapping, scope target,
 * user, groups, memberships, role assignments, roles), the position of the
 * last event of its stream in `state`. Resources that do not exist (a
 * missing protocol, say) are absent; the answer's `position` covers them.
 */
export function decidedBy(state: RegistryState, req: AuthorizeRequest, result: AuthorizeResult): DecidingEvent[] {
  const out = new Map<string, number>();
  const note = (stream: string) => {
    const position = state.changedAt.get(stream);
    if (position !== undefined) out.set(stream, position);
  };
  note(streams.settings());
  const issuer = req.env[state.settings.issuer_attribute];
  if (typeof issuer === 'string' && state.settings.trusted_issuer.includes(issuer)) {
    const idpId = idpIdForIssuer(issuer);
    note(streams.idp(idpId));
    const protocol = state.protocols.get(`${idpId}/${state.settings.protocol}`);
    if (protocol) {
      note(streams.protocol(idpId, protocol.id));
      note(streams.mapping(protocol.mapping_id));
    }
  }
  if (result.outcome === 'granted') {
    const ctx = result.auth_context;
    const targets = new Set<string>();
    if (typeof ctx.project_id === 'string') {
      let project = state.projects.get(ctx.project_id);
      const seen = new Set<string>();
      if (project) {
        note(streams.domain(project.domain_id));
        targets.add(`domain:${project.domain_id}`);
      }
      while (project && !seen.has(project.id)) {
        seen.add(project.id);
        note(streams.project(project.id));
        targets.add(`project:${project.id}`);
        project = state.projects.get(project.parent_id);
      }
    } else if (typeof ctx.domain_id === 'string') {
      note(streams.domain(ctx.domain_id));
      targets.add(`domain:${ctx.domain_id}`);
    }
    const actors: string[] = [];
    if (typeof ctx.user_id === 'string') {
      note(streams.user(ctx.user_id));
      actors.push(`user:${ctx.user_id}`);
      for (const groupId of state.groupsOfUser.get(ctx.user_id) ?? []) {
        note(streams.membership(groupId, ctx.user_id));
        note(streams.group(groupId));
        actors.push(`group:${groupId}`);
      }
    }
    for (const groupId of (ctx.group_ids as string[] | undefined) ?? []) {
      note(streams.group(groupId));
      actors.push(`group:${groupId}`);
    }
    const roleIds = new Set<string>();
    for (const actor of actors) {
      for (const key of state.assignmentsByActor.get(actor) ?? []) {
        const a = state.assignments.get(key)!;
        if (!targets.has(`${a.target_type}:${a.target_id}`)) continue;
        note(streams.assignment(a));
        roleIds.add(a.role_id);
      }
    }
    const stack = [...roleIds];
    const expanded = new Set<string>();
    while (stack.length > 0) {
      const id = stack.pop()!;
      if (expanded.has(id)) continue;
      expanded.add(id);
      note(streams.role(id));
      for (const implied of state.impliedRoles.get(id) ?? []) {
        note(streams.implication(id, implied));
        stack.push(implied);
      }
    }
  }
  return [...out].map(([stream, position]) => ({ stream, position })).sort((a, b) => a.position - b.position);
}
