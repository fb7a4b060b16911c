import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { idpId, issuerDn } from '../../libs/x509/src';
import { curl, type CurlOptions } from '../support/curl';
import { TestPki } from '../support/pki';
import { ADMIN_TOKEN, startTestRegistry, type TestRegistry } from '../support/registry';
import { SERVICE_SCOPE, recordServiceWorld } from '../support/service-world';

describe('the registry terminating TLS itself, with curl --cert straight to it', () => {
  const pki = new TestPki();
  let reg: TestRegistry;
  let issuer: string;

  before(async () => {
    pki.ca('root', '/DC=com/DC=somedemo/O=openstack/OU=keystone/CN=Root CA');
    pki.ca('intermediate', '/DC=com/DC=somedemo/O=openstack/OU=keystone/CN=Intermediate CA', 'root');
    pki.ca('other', '/DC=org/DC=elsewhere/O=other/CN=Other CA');
    pki.ca('rogue', '/DC=com/DC=somedemo/O=openstack/OU=keystone/CN=Intermediate CA');
    pki.server('keystone', '/DC=com/DC=somedemo/O=openstack/OU=keystone/CN=127.0.0.1', 'root');
    pki.client('glance', '/DC=com/DC=somedemo/O=Default/OU=keystone/CN=glance', 'intermediate');
    pki.client('stranger', '/DC=org/DC=elsewhere/O=Default/CN=glance', 'other');
    pki.client('forged', '/DC=com/DC=somedemo/O=Default/OU=keystone/CN=glance', 'rogue');
    const ca = pki.bundle('client-ca.pem', ['root.pem', 'intermediate.pem', 'other.pem']);
    reg = await startTestRegistry({
      env: { TLS_CERT: pki.path('keystone.pem'), TLS_KEY: pki.path('keystone.key'), TLS_CLIENT_CA: ca },
    });
    assert.match(reg.url, /^https:/);
    issuer = issuerDn(pki.pem('glance'), 'apache');
    await recordServiceWorld(
      async (method, path, body) =>
        curl(reg.url + path, { method, body, cacert: pki.path('root.pem'), headers: { 'X-Auth-Token': ADMIN_TOKEN } }),
      issuer,
      idpId(pki.pem('glance'), 'apache'),
    );
  });

  after(async () => {
    await reg?.stop();
  });

  const as = (client: string | undefined, options: CurlOptions = {}): CurlOptions => ({
    cacert: pki.path('root.pem'),
    ...(client ? { cert: pki.path(`${client}.pem`), key: pki.path(`${client}.key`) } : {}),
    ...options,
    headers: { ...SERVICE_SCOPE, ...options.headers },
  });

  test('the trusted issuer is the RFC 2253 DN Apache would pass', () => {
    assert.equal(issuer, 'CN=Intermediate CA,OU=keystone,O=openstack,DC=somedemo,DC=com');
  });

  test('GET /v1/authorize: a verified certificate gets its user, project and roles', async () => {
    const res = await curl(`${reg.url}/v1/authorize`, as('glance'));
    assert.equal(res.exitCode, 0, res.stderr);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.headers['x-auth-user-id'], 'u-glance');
    assert.equal(res.headers['x-auth-project-id'], 'p-service');
    assert.equal(res.headers['x-auth-roles'], 'member');
  });

  test('POST /v1/authorize without env uses the connection\'s certificate', async () => {
    const res = await curl(
      `${reg.url}/v1/authorize`,
      as('glance', { method: 'POST', body: { headers: SERVICE_SCOPE }, headers: { 'X-Auth-Token': ADMIN_TOKEN } }),
    );
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual(res.body.auth_context, { user_id: 'u-glance', is_delegated_auth: false, project_id: 'p-service', roles: ['member'] });
    const bare = await curl(
      `${reg.url}/v1/authorize`,
      as(undefined, { method: 'POST', body: { headers: SERVICE_SCOPE }, headers: { 'X-Auth-Token': ADMIN_TOKEN } }),
    );
    assert.equal(bare.status, 401);
    assert.equal(bare.body.error.reason, 'issuer_attribute_missing');
  });

  test('a certificate that fails verification gives no attributes: 401, even with the same DNs as glance', async () => {
    const res = await curl(`${reg.url}/v1/authorize`, as('forged'));
    assert.equal(res.exitCode, 0, 'the handshake succeeds: the client certificate is optional');
    assert.equal(res.status, 401, JSON.stringify(res.body));
    assert.equal(res.headers['x-auth-refused-reason'], 'certificate_untrusted');
    const posted = await curl(
      `${reg.url}/v1/authorize`,
      as('forged', { method: 'POST', body: { headers: SERVICE_SCOPE }, headers: { 'X-Auth-Token': ADMIN_TOKEN } }),
    );
    assert.equal(posted.status, 401);
    assert.equal(posted.body.error.reason, 'certificate_untrusted');
  });

  test('a verified certificate of an issuer the registry does not trust: 401 untrusted_issuer', async () => {
    const res = await curl(`${reg.url}/v1/authorize`, as('stranger'));
    assert.equal(res.status, 401, JSON.stringify(res.body));
    assert.equal(res.headers['x-auth-refused-reason'], 'untrusted_issuer');
  });

  test('no certificate: 401; spoofed certificate headers change nothing', async () => {
    const bare = await curl(`${reg.url}/v1/authorize`, as(undefined));
    assert.equal(bare.status, 401);
    assert.equal(bare.headers['x-auth-refused-reason'], 'no_certificate');
    const spoofed = await curl(
      `${reg.url}/v1/authorize`,
      as(undefined, {
        headers: {
          'X-SSL-Issuer': issuer,
          'X-SSL-Client-CN': 'glance',
          'X-SSL-Client-O': 'Default',
          'SSL-Client-I-DN': issuer,
        },
      }),
    );
    assert.equal(spoofed.status, 401);
    assert.deepEqual(spoofed.body, bare.body);
    const forged = await curl(`${reg.url}/v1/authorize`, as('forged', { headers: { 'X-SSL-Issuer': issuer, 'X-SSL-Client-Verify': '0' } }));
    assert.equal(forged.headers['x-auth-refused-reason'], 'certificate_untrusted');
  });
});
