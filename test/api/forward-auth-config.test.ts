import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { configFromEnv } from '../../apps/api/src/config';
import { haproxyHeaders, idpId, issuerDn } from '../../libs/x509/src';
import { TestPki } from '../support/pki';
import { startTestRegistry, type TestRegistry } from '../support/registry';
import { SERVICE_SCOPE, recordServiceWorld } from '../support/service-world';

describe('forward-auth settings', () => {
  test('TRUSTED_PROXIES takes addresses and CIDRs and refuses anything else, hop counts included', () => {
    assert.deepEqual(configFromEnv({ TRUSTED_PROXIES: ' 10.0.0.0/8, ::1,192.0.2.7 ' }).trustedProxies, ['10.0.0.0/8', '::1', '192.0.2.7']);
    assert.deepEqual(configFromEnv({}).trustedProxies, []);
    assert.throws(() => configFromEnv({ TRUSTED_PROXIES: '10.0.0.0/8,proxy.example' }), /TRUSTED_PROXIES: "proxy.example"/);
    assert.throws(() => configFromEnv({ TRUSTED_PROXIES: '10.0.0.0/33' }), /TRUSTED_PROXIES/);
    assert.throws(() => configFromEnv({ TRUSTED_PROXIES: '1' }), /TRUSTED_PROXIES: "1"/);
  });

  test('CERT_HEADER_MAP defaults to the guide\'s SetEnvIf lines and takes HEADER=VARIABLE pairs', () => {
    assert.deepEqual(configFromEnv({}).certificateHeaderMap, [
      ['x-ssl-issuer', 'SSL_CLIENT_I_DN'],
      ['x-ssl-issuer-cn', 'SSL_CLIENT_I_DN_CN'],
      ['x-ssl-client-cn', 'SSL_CLIENT_S_DN_CN'],
      ['x-ssl-client-o', 'SSL_CLIENT_S_DN_O'],
    ]);
    assert.deepEqual(configFromEnv({ CERT_HEADER_MAP: 'X-Client-Issuer=SSL_CLIENT_I_DN' }).certificateHeaderMap, [
      ['x-client-issuer', 'SSL_CLIENT_I_DN'],
    ]);
    assert.throws(() => configFromEnv({ CERT_HEADER_MAP: 'X-Client-Issuer' }), /CERT_HEADER_MAP/);
  });

  test('TLS settings come as a set', () => {
    assert.equal(configFromEnv({}).tls, undefined);
    assert.throws(() => configFromEnv({ TLS_CERT: '/c.pem' }), /TLS_CERT and TLS_KEY/);
    assert.throws(() => configFromEnv({ TLS_CLIENT_CA: '/ca.pem' }), /TLS_CLIENT_CA/);
    assert.deepEqual(configFromEnv({ TLS_CERT: '/c.pem', TLS_KEY: '/k.pem' }).tls, { certFile: '/c.pem', keyFile: '/k.pem', clientCaFile: undefined });
  });

  describe('a gateway with its own header names', () => {
    const pki = new TestPki();
    let reg: TestRegistry;
    let glance: string;

    before(async () => {
      pki.ca('root', '/DC=com/DC=somedemo/O=openstack/OU=keystone/CN=Root CA');
      glance = pki.pem(pki.client('glance', '/DC=com/DC=somedemo/O=Default/OU=keystone/CN=glance', 'root'));
      reg = await startTestRegistry({
        env: {
          TRUSTED_PROXIES: '127.0.0.1,::1',
          CERT_HEADER_MAP: 'X-Client-Issuer=SSL_CLIENT_I_DN,X-Client-CN=SSL_CLIENT_S_DN_CN,X-Client-O=SSL_CLIENT_S_DN_O',
          CERT_VERIFY_HEADER: 'X-Client-Verify',
        },
      });
      await recordServiceWorld((m, p, b) => reg.call(m, p, b), issuerDn(glance, 'haproxy'), idpId(glance, 'haproxy'));
    });

    after(async () => {
      await reg?.stop();
    });

    const forward = (headers: Record<string, string>) => fetch(`${reg.url}/v1/authorize`, { headers: { ...SERVICE_SCOPE, ...headers } });

    test('the configured names carry the attributes; the guide\'s names then carry none', async () => {
      const h = haproxyHeaders(glance);
      const custom = { 'X-Client-Issuer': h['x-ssl-issuer'], 'X-Client-CN': h['x-ssl-client-cn'], 'X-Client-O': h['x-ssl-client-o'] };
      const granted = await forward({ ...custom, 'X-Client-Verify': '0' });
      assert.equal(granted.status, 200);
      assert.equal(granted.headers.get('x-auth-user-id'), 'u-glance');

      const unverified = await forward({ ...custom, 'X-Client-Verify': '10' });
      assert.equal(unverified.status, 401);
      assert.equal(unverified.headers.get('x-auth-refused-reason'), 'certificate_untrusted');

      const guideNames = await forward({ 'X-SSL-Issuer': h['x-ssl-issuer'], 'X-SSL-Client-CN': 'glance', 'X-SSL-Client-O': 'Default' });
      assert.equal(guideNames.status, 401);
      assert.equal(guideNames.headers.get('x-auth-refused-reason'), 'issuer_attribute_missing');
    });
  });
});
