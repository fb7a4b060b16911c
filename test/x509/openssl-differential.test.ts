/**
 * Differential tests against the real openssl CLI (3.0, the version the
 * corpus was recorded with): certificates built byte by byte with DN values
 * that `openssl req` cannot produce, printed by openssl and by the library.
 * mod_ssl's SSL_CLIENT_S_DN is `-nameopt rfc2253,-esc_msb` (x509-formats.md
 * section 3), so this also checks the apache format beyond the corpus.
 */
import { spawnSync } from 'node:child_process';
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { CertificateInputError, apacheEnv, readCertificate, subjectDn } from '../../libs/x509/src';
import { Ava, bmp, buildCertificate, toPem, ucs4, utf8 } from './support/der-builder';

const CN = '2.5.4.3';
const O = '2.5.4.10';

function openssl(pem: string, ...args: string[]): Buffer {
  const run = spawnSync('openssl', ['x509', '-noout', ...args], { input: pem });
  assert.equal(run.error, undefined, 'openssl must be installed');
  return run.stdout;
}

/** openssl prints "subject=<dn>\n"; the library returns the <dn> part. */
function opensslSubject(pem: string, nameopt: string): string {
  const out = openssl(pem, '-subject', '-nameopt', nameopt).toString('latin1');
  return out.replace(/^subject=/, '').replace(/\n$/, '');
}

function latin1(text: string): string {
  return Buffer.from(text, 'utf8').toString('latin1');
}

const cases: Array<{ title: string; rdns: Ava[][] }> = [
  { title: 'a single "#" is not escaped (the last-position rule wins)', rdns: [[utf8(CN, '#')]] },
  { title: 'a single space', rdns: [[utf8(CN, ' ')]] },
  { title: 'two spaces and an inner "#"', rdns: [[utf8(CN, '  ')], [utf8(O, 'a#b #')]] },
  { title: 'backslash at the end and equals signs', rdns: [[utf8(CN, 'a=b=\\')]] },
  { title: 'empty value', rdns: [[utf8(O, '')], [utf8(CN, 'x')]] },
  { title: 'BMPString outside Latin-1 (Greek)', rdns: [[{ oid: CN, tag: 0x1e, value: bmp('Ωμέγα') }]] },
  { title: 'UniversalString', rdns: [[{ oid: CN, tag: 0x1c, value: ucs4('Ü😀 z') }]] },
  {
    title: 'TeletexString with C0, DEL and C1 bytes',
    rdns: [[{ oid: CN, tag: 0x14, value: Uint8Array.from([0x41, 0x0a, 0x7f, 0x85, 0xff, 0x2c]) }]],
  },
  { title: 'UTF8String holding a NUL', rdns: [[{ oid: CN, tag: 0x0c, value: Uint8Array.from([0x41, 0x00, 0x42]) }]] },
  {
    title: 'PrintableString holding bytes it should not (high, NUL)',
    rdns: [[{ oid: CN, tag: 0x13, value: Uint8Array.from([0x41, 0xe9, 0x00, 0x01]) }]],
  },
  { title: 'NumericString, also under an unknown OID', rdns: [[{ oid: CN, tag: 0x12, value: '42' }], [{ oid: '1.2.3.4', tag: 0x12, value: '7' }]] },
  { title: 'BIT STRING value', rdns: [[{ oid: CN, tag: 0x03, value: Uint8Array.from([0x00, 0x41]) }]] },
  { title: 'ObjectDescriptor value (a tag OpenSSL lets through as unknown)', rdns: [[{ oid: CN, tag: 0x07, value: 'AB' }]] },
  { title: 'unknown OID with a BMPString', rdns: [[{ oid: '1.2.3.4.5', tag: 0x1e, value: bmp('hi') }]] },
  {
    title: 'three AVAs in one RDN, one of them unknown',
    rdns: [[utf8(CN, 'a+b'), utf8('1.3.6.1.4.1.1.2', 'v'), { oid: O, tag: 0x13, value: 'P' }]],
  },
  { title: 'an OID longer than the 80-byte buffer', rdns: [[utf8('1.2.' + '123456789.'.repeat(9) + '7', 'long')]] },
  { title: 'IA5String with a slash and a plus', rdns: [[{ oid: '0.9.2342.19200300.100.1.25', tag: 0x16, value: 'a/b+c' }]] },
  { title: 'a SEQUENCE as the value of a known type', rdns: [[{ oid: CN, tag: 0x30, value: Uint8Array.from([0x02, 0x01, 0x05]) }]] },
];

