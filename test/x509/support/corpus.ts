/**
 * The x509 corpus (test/fixtures/cases/x509, copied verbatim from the
 * shared cases): real certificates with what openssl, Apache mod_ssl and
 * HAProxy produced for each of them.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

export const FIXTURES = join(process.cwd(), 'test/fixtures/cases');

export type Env = Record<string, string>;

interface DnStrings {
  readonly rfc2253: string;
  readonly compat: string;
  readonly oneline: string;
  readonly rfc2253_no_esc_msb: string;
}

export interface CorpusCase {
  readonly file: string;
  readonly description: string;
  readonly cert_pem: string | null;
  readonly chain_pem: string | null;
  readonly der: { readonly not_before: { readonly value: string; readonly asn1_type: string } } | null;
  readonly openssl: {
    readonly subject: DnStrings;
    readonly issuer: DnStrings;
    readonly serial: string;
    readonly not_before: string;
    readonly not_after: string;
    readonly sha1_fingerprint: string;
    readonly sha256_fingerprint: string;
  } | null;
  readonly idp_id: {
    readonly rfc2253_issuer: string;
    readonly rfc2253: string;
    readonly compat_issuer: string;
    readonly compat: string;
    readonly sha256_of_passed_value: Record<string, string | null>;
  } | null;
  readonly apache_env: Env | null;
  readonly apache_legacy_env: Env | null;
  readonly apache_optional_no_ca_env?: Env | null;
  readonly haproxy_headers: Env | null;
  readonly haproxy_ignore_err_headers?: Env | null;
  readonly haproxy_apache_env: Env | null;
  readonly raw_hex: Record<string, Record<string, string>>;
}

export function loadCorpus(): CorpusCase[] {
  const dir = join(FIXTURES, 'x509');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((file) => ({ file, ...JSON.parse(readFileSync(join(dir, file), 'utf8')) }) as CorpusCase);
}

export function loadReport<T>(id: string): T {
  const dir = join(FIXTURES, 'reports');
  const file = readdirSync(dir).find((f) => f.startsWith(`${id}-`));
  if (!file) throw new Error(`report ${id} is missing from ${dir}`);
  return JSON.parse(readFileSync(join(dir, file), 'utf8')) as T;
}

/**
 * SSL_CLIENT_V_REMAIN counts days from the moment Apache served the request,
 * which the corpus does not record. The script built the PKI first and then
 * made the requests, so that moment is after the latest notBefore of the
 * run; the recorded values (824 days for certificates valid 825 days,
 * 12140 for the one ending 2060-02-29T12:00Z) pin it to less than a day
 * later. One hour after the latest notBefore is inside that window.
 */
export function recordingTime(cases: readonly CorpusCase[]): Date {
  let latest = 0;
  for (const c of cases) {
    const text = c.der?.not_before.value;
    if (!text || c.der?.not_before.asn1_type !== 'UTCTime') continue;
    const [yy, mo, dd, hh, mi, ss] = (text.match(/\d\d/g) ?? []).map(Number);
    const t = Date.UTC(yy < 50 ? 2000 + yy : 1900 + yy, mo - 1, dd, hh, mi, ss);
    if (t > latest) latest = t;
  }
  return new Date(latest + 3_600_000);
}

/** The SSL_CLIENT_CERT_CHAIN_n values of an env, in order. */
export function clientChain(env: Env): string[] {
  return Object.keys(env)
    .filter((k) => k.startsWith('SSL_CLIENT_CERT_CHAIN_'))
    .sort((a, b) => Number(a.split('_').pop()) - Number(b.split('_').pop()))
    .map((k) => env[k]);
}
