import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { apacheEnv, idpId, issuerDn } from '../../libs/x509/src';
import { TestPki } from '../support/pki';
import { startTestRegistry, type TestRegistry } from '../support/registry';

/** The two mappings of Keystone's "Configuring Keystone for Tokenless Authorization", verbatim. */
const GUIDE_LOCAL_MAPPING = [
  {
    local: [{ user: { name: '{0}', domain: { name: '{1}' }, type: 'local' } }],
    remote: [
      { type: 'SSL_CLIENT_S_DN_CN', whitelist: ['glance', 'nova', 'swift', 'neutron'] },
      { type: 'SSL_CLIENT_S_DN_O', whitelist: ['Default'] },
    ],
  },
];
const GUIDE_EPHEMERAL_MAPPING = [
  {
    local: [
      {
        user: { name: '{0}', type: 'ephemeral' },
        group: { domain: { name: '{1}' }, name: 'openstack_services' },
      },
    ],
    remote: [
      { type: 'SSL_CLIENT_S_DN_CN', whitelist: ['glance', 'nova', 'swift', 'neutron'] },
      { type: 'SSL_CLIENT_S_DN_O', whitelist: ['Default'] },
    ],
  },
];

const SERVICE_SCOPE = { 'X-Project-Name': 'service', 'X-Project-Domain-Name': 'Default' };

