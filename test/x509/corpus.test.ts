/**
 * Every certificate of the x509 corpus, byte for byte against what openssl
 * 3.0, Apache 2.4 mod_ssl and HAProxy 2.6 really produced.
 *
 * Values that depend on the run rather than on the certificate are not
 * left out but fed in from the run: SSL_CLIENT_V_REMAIN is computed with
 * `now` set to the recording time (see recordingTime), the client-sent
 * SSL_CLIENT_CERT_CHAIN_n certificates and the verification results of the
 * trust cases are passed as options. Fingerprints and the binary SHA-1
 * header are fixed for a fixed certificate, so they are compared as well.
 */
import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import {
  DnFormat,
  ISSUER_FORMATS,
  apacheEnv,
  apacheEnvWithoutCertificate,
  apacheLegacyEnv,
  certificateFingerprint,
  envFromHaproxyHeaders,
  haproxyHeaders,
  haproxyHeadersWithoutCertificate,
  inspectCertificate,
} from '../../libs/x509/src';
import { CorpusCase, Env, clientChain, loadCorpus, recordingTime } from './support/corpus';

const corpus = loadCorpus();
const now = recordingTime(corpus);

/** The env of the Apache vhost that accepted the certificate, if any. */
function acceptedApacheEnv(c: CorpusCase): Env | undefined {
  return c.apache_env ?? c.apache_optional_no_ca_env ?? undefined;
}

function recordedHeaders(c: CorpusCase): Env | undefined {
  return c.haproxy_headers ?? c.haproxy_ignore_err_headers ?? undefined;
}

/**
 * What each producer passed for the subject and the issuer. Where a
 * terminator refused the handshake (date-expired), the Apache formats fall
 * back to the openssl strings the document equates them with:
 * `rfc2253,-esc_msb` for the default vhost, compat for the legacy one.
 */
function expectedDns(c: CorpusCase, part: 'subject' | 'issuer'): Record<DnFormat, string> {
  const o = c.openssl![part];
  const env = acceptedApacheEnv(c);
  const legacy = c.apache_legacy_env;
  const hp = recordedHeaders(c)!;
  const varName = part === 'subject' ? 'SSL_CLIENT_S_DN' : 'SSL_CLIENT_I_DN';
  // mod_ssl sets no SSL_CLIENT_S_DN at all for an empty subject.
  const fromEnv = (e: Env | null | undefined, fallback: string): string =>
    e ? (e[varName] ?? '') : fallback;
  return {
    apache: fromEnv(env, o.rfc2253_no_esc_msb),
    'apache-legacy': fromEnv(legacy, o.compat),
    haproxy: part === 'subject' ? hp['x-ssl-client-dn-unquoted'] : hp['x-ssl-issuer-unquoted'],
    'haproxy-rfc2253': part === 'subject' ? hp['x-ssl-client-dn-rfc2253'] : hp['x-ssl-issuer-rfc2253'],
    'openssl-rfc2253': o.rfc2253,
    'openssl-compat': o.compat,
  };
}

/** The hash of each passed issuer string, as the corpus computed it. */
function expectedIds(c: CorpusCase): Partial<Record<DnFormat, string>> {
  const passed = c.idp_id!.sha256_of_passed_value;
  const ids: Partial<Record<DnFormat, string>> = {
    'openssl-rfc2253': c.idp_id!.rfc2253,
    'openssl-compat': c.idp_id!.compat,
  };
  const put = (format: DnFormat, key: string): void => {
    const value = passed[key];
    if (value) ids[format] = value;
  };
  put('apache', 'apache_SSL_CLIENT_I_DN');
  put('apache-legacy', 'apache_legacy_SSL_CLIENT_I_DN');
  put('haproxy', 'haproxy_X-SSL-Issuer');
  put('haproxy-rfc2253', 'haproxy_X-SSL-Issuer-RFC2253');
  return ids;
}

const sha256 = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

