/**
 * Regression tests for the bug reports about certificate strings. Each one
 * feeds the report's own certificates and checks its expected values (the
 * Node and mapping-engine parts of a report belong to other suites).
 */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import {
  apacheEnv,
  apacheLegacyEnv,
  certificateFingerprint,
  haproxyDnEntry,
  idpId,
  idpIdFromIssuerString,
  inspectCertificate,
  issuerDn,
  subjectDn,
} from '../../libs/x509/src';
import { loadReport } from './support/corpus';

type Env = Record<string, string>;

interface DnExpectations {
  readonly openssl_subject_rfc2253: string;
  readonly openssl_subject_compat: string;
  readonly openssl_issuer_rfc2253: string;
  readonly openssl_issuer_compat: string;
  readonly apache_mod_ssl_default_rfc2253_env: Env;
  readonly apache_mod_ssl_LegacyDNStringFormat_env: Env;
  readonly haproxy_fetches: Env;
}

/** The checks BR-01 to BR-04 share: strings, the Apache subset, HAProxy fetches. */
function checkDnExpectations(pem: string, expected: DnExpectations): void {
  assert.equal(subjectDn(pem, 'openssl-rfc2253'), expected.openssl_subject_rfc2253);
  assert.equal(subjectDn(pem, 'openssl-compat'), expected.openssl_subject_compat);
  assert.equal(issuerDn(pem, 'openssl-rfc2253'), expected.openssl_issuer_rfc2253);
  assert.equal(issuerDn(pem, 'openssl-compat'), expected.openssl_issuer_compat);

  // The reports list the DN-related variables only; each must be exact and
  // no other DN variable may appear.
  const pick = (env: Env): Env =>
    Object.fromEntries(Object.entries(env).filter(([k]) => /^SSL_CLIENT_(S_DN|I_DN|VERIFY)/.test(k)));
  assert.deepEqual(pick(apacheEnv(pem)), expected.apache_mod_ssl_default_rfc2253_env);
  assert.deepEqual(pick(apacheLegacyEnv(pem)), expected.apache_mod_ssl_LegacyDNStringFormat_env);

  const fetches = expected.haproxy_fetches;
  const inspection = inspectCertificate(pem);
  assert.equal(inspection.subject.haproxy, fetches.ssl_c_s_dn);
  assert.equal(inspection.issuer.haproxy, fetches.ssl_c_i_dn);
  assert.equal(inspection.subject['haproxy-rfc2253'], fetches.ssl_c_s_dn_rfc2253);
  assert.equal(inspection.issuer['haproxy-rfc2253'], fetches.ssl_c_i_dn_rfc2253);
  for (const [fetch, value] of Object.entries(fetches)) {
    const m = /^ssl_c_s_dn\((\w+)(?:,(-?\d+))?\)$/.exec(fetch);
    if (!m) continue;
    assert.equal(haproxyDnEntry(pem, 'subject', m[1], m[2] ? Number(m[2]) : 1), value, fetch);
  }
  assert.equal(inspection.haproxy_headers['x-ssl-client-verify'], fetches.ssl_c_verify);
}

describe('BR-01 legacy slash form against RFC 2253', () => {
  interface Br01 {
    input: { certificates: Record<string, { certificate_pem: string }> };
    expected: Record<string, DnExpectations> & { extracted_attributes: Record<string, Env> };
  }
  const report = loadReport<Br01>('BR-01');

  for (const [name, { certificate_pem: pem }] of Object.entries(report.input.certificates)) {
    it(`${name}: both DN forms byte-exact, Email and no DC variable`, () => {
      checkDnExpectations(pem, report.expected[name]);
      const env = apacheEnv(pem);
      for (const [attribute, value] of Object.entries(report.expected.extracted_attributes[name])) {
        assert.equal(env[`SSL_CLIENT_S_DN_${attribute}`], value, attribute);
      }
      assert.equal(Object.keys(env).some((k) => k.includes('_DC')), false);
      assert.equal(apacheLegacyEnv(pem).SSL_CLIENT_S_DN_CN, env.SSL_CLIENT_S_DN_CN);
    });
  }
});

describe('BR-02 UTF-8 subject escaping', () => {
  interface Br02 {
    input: { certificate_pem: string };
    expected: DnExpectations & { openssl_subject_rfc2253_without_esc_msb: string };
  }
  const report = loadReport<Br02>('BR-02');
  const pem = report.input.certificate_pem;

  it('each convention exactly, never double-escaped', () => {
    checkDnExpectations(pem, report.expected);
    const apache = subjectDn(pem, 'apache');
    assert.equal(apache, report.expected.openssl_subject_rfc2253_without_esc_msb);
    assert.equal(apache.includes('\\5C'), false);
    assert.notEqual(apache, subjectDn(pem, 'haproxy-rfc2253'));
    assert.equal(subjectDn(pem, 'apache-legacy'), subjectDn(pem, 'openssl-compat'));
    assert.notEqual(subjectDn(pem, 'apache-legacy'), subjectDn(pem, 'haproxy'));
  });
});

describe('BR-03 repeated OU attribute', () => {
  interface Br03 {
    input: { certificate_pem: string };
    expected: DnExpectations & { mapping_assertion_for_keystone_engine: Env };
  }
  const report = loadReport<Br03>('BR-03');
  const pem = report.input.certificate_pem;

  it('OU then OU_1 in certificate order, HAProxy occurrences from 1', () => {
    checkDnExpectations(pem, report.expected);
    const env = apacheEnv(pem);
    for (const [k, v] of Object.entries(report.expected.mapping_assertion_for_keystone_engine)) {
      assert.equal(env[k], v, k);
    }
    assert.equal(env.SSL_CLIENT_S_DN_OU_2, undefined);
  });
});

