/**
 * The compiled x509 commands, run as a user runs them. The JSON shape is
 * the contract of shared/tools/x509_corpus.py, which calls
 * `tokenless x509 inspect CERT --json` and compares it with the corpus.
 */
import { spawnSync } from 'node:child_process';
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ISSUER_FORMATS } from '../../libs/x509/src';
import { loadCorpus } from './support/corpus';

const MAIN = join(__dirname, '../../apps/cli/src/x509-main.js');
const corpus = loadCorpus();

function cli(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const run = spawnSync(process.execPath, [MAIN, 'x509', ...args], { encoding: 'utf8' });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

describe('tokenless x509 (compiled)', () => {
  let dir = '';
  const file = (name: string): string => join(dir, name);

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'x509-cli-'));
    for (const c of corpus) if (c.cert_pem) writeFileSync(file(c.file.replace('.json', '.pem')), c.cert_pem);
    writeFileSync(file('not-a-cert.txt'), 'hello\n');
  });

  after(() => rmSync(dir, { recursive: true, force: true }));

  it('inspect --json prints one object with every format, equal to the corpus', () => {
    const c = corpus.find((k) => k.file === 'issuer-tricky.json')!;
    const run = cli('inspect', file('issuer-tricky.pem'), '--json');
    assert.equal(run.status, 0, run.stderr);
    assert.equal(run.stderr, '');
    const got = JSON.parse(run.stdout);

    assert.deepEqual(Object.keys(got), ['subject', 'issuer', 'idp_id', 'apache_env', 'haproxy_headers']);
    for (const part of ['subject', 'issuer', 'idp_id']) assert.deepEqual(Object.keys(got[part]), [...ISSUER_FORMATS]);
    for (const id of Object.values(got.idp_id)) assert.match(id as string, /^[0-9a-f]{64}$/);

    // The comparisons x509_corpus.py makes.
    const o = c.openssl!;
    assert.equal(got.subject['openssl-rfc2253'], o.subject.rfc2253);
    assert.equal(got.issuer['openssl-compat'], o.issuer.compat);
    assert.equal(got.idp_id['openssl-rfc2253'], c.idp_id!.rfc2253);
    assert.equal(got.idp_id['openssl-compat'], c.idp_id!.compat);
    assert.equal(got.issuer.apache, c.apache_env!.SSL_CLIENT_I_DN);
    assert.equal(got.issuer['apache-legacy'], c.apache_legacy_env!.SSL_CLIENT_I_DN);
    assert.equal(got.issuer.haproxy, c.haproxy_headers!['x-ssl-issuer-unquoted']);
    assert.equal(got.issuer['haproxy-rfc2253'], c.haproxy_headers!['x-ssl-issuer-rfc2253']);
    for (const [k, v] of Object.entries(c.apache_env!)) {
      if (!k.startsWith('SSL_CLIENT_CERT_CHAIN_') && k !== 'SSL_CLIENT_V_REMAIN') assert.equal(got.apache_env[k], v, k);
    }
    assert.deepEqual(got.haproxy_headers, c.haproxy_headers);
  });

  it('inspect --json --now pins SSL_CLIENT_V_REMAIN', () => {
    const run = cli('inspect', file('doc-glance.pem'), '--json', '--now', '2026-12-03T17:22:28Z');
    assert.equal(JSON.parse(run.stdout).apache_env.SSL_CLIENT_V_REMAIN, '824');
  });

  it('inspect without --json shows every section; --format restricts it', () => {
    const all = cli('inspect', file('doc-glance.pem'));
    assert.equal(all.status, 0);
    assert.match(all.stdout, /^Subject DN\n {2}apache {11}CN=glance,OU=keystone,O=Default,DC=somedemo,DC=com\n/);
    assert.match(all.stdout, /\n {2}SSL_CLIENT_S_DN_CN=glance\n/);
    assert.match(all.stdout, /\n {2}x-ssl-issuer: \/DC=com\/DC=somedemo\/O=openstack\/OU=keystone\/CN=Intermediate CA\n/);

    const one = cli('inspect', file('doc-glance.pem'), '--format', 'haproxy');
    assert.equal(
      one.stdout,
      'subject: /DC=com/DC=somedemo/O=Default/OU=keystone/CN=glance\n' +
        'issuer:  /DC=com/DC=somedemo/O=openstack/OU=keystone/CN=Intermediate CA\n' +
        'idp id:  03722c295ba11fca265458452a13294e4a2f5ee73ece61d524ec7dde3d875a45\n',
    );
  });

  it('inspect shows control characters escaped in human output', () => {
    const run = cli('inspect', file('esc-control-tab-newline.pem'), '--format', 'haproxy');
    assert.match(run.stdout, /^subject: \/O=Default\/OU=tab\\x09here\/CN=line1%0Aline2\n/);
  });

  it('idp-id prints the id and a newline; apache by default', () => {
    const byDefault = cli('idp-id', file('doc-glance.pem'));
    assert.equal(byDefault.stdout, '4afcec6e3c45565103e8f71665dff443f3eff2107ade89918207aa60d95063a3\n');
    assert.equal(byDefault.status, 0);
    const compat = cli('idp-id', file('doc-glance.pem'), '--format', 'openssl-compat');
    assert.equal(compat.stdout, '03722c295ba11fca265458452a13294e4a2f5ee73ece61d524ec7dde3d875a45\n');
  });

  it('bad input: message on stderr, nothing on stdout, exit code 2', () => {
    const cases: Array<[string[], RegExp]> = [
      [['inspect', file('not-a-cert.txt'), '--json'], /text but not PEM/],
      [['idp-id', file('missing.pem')], /cannot read .*missing\.pem: ENOENT/],
      [['idp-id', file('doc-glance.pem'), '--format', 'nginx'], /unknown format "nginx"/],
      [['inspect', file('doc-glance.pem'), '--now', 'yesterday'], /not an ISO 8601 time/],
    ];
    for (const [args, message] of cases) {
      const run = cli(...args);
      assert.equal(run.status, 2, args.join(' '));
      assert.equal(run.stdout, '');
      assert.match(run.stderr, message);
    }
  });
});
