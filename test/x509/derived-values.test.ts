/**
 * Behaviour the x509-formats document describes but the corpus has no
 * certificate for: negative serials, 19xx and 20xx times in HAProxy, SAN
 * forms mod_ssl skips, and the two-tier header to environment rules.
 */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { apacheEnv, envFromHaproxyHeaders, haproxyDnEntry, haproxyHeaders } from '../../libs/x509/src';
import { buildCertificate, oid, seq, tlv, toPem, utf8 } from './support/der-builder';

const MS_UPN = '1.3.6.1.4.1.311.20.2.3';

describe('serial numbers', () => {
  it('a negative serial keeps its sign in Apache only (HAProxy loses it)', () => {
    const pem = toPem(buildCertificate({ subject: [[utf8('2.5.4.3', 'neg')]], serial: [0xd6] }));
    assert.equal(apacheEnv(pem).SSL_CLIENT_M_SERIAL, '-2A');
    assert.match(apacheEnv(pem).SSL_CLIENT_CERT_RFC4523_CEA, /^\{ serialNumber -42, /);
    assert.equal(haproxyHeaders(pem)['x-ssl-client-serial'], '2A');
  });
});

describe('HAProxy validity headers', () => {
  it('UTCTime 1950-1999 gives an empty header, 2000-2049 the raw text', () => {
    const pem = toPem(
      buildCertificate({
        subject: [[utf8('2.5.4.3', 't')]],
        notBefore: { tag: 0x17, text: '991231000000Z' },
        notAfter: { tag: 0x17, text: '491231235959Z' },
      }),
    );
    const headers = haproxyHeaders(pem);
    assert.equal(headers['x-ssl-client-not-before'], '');
    assert.equal(headers['x-ssl-client-not-after'], '491231235959Z');
    assert.equal(apacheEnv(pem).SSL_CLIENT_V_START, 'Dec 31 00:00:00 1999 GMT');
  });

  it('GeneralizedTime loses its century, and is refused outside 20xx', () => {
    const pem = toPem(
      buildCertificate({
        subject: [[utf8('2.5.4.3', 't')]],
        notBefore: { tag: 0x18, text: '19000101000000Z' },
        notAfter: { tag: 0x18, text: '20600229120000Z' },
      }),
    );
    const headers = haproxyHeaders(pem);
    assert.equal(headers['x-ssl-client-not-before'], '');
    assert.equal(headers['x-ssl-client-not-after'], '600229120000Z');
  });
});

describe('subjectAltName variables', () => {
  const otherName = (typeId: string, value: Buffer): Buffer => tlv(0xa0, Buffer.concat([oid(typeId), tlv(0xa0, value)]));
  const names = seq(
    tlv(0x82, Buffer.from('a.example')),
    tlv(0x81, Buffer.from('x@example.org')),
    tlv(0x86, Buffer.from('https://id.example/1')),
    otherName(MS_UPN, tlv(0x0c, Buffer.from('upn@example.org'))),
    otherName(MS_UPN, tlv(0x16, Buffer.from('ia5-is-skipped'))),
    otherName('1.3.6.1.5.5.7.8.7', tlv(0x16, Buffer.from('_ldap.example'))),
    tlv(0x82, Buffer.from('b.example')),
  );
  const san = seq(oid('2.5.29.17'), tlv(0x04, names));
  const pem = toPem(buildCertificate({ subject: [[utf8('2.5.4.3', 'san')]], extensions: [san] }));

  it('DNS, Email and msUPN numbered from 0; nothing for URI, dnsSRV or a non-UTF8String UPN', () => {
    const san = Object.fromEntries(Object.entries(apacheEnv(pem)).filter(([k]) => k.startsWith('SSL_CLIENT_SAN_')));
    assert.deepEqual(san, {
      SSL_CLIENT_SAN_DNS_0: 'a.example',
      SSL_CLIENT_SAN_DNS_1: 'b.example',
      SSL_CLIENT_SAN_Email_0: 'x@example.org',
      SSL_CLIENT_SAN_OTHER_msUPN_0: 'upn@example.org',
    });
  });
});

describe('HAProxy entry fetches', () => {
  const pem = toPem(
    buildCertificate({
      subject: [[utf8('2.5.4.11', 'a')], [utf8('2.5.4.11', 'b')], [utf8('2.5.4.11', 'c'), utf8('2.5.4.3', 'x')]],
    }),
  );
  it('occurrences count from 1, negative from the end, out of range is empty', () => {
    assert.equal(haproxyDnEntry(pem, 'subject', 'OU'), 'a');
    assert.equal(haproxyDnEntry(pem, 'subject', 'ou', 3), 'c');
    assert.equal(haproxyDnEntry(pem, 'subject', 'ou', -2), 'b');
    assert.equal(haproxyDnEntry(pem, 'subject', 'ou', 4), '');
    assert.equal(haproxyDnEntry(pem, 'subject', 'ou', 0), '');
    assert.equal(haproxyDnEntry(pem, 'subject', 'organizationalUnitName'), '');
    assert.equal(haproxyDnEntry(pem, 'issuer', 'cn'), 'Test Issuer');
  });
  it('Apache numbers repeats OU, OU_1, OU_2 (also inside a multi-valued RDN)', () => {
    const env = apacheEnv(pem);
    assert.deepEqual([env.SSL_CLIENT_S_DN_OU, env.SSL_CLIENT_S_DN_OU_1, env.SSL_CLIENT_S_DN_OU_2], ['a', 'b', 'c']);
  });
});

describe('envFromHaproxyHeaders', () => {
  it('trims values, matches header names in any case, drops names Apache will not pass', () => {
    const env = envFromHaproxyHeaders({
      'X-SSL-Client-CN': '\t padded  ',
      'x-ssl-issuer': '/CN=ca',
      'X-SSL-Client-O': '',
      'x-ssl-client-oid-1.2.3.4': 'v',
    });
    assert.deepEqual(env, {
      HTTP_X_SSL_CLIENT_CN: 'padded',
      HTTP_X_SSL_CLIENT_O: '',
      HTTP_X_SSL_ISSUER: '/CN=ca',
      SSL_CLIENT_I_DN: '/CN=ca',
      SSL_CLIENT_S_DN_CN: 'padded',
      SSL_CLIENT_S_DN_O: '',
    });
  });

  it('without HTTP_* variables, and absent headers set nothing', () => {
    assert.deepEqual(envFromHaproxyHeaders({ 'x-ssl-issuer-cn': 'CA' }, { includeHttpVariables: false }), {
      SSL_CLIENT_I_DN_CN: 'CA',
    });
  });
});