describe('x509 corpus', () => {
  it('holds the 39 recorded cases and pins the recording time', () => {
    assert.equal(corpus.length, 39);
    assert.equal(now.toISOString(), '2026-12-03T17:22:28.000Z');
  });

  for (const c of corpus) {
    describe(c.file, () => {
      if (c.cert_pem === null) {
        it('no certificate: Apache, HAProxy and the two-tier set-up', () => {
          assert.deepEqual(apacheEnvWithoutCertificate(), c.apache_env);
          assert.deepEqual(apacheEnvWithoutCertificate(), c.apache_legacy_env);
          assert.deepEqual(haproxyHeadersWithoutCertificate(), c.haproxy_headers);
          assert.deepEqual(envFromHaproxyHeaders(c.haproxy_headers!), c.haproxy_apache_env);
        });
        return;
      }
      const pem = c.cert_pem;
      const inspection = inspectCertificate(pem, { now });

      it('subject and issuer strings in every format', () => {
        for (const part of ['subject', 'issuer'] as const) {
          const want = expectedDns(c, part);
          for (const format of ISSUER_FORMATS) {
            assert.equal(inspection[part][format], want[format], `${part} ${format}`);
          }
        }
      });

      it('IdP ids equal the hashes of the passed issuer strings and the document pipelines', () => {
        assert.equal(c.idp_id!.rfc2253_issuer, inspection.issuer['openssl-rfc2253']);
        assert.equal(c.idp_id!.compat_issuer, inspection.issuer['openssl-compat']);
        for (const [format, id] of Object.entries(expectedIds(c))) {
          assert.equal(inspection.idp_id[format as DnFormat], id, format);
        }
        for (const format of ISSUER_FORMATS) {
          assert.equal(inspection.idp_id[format], sha256(inspection.issuer[format]), format);
        }
      });

      const env = acceptedApacheEnv(c);
      if (env) {
        it('Apache environment, every variable', () => {
          const options = { now, verify: env.SSL_CLIENT_VERIFY, clientChain: clientChain(env) };
          assert.deepEqual(apacheEnv(pem, options), env);
          if (c.apache_legacy_env) assert.deepEqual(apacheLegacyEnv(pem, options), c.apache_legacy_env);
        });
      }

      it('Apache values not tied to the vhost: serial, dates, fingerprints', () => {
        const got = apacheEnv(pem, { now });
        assert.equal(got.SSL_CLIENT_M_SERIAL, c.openssl!.serial);
        assert.equal(got.SSL_CLIENT_V_START, c.openssl!.not_before);
        assert.equal(got.SSL_CLIENT_V_END, c.openssl!.not_after);
        assert.equal(certificateFingerprint(pem, 'sha1'), c.openssl!.sha1_fingerprint);
        assert.equal(certificateFingerprint(pem, 'sha256'), c.openssl!.sha256_fingerprint);
      });

      const headers = recordedHeaders(c);
      if (headers) {
        it('HAProxy headers, every header in order', () => {
          const got = haproxyHeaders(pem, {
            verifyCode: Number(headers['x-ssl-client-verify']),
            errorCode: Number(headers['x-ssl-client-err']),
          });
          assert.deepEqual(got, headers);
          assert.deepEqual(Object.keys(got), Object.keys(headers));
          if (c.haproxy_headers) assert.deepEqual(inspection.haproxy_headers, c.haproxy_headers);
        });
      }

      if (c.haproxy_headers && c.haproxy_apache_env) {
        it('HAProxy then Apache SetEnvIf (the document two-tier set-up)', () => {
          assert.deepEqual(envFromHaproxyHeaders(c.haproxy_headers!), c.haproxy_apache_env);
        });
      }

      it('strings that are not UTF-8 are their ISO-8859-1 reading, as raw_hex records', () => {
        const sources: Record<string, Env | null | undefined> = {
          haproxy_headers: c.haproxy_headers,
          haproxy_ignore_err_headers: c.haproxy_ignore_err_headers,
          haproxy_apache_env: c.haproxy_apache_env,
        };
        for (const [source, values] of Object.entries(c.raw_hex)) {
          for (const [key, hex] of Object.entries(values)) {
            assert.equal(Buffer.from(sources[source]![key], 'latin1').toString('hex'), hex, `${source}.${key}`);
          }
        }
      });
    });
  }
});