describe('the guide, end to end, on real certificates', () => {
  const pki = new TestPki();
  let reg: TestRegistry;
  let glance: string;
  let alex: string;
  let stranger: string;
  let idp: string;
  let issuer: string;

  before(async () => {
    pki.ca('root', '/DC=com/DC=somedemo/O=openstack/OU=keystone/CN=Root CA');
    pki.ca('intermediate', '/DC=com/DC=somedemo/O=openstack/OU=keystone/CN=Intermediate CA', 'root');
    pki.ca('other', '/DC=org/DC=elsewhere/O=other/CN=Other CA');
    glance = pki.pem(pki.client('glance', '/DC=com/DC=somedemo/O=Default/OU=keystone/CN=glance', 'intermediate'));
    alex = pki.pem(pki.client('alex', '/DC=com/DC=somedemo/O=Default/OU=eng/CN=alex', 'intermediate'));
    stranger = pki.pem(pki.client('stranger', '/DC=org/DC=elsewhere/O=Default/CN=glance', 'other'));
    reg = await startTestRegistry();
  });

  after(async () => {
    await reg?.stop();
  });

  const authorize = (pem: string, headers: Record<string, string> = SERVICE_SCOPE) =>
    reg.call('POST', '/v1/authorize', { env: apacheEnv(pem), headers });

  test('issuer DN and IdP id equal what the guide\'s openssl pipelines print', () => {
    issuer = issuerDn(glance, 'apache');
    idp = idpId(glance, 'apache');
    assert.equal(issuer, 'CN=Intermediate CA,OU=keystone,O=openstack,DC=somedemo,DC=com');
    const piped = pki.sh(`openssl x509 -issuer -noout -in glance.pem -nameopt rfc2253 | sed 's/^\\s*issuer=//'`);
    assert.equal(issuer, piped.replace(/\n$/, ''));
    const pipedId = pki.sh(
      `openssl x509 -issuer -noout -in glance.pem -nameopt rfc2253 | tr -d '\\n' | sed 's/^\\s*issuer=//' | openssl dgst -sha256 -hex | awk '{print $2}'`,
    );
    assert.equal(idp, pipedId.trim());
    assert.equal(apacheEnv(glance).SSL_CLIENT_I_DN, issuer);
  });

  test('records the guide\'s setup over the HTTP API', async () => {
    const must = async (method: string, path: string, body?: unknown) => {
      const res = await reg.call(method, path, body);
      assert.ok(res.status < 300, `${method} ${path}: ${res.status} ${JSON.stringify(res.body)}`);
      return res;
    };
    await must('PUT', '/v1/tokenless', { trusted_issuer: [issuer], protocol: 'x509', issuer_attribute: 'SSL_CLIENT_I_DN' });
    await must('PUT', `/v3/OS-FEDERATION/identity_providers/${idp}`, { identity_provider: { description: 'IDP foo', domain_id: 'default' } });
    const local = await must('PUT', '/v3/OS-FEDERATION/mappings/x509_local', { mapping: { rules: GUIDE_LOCAL_MAPPING } });
    assert.ok(local.body.warnings?.length > 0);
    const ephemeral = await must('PUT', '/v3/OS-FEDERATION/mappings/x509_ephemeral', { mapping: { rules: GUIDE_EPHEMERAL_MAPPING } });
    assert.ok(
      ephemeral.body.warnings.some((w: { message: string }) => /whitelist/i.test(w.message)),
      'recording the ephemeral mapping warns that its whitelist does not gate the rule',
    );
    await must('PUT', `/v3/OS-FEDERATION/identity_providers/${idp}/protocols/x509`, { protocol: { mapping_id: 'x509_local' } });
    await must('POST', '/v3/projects', { project: { id: 'p-service', name: 'service', domain_id: 'default' } });
    await must('POST', '/v3/roles', { role: { id: 'r-service', name: 'service' } });
    await must('POST', '/v3/roles', { role: { id: 'r-member', name: 'member' } });
    await must('POST', '/v3/groups', { group: { id: 'g-svc', name: 'openstack_services', domain_id: 'default' } });
    await must('PUT', '/v3/projects/p-service/groups/g-svc/roles/r-service');
    await must('POST', '/v3/users', { user: { id: 'u-glance', name: 'glance', domain_id: 'default' } });
    await must('PUT', '/v3/projects/p-service/users/u-glance/roles/r-member');
  });

  test('the local mapping authorizes glance as the local user with its roles', async () => {
    const res = await authorize(glance);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual(res.body.auth_context, {
      user_id: 'u-glance',
      is_delegated_auth: false,
      project_id: 'p-service',
      roles: ['member'],
    });
  });

  test('refusals: untrusted issuer 401, project name without domain 400, trusted issuer without protocol 404', async () => {
    const untrusted = await authorize(stranger);
    assert.equal(untrusted.status, 401);
    assert.equal(untrusted.body.error.reason, 'untrusted_issuer');

    const noDomain = await authorize(glance, { 'X-Project-Name': 'service' });
    assert.equal(noDomain.status, 400);
    assert.equal(noDomain.body.error.message, 'Neither Project Domain ID nor Project Domain Name was provided.');

    const otherIssuer = issuerDn(stranger, 'apache');
    await reg.call('POST', '/v1/tokenless/trusted_issuers', { issuer: otherIssuer });
    const noProtocol = await authorize(stranger);
    assert.equal(noProtocol.status, 404);
    assert.equal(
      noProtocol.body.error.message,
      `Could not find federated protocol x509 for Identity Provider: ${idpId(stranger, 'apache')}.`,
    );
    assert.equal(noProtocol.body.error.reason, 'no_mapping');
  });

  test('a mapping change is visible on the next call; the guide\'s surprise is reproduced', async () => {
    const switched = await reg.call('PATCH', `/v3/OS-FEDERATION/identity_providers/${idp}/protocols/x509`, {
      protocol: { mapping_id: 'x509_ephemeral' },
    });
    assert.equal(switched.status, 200);
    const res = await authorize(glance);
    assert.equal(res.status, 200);
    assert.deepEqual(res.body.auth_context, {
      group_ids: ['g-svc'],
      'OS-FEDERATION:identity_provider': idp,
      'OS-FEDERATION:protocol': 'x509',
      project_id: 'p-service',
      roles: ['service'],
    });
    // alex is not in the CN whitelist, yet Keystone authorizes him: the whitelist only filters {0}.
    const surprise = await authorize(alex);
    assert.equal(surprise.status, 200);
    assert.deepEqual(surprise.body.auth_context.roles, ['service']);
  });

  test('the per-mapping opt-in makes a filtered-out rule not apply', async () => {
    const optIn = await reg.call('PATCH', '/v3/OS-FEDERATION/mappings/x509_ephemeral', {
      mapping: { rules: GUIDE_EPHEMERAL_MAPPING, options: { filtered_values_gate_rule: true } },
    });
    assert.equal(optIn.status, 200);
    const refused = await authorize(alex);
    assert.equal(refused.status, 400);
    assert.equal(refused.body.error.reason, 'no_matching_rule');
    assert.equal((await authorize(glance)).status, 200);
  });

  test('a revoked role assignment removes access on the next call', async () => {
    assert.equal((await reg.call('DELETE', '/v3/projects/p-service/groups/g-svc/roles/r-service')).status, 204);
    const res = await authorize(glance);
    assert.equal(res.status, 200);
    assert.deepEqual(res.body.auth_context.roles, []);
  });
});
