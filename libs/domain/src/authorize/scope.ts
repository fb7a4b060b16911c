import { DomainError, GENERIC_401, validation } from '../errors';
import type { RegistryState } from '../model/state';

export type Scope = { type: 'project'; id: string } | { type: 'domain'; id: string };

const NO_SCOPE =
  'Expecting to find project or domain in scope. The server could not comply with the request ' +
  'since it is either malformed or otherwise incorrect. The client is assumed to be in error.';

/** Header look-up the way a WSGI environ sees it: case-insensitive, empty means absent. */
export function headerReader(headers: Record<string, unknown>): (name: string) => string | undefined {
  const lower = new Map<string, string>();
  for (const [key, value] of Object.entries(headers)) {
    if (typeof value === 'string') lower.set(key.toLowerCase(), value);
  }
  return (name) => {
    const value = lower.get(name.toLowerCase());
    return value === undefined || value === '' ? undefined : value;
  };
}

function scopeRefused(detail: string): DomainError {
  return new DomainError(401, 'Unauthorized', GENERIC_401, 'scope_invalid', detail);
}

/**
 * Resolves the scope Keystone's tokenless path reads from X-Project-* and
 * X-Domain-* headers, first match wins; failures to resolve are 401 with
 * Keystone's generic text and the detail kept for the operator.
 */
export function resolveScope(state: RegistryState, header: (name: string) => string | undefined): Scope {
  const projectId = header('X-Project-Id');
  if (projectId !== undefined) {
    const project = state.projects.get(projectId);
    if (!project) throw scopeRefused(`Could not find project: ${projectId}.`);
    checkProjectUsable(state, project.id);
    return { type: 'project', id: project.id };
  }
  const projectName = header('X-Project-Name');
  if (projectName !== undefined) {
    const domainId = header('X-Project-Domain-Id');
    const domainName = header('X-Project-Domain-Name');
    if (domainId === undefined && domainName === undefined) {
      throw validation('Neither Project Domain ID nor Project Domain Name was provided.', 'scope_invalid');
    }
    const domain =
      domainId !== undefined ? state.domains.get(domainId) : state.domainByName(domainName as string);
    if (!domain) throw scopeRefused(`Could not find domain: ${domainId ?? domainName}.`);
    if (!domain.enabled) throw scopeRefused(`Domain is disabled: ${domain.id}.`);
    const project = state.projectByName(domain.id, projectName);
    if (!project) throw scopeRefused(`Could not find project: ${projectName}.`);
    checkProjectUsable(state, project.id);
    return { type: 'project', id: project.id };
  }
  const domainId = header('X-Domain-Id');
  const domainName = header('X-Domain-Name');
  if (domainId !== undefined || domainName !== undefined) {
    const domain = domainId !== undefined ? state.domains.get(domainId) : state.domainByName(domainName as string);
    if (!domain) throw scopeRefused(`Could not find domain: ${domainId ?? domainName}.`);
    if (!domain.enabled) throw scopeRefused(`Domain is disabled: ${domain.id}.`);
    return { type: 'domain', id: domain.id };
  }
  throw validation(NO_SCOPE, 'scope_missing');
}

function checkProjectUsable(state: RegistryState, projectId: string): void {
  const project = state.projects.get(projectId)!;
  const domain = state.domains.get(project.domain_id);
  if (!domain) throw scopeRefused(`Could not find domain: ${project.domain_id}.`);
  if (!domain.enabled) throw scopeRefused(`Domain is disabled: ${domain.id}.`);
  if (!project.enabled) throw scopeRefused(`Project is disabled: ${project.id}.`);
}