describe('BR-04 escaped comma in a value', () => {
  interface Br04 {
    input: { certificate_pem: string };
    expected: DnExpectations;
  }
  const report = loadReport<Br04>('BR-04');

  it('"\\," in RFC 2253, bare in the slash forms and in the variable', () => {
    checkDnExpectations(report.input.certificate_pem, report.expected);
  });
});

describe('BR-07 issuer hash without label or newline', () => {
  interface Br07 {
    input: { client_certificate_pem: string; openssl_cli_issuer_output_rfc2253: string };
    expected: Record<string, string>;
  }
  const report = loadReport<Br07>('BR-07');
  const pem = report.input.client_certificate_pem;
  const e = report.expected;

  it('ids hash the bare string, and the two forms keep separate ids', () => {
    assert.equal(issuerDn(pem, 'openssl-rfc2253'), e.issuer_dn_rfc2253);
    assert.equal(issuerDn(pem, 'openssl-compat'), e.issuer_dn_legacy);
    assert.equal(idpId(pem, 'openssl-rfc2253'), e.idp_id_rfc2253);
    assert.equal(idpId(pem, 'apache'), e.idp_id_rfc2253);
    assert.equal(idpId(pem, 'openssl-compat'), e.idp_id_legacy);
    assert.equal(idpId(pem, 'apache-legacy'), e.idp_id_legacy);
    assert.equal(idpId(pem, 'haproxy'), e.idp_id_legacy);
    assert.equal(issuerDn(pem, 'apache'), e.apache_SSL_CLIENT_I_DN_default);
    assert.equal(issuerDn(pem, 'apache-legacy'), e.apache_SSL_CLIENT_I_DN_legacy);
    assert.equal(issuerDn(pem, 'haproxy'), e.haproxy_ssl_c_i_dn);
  });

  it('the CLI output with its label or newline gives the wrong ids the report lists', () => {
    const cli = report.input.openssl_cli_issuer_output_rfc2253;
    assert.equal(idpIdFromIssuerString(cli.replace(/^issuer=/, '')), e.wrong_idp_id_if_trailing_newline_kept);
    assert.equal(idpIdFromIssuerString(cli.replace(/\n$/, '')), e.wrong_idp_id_if_issuer_label_kept);
    assert.notEqual(idpId(pem, 'openssl-rfc2253'), e.wrong_idp_id_if_trailing_newline_kept);
  });
});

describe('BR-08 same DN, different CA', () => {
  interface Br08 {
    input: Record<string, string>;
    expected: {
      ca_a_subject_rfc2253: string;
      ca_b_subject_rfc2253: string;
      ca_a_sha256_fingerprint: string;
      ca_b_sha256_fingerprint: string;
      idp_id_for_client_a: string;
      idp_id_for_client_b: string;
      apache_env_both_cas_trusted: Record<'client_a' | 'client_b', Env>;
    };
  }
  const report = loadReport<Br08>('BR-08');
  const { input, expected } = report;

  it('the issuer-DN id cannot tell the CAs apart; only the fingerprints differ', () => {
    assert.equal(subjectDn(input.ca_a_pem, 'openssl-rfc2253'), expected.ca_a_subject_rfc2253);
    assert.equal(subjectDn(input.ca_b_pem, 'openssl-rfc2253'), expected.ca_b_subject_rfc2253);
    assert.equal(certificateFingerprint(input.ca_a_pem, 'sha256'), expected.ca_a_sha256_fingerprint);
    assert.equal(certificateFingerprint(input.ca_b_pem, 'sha256'), expected.ca_b_sha256_fingerprint);
    assert.equal(idpId(input.client_issued_by_ca_a_pem, 'apache'), expected.idp_id_for_client_a);
    assert.equal(idpId(input.client_issued_by_ca_b_pem, 'apache'), expected.idp_id_for_client_b);

    const pick = (env: Env): Env =>
      Object.fromEntries(Object.entries(env).filter(([k]) => /^SSL_CLIENT_(S_DN|I_DN|VERIFY)/.test(k)));
    assert.deepEqual(pick(apacheEnv(input.client_issued_by_ca_a_pem)), expected.apache_env_both_cas_trusted.client_a);
    assert.deepEqual(pick(apacheEnv(input.client_issued_by_ca_b_pem)), expected.apache_env_both_cas_trusted.client_b);
  });
});

describe('BR-14 UTF-8 attribute decoding', () => {
  interface Br14 {
    input: { ou_utf8_bytes_hex: string; ou_if_decoded_as_latin1: string; cn: string };
    expected: { decoded_correctly: Array<{ assertion: Env }> };
  }
  const report = loadReport<Br14>('BR-14');
  // BR-14 carries no certificate; BR-02's certificate holds the same OU.
  const pem = loadReport<{ input: { certificate_pem: string } }>('BR-02').input.certificate_pem;

  it('the per-attribute variables carry the Unicode text, not its Latin-1 reading', () => {
    const env = apacheEnv(pem);
    const assertion = report.expected.decoded_correctly[0].assertion;
    assert.equal(env.SSL_CLIENT_S_DN_CN, assertion.SSL_CLIENT_S_DN_CN);
    assert.equal(env.SSL_CLIENT_S_DN_OU, assertion.SSL_CLIENT_S_DN_OU);
    assert.equal(Buffer.from(env.SSL_CLIENT_S_DN_OU, 'utf8').toString('hex'), report.input.ou_utf8_bytes_hex);
    assert.notEqual(env.SSL_CLIENT_S_DN_OU, report.input.ou_if_decoded_as_latin1);
    assert.equal(inspectCertificate(pem).haproxy_headers['x-ssl-client-o'], 'Ejemplo España');
  });
});
