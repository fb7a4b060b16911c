/**
 * The Keystone guide's own recipe, run for real: openssl issues a client
 * certificate with the guide's DNs, the guide's shell pipelines print the
 * issuer DN and hash it into the IdP id, and the library must agree with
 * both pipelines.
 */
import { execFileSync } from 'node:child_process';
import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { apacheEnv, idpId, issuerDn, subjectDn } from '../../libs/x509/src';

const ISSUER = '/DC=com/DC=somedemo/O=openstack/OU=keystone/CN=Intermediate CA';
const SUBJECT = '/DC=com/DC=somedemo/O=Default/OU=keystone/CN=glance';

/** Runs a shell pipeline in `cwd` and returns its stdout. */
function sh(cwd: string, script: string): string {
  return execFileSync('/bin/sh', ['-c', script], { cwd, encoding: 'utf8' });
}

describe("the guide's openssl pipelines on a certificate issued by openssl", () => {
  let dir = '';
  let pem = '';

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'x509-guide-'));
    sh(
      dir,
      `openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 30 -subj '${ISSUER}' 2>/dev/null &&
       openssl req -newkey rsa:2048 -nodes -keyout client.key -out client.csr -subj '${SUBJECT}' 2>/dev/null &&
       openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -set_serial 4098 -days 30 -out client_cert.pem 2>/dev/null`,
    );
    pem = readFileSync(join(dir, 'client_cert.pem'), 'utf8');
  });

  after(() => rmSync(dir, { recursive: true, force: true }));

  it('"How to obtain trusted issuer DN": both formats', () => {
    const rfc2253 = sh(dir, `openssl x509 -issuer -noout -in client_cert.pem -nameopt rfc2253 | sed 's/^\\s*issuer=//'`);
    const compat = sh(dir, `openssl x509 -issuer -noout -in client_cert.pem -nameopt compat | sed 's/^\\s*issuer=//'`);
    // The pipelines end with the newline openssl prints; the DN is the line.
    assert.equal(rfc2253, 'CN=Intermediate CA,OU=keystone,O=openstack,DC=somedemo,DC=com\n');
    assert.equal(compat, `${ISSUER}\n`);
    assert.equal(issuerDn(pem, 'openssl-rfc2253') + '\n', rfc2253);
    assert.equal(issuerDn(pem, 'openssl-compat') + '\n', compat);
    // What the terminators pass for this ASCII issuer.
    assert.equal(issuerDn(pem, 'apache') + '\n', rfc2253);
    assert.equal(issuerDn(pem, 'haproxy-rfc2253') + '\n', rfc2253);
    assert.equal(issuerDn(pem, 'apache-legacy') + '\n', compat);
    assert.equal(issuerDn(pem, 'haproxy') + '\n', compat);
  });

  it('"How to calculate the IDP ID": both pipelines', () => {
    const pipeline = (nameopt: string): string =>
      sh(
        dir,
        `openssl x509 -issuer -noout -in client_cert.pem -nameopt ${nameopt} | tr -d '\\n' | ` +
          `sed 's/^\\s*issuer=//' | openssl dgst -sha256 -hex | awk '{print $2}'`,
      ).trim();
    const rfc2253Id = pipeline('rfc2253');
    const compatId = pipeline('compat');
    assert.equal(idpId(pem, 'openssl-rfc2253'), rfc2253Id);
    assert.equal(idpId(pem, 'apache'), rfc2253Id);
    assert.equal(idpId(pem, 'openssl-compat'), compatId);
    assert.equal(idpId(pem, 'haproxy'), compatId);
    // The same DN string as the corpus's Intermediate CA, so the same ids.
    assert.equal(rfc2253Id, '4afcec6e3c45565103e8f71665dff443f3eff2107ade89918207aa60d95063a3');
    assert.equal(compatId, '03722c295ba11fca265458452a13294e4a2f5ee73ece61d524ec7dde3d875a45');
  });

  it('the subject and the values openssl prints for serial and validity', () => {
    const subject = sh(dir, `openssl x509 -subject -noout -in client_cert.pem -nameopt rfc2253`);
    assert.equal(subject, 'subject=CN=glance,OU=keystone,O=Default,DC=somedemo,DC=com\n');
    assert.equal(`subject=${subjectDn(pem, 'apache')}\n`, subject);
    assert.equal(`subject=${subjectDn(pem, 'openssl-compat')}\n`, sh(dir, `openssl x509 -subject -noout -in client_cert.pem -nameopt compat`));

    const env = apacheEnv(pem);
    const printed = sh(dir, 'openssl x509 -serial -startdate -enddate -noout -in client_cert.pem');
    assert.equal(
      printed,
      `serial=${env.SSL_CLIENT_M_SERIAL}\nnotBefore=${env.SSL_CLIENT_V_START}\nnotAfter=${env.SSL_CLIENT_V_END}\n`,
    );
    assert.equal(env.SSL_CLIENT_M_SERIAL, '1002');
    assert.equal(env.SSL_CLIENT_S_DN_CN, 'glance');
    assert.equal(env.SSL_CLIENT_S_DN_O, 'Default');
    // 30 days of validity: whole days left, counted from `now`.
    const end = Date.parse(env.SSL_CLIENT_V_END);
    assert.equal(apacheEnv(pem, { now: new Date(end - 10.5 * 86_400_000) }).SSL_CLIENT_V_REMAIN, '10');
    assert.equal(apacheEnv(pem, { now: new Date(end - 1000) }).SSL_CLIENT_V_REMAIN, '0');
    assert.equal(apacheEnv(pem, { now: new Date(end + 86_400_000) }).SSL_CLIENT_V_REMAIN, '0');
  });
});
