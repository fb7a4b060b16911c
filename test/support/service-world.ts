import assert from 'node:assert/strict';

/** Any client of the registry's HTTP API: fetch, curl, ... */
export type ApiCall = (method: string, path: string, body?: unknown) => Promise<{ status?: number; body: any }>;

/** The guide's local mapping: CN and O of the certificate name a local user. */
export const GUIDE_LOCAL_MAPPING = [
  {
    local: [{ user: { name: '{0}', domain: { name: '{1}' }, type: 'local' } }],
    remote: [
      { type: 'SSL_CLIENT_S_DN_CN', whitelist: ['glance', 'nova', 'swift', 'neutron'] },
      { type: 'SSL_CLIENT_S_DN_O', whitelist: ['Default'] },
    ],
  },
];

export const SERVICE_SCOPE = { 'X-Project-Name': 'service', 'X-Project-Domain-Name': 'Default' };

/**
 * Records the guide's set-up over the HTTP API for one trusted issuer:
 * the local mapping, project "service", user glance with role "member".
 */
export async function recordServiceWorld(call: ApiCall, issuer: string, idp: string): Promise<void> {
  const must = async (method: string, path: string, body?: unknown) => {
    const res = await call(method, path, body);
    assert.ok(res.status !== undefined && res.status < 300, `${method} ${path}: ${res.status} ${JSON.stringify(res.body)}`);
  };
  await must('PUT', '/v1/tokenless', { trusted_issuer: [issuer], protocol: 'x509', issuer_attribute: 'SSL_CLIENT_I_DN' });
  await must('PUT', `/v3/OS-FEDERATION/identity_providers/${idp}`, { identity_provider: { domain_id: 'default' } });
  await must('PUT', '/v3/OS-FEDERATION/mappings/x509_local', { mapping: { rules: GUIDE_LOCAL_MAPPING } });
  await must('PUT', `/v3/OS-FEDERATION/identity_providers/${idp}/protocols/x509`, { protocol: { mapping_id: 'x509_local' } });
  await must('POST', '/v3/projects', { project: { id: 'p-service', name: 'service', domain_id: 'default' } });
  await must('POST', '/v3/roles', { role: { id: 'r-member', name: 'member' } });
  await must('POST', '/v3/users', { user: { id: 'u-glance', name: 'glance', domain_id: 'default' } });
  await must('PUT', '/v3/projects/p-service/users/u-glance/roles/r-member');
}