describe('DN strings equal the openssl CLI for certificates built byte by byte', () => {
  for (const c of cases) {
    it(c.title, () => {
      const pem = toPem(buildCertificate({ subject: c.rdns }));
      assert.equal(latin1(subjectDn(pem, 'openssl-rfc2253')), opensslSubject(pem, 'rfc2253'));
      assert.equal(latin1(subjectDn(pem, 'openssl-compat')), opensslSubject(pem, 'compat'));
      assert.equal(latin1(subjectDn(pem, 'apache')), opensslSubject(pem, 'rfc2253,-esc_msb'));
    });
  }
});

const refused: Array<{ title: string; ava: Ava }> = [
  { title: 'BMPString with a surrogate pair', ava: { oid: CN, tag: 0x1e, value: bmp('a😀b') } },
  { title: 'BMPString of odd length', ava: { oid: CN, tag: 0x1e, value: Uint8Array.from([0, 0x41, 0]) } },
  { title: 'UniversalString past U+10FFFF', ava: { oid: CN, tag: 0x1c, value: Uint8Array.from([0, 0x11, 0, 0]) } },
  { title: 'UTF8String holding invalid UTF-8', ava: { oid: CN, tag: 0x0c, value: Uint8Array.from([0x61, 0xc3, 0x62]) } },
  { title: 'overlong UTF-8', ava: { oid: CN, tag: 0x0c, value: Uint8Array.from([0xc0, 0x80]) } },
  { title: 'VisibleString', ava: { oid: CN, tag: 0x1a, value: 'AB' } },
  { title: 'GeneralString', ava: { oid: CN, tag: 0x1b, value: 'AB' } },
  { title: 'OCTET STRING', ava: { oid: CN, tag: 0x04, value: 'AB' } },
  { title: 'UTCTime', ava: { oid: CN, tag: 0x17, value: '250101000000Z' } },
  { title: 'a context-specific tag', ava: { oid: CN, tag: 0x80, value: 'AB' } },
];

describe('DN values OpenSSL refuses make the certificate unreadable, as for the terminators', () => {
  for (const c of refused) {
    it(c.title, () => {
      const pem = toPem(buildCertificate({ subject: [[c.ava]] }));
      const run = spawnSync('openssl', ['x509', '-noout'], { input: pem });
      assert.notEqual(run.status, 0, 'openssl refuses it');
      assert.throws(
        () => readCertificate(pem),
        (e: unknown) => e instanceof CertificateInputError && e.reason === 'unreadable_name' && /subject DN: CN value/.test(e.message),
      );
    });
  }
});

describe('serial and validity text equal `openssl x509 -serial -startdate -enddate`', () => {
  const specs = [
    { title: 'negative serial', serial: [0xd6] },
    { title: 'serial with a 0x00 pad', serial: [0x00, 0x80, 0x01] },
    { title: 'zero serial', serial: [0x00] },
    { title: 'UTCTime in 1999, GeneralizedTime in 2060', notBefore: { tag: 0x17, text: '991231235959Z' }, notAfter: { tag: 0x18, text: '20600229120000Z' } },
    { title: 'GeneralizedTime with a fraction', notBefore: { tag: 0x18, text: '20250102030405.123Z' } },
    { title: 'single-digit day', notBefore: { tag: 0x17, text: '250109080706Z' } },
  ];
  for (const spec of specs) {
    it(spec.title, () => {
      const pem = toPem(buildCertificate({ subject: [[utf8(CN, 'x')]], ...spec }));
      const lines = openssl(pem, '-serial', '-startdate', '-enddate').toString('latin1').trim().split('\n');
      const env = apacheEnv(pem);
      assert.deepEqual(lines, [
        `serial=${env.SSL_CLIENT_M_SERIAL}`,
        `notBefore=${env.SSL_CLIENT_V_START}`,
        `notAfter=${env.SSL_CLIENT_V_END}`,
      ]);
    });
  }
});
