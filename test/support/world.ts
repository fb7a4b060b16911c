import type { TestRegistry } from './registry';

/** Records a tokenless case's world through the HTTP API, with the case's own ids. */
export async function loadWorld(reg: TestRegistry, kase: any): Promise<void> {
  const must = async (method: string, path: string, body?: unknown) => {
    const res = await reg.call(method, path, body);
    if (res.status >= 300) throw new Error(`${method} ${path} -> ${res.status} ${JSON.stringify(res.body)}`);
    return res;
  };
  const w = kase.world;
  for (const d of w.domains) {
    if (d.id === 'default') await must('PATCH', '/v3/domains/default', { domain: { name: d.name, enabled: d.enabled ?? true } });
    else await must('POST', '/v3/domains', { domain: d });
  }
  for (const r of w.roles) await must('POST', '/v3/roles', { role: r });
  for (const i of w.implied_roles ?? []) await must('PUT', `/v3/roles/${i.prior_role_id}/implies/${i.implied_role_id}`);
  for (const p of w.projects) await must('POST', '/v3/projects', { project: p });
  for (const u of w.users) await must('POST', '/v3/users', { user: u });
  for (const g of w.groups) await must('POST', '/v3/groups', { group: g });
  for (const m of w.memberships ?? []) await must('PUT', `/v3/groups/${m.group_id}/users/${m.user_id}`);
  for (const a of w.assignments ?? []) {
    const actor = a.user_id ? `users/${a.user_id}` : `groups/${a.group_id}`;
    const target = a.project_id ? `projects/${a.project_id}` : `domains/${a.domain_id}`;
    if (a.inherited) await must('PUT', `/v3/OS-INHERIT/${target}/${actor}/roles/${a.role_id}/inherited_to_projects`);
    else await must('PUT', `/v3/${target}/${actor}/roles/${a.role_id}`);
  }
  for (const m of w.mappings ?? []) await must('PUT', `/v3/OS-FEDERATION/mappings/${m.id}`, { mapping: { rules: m.rules } });
  for (const i of w.identity_providers ?? []) {
    const { id, ...body } = i;
    await must('PUT', `/v3/OS-FEDERATION/identity_providers/${id}`, { identity_provider: body });
  }
  for (const p of w.protocols ?? []) {
    await must('PUT', `/v3/OS-FEDERATION/identity_providers/${p.idp_id}/protocols/${p.protocol_id}`, {
      protocol: { mapping_id: p.mapping_id },
    });
  }
  await must('PUT', '/v1/tokenless', kase.config);
}

export function sortedContext(ctx: Record<string, unknown>): Record<string, unknown> {
  const out = { ...ctx };
  for (const k of ['roles', 'group_ids']) {
    if (Array.isArray(out[k])) out[k] = [...(out[k] as string[])].sort();
  }
  return out;
}
