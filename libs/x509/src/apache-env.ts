/**
 * The environment Apache 2.4 mod_ssl gives a request with
 * `SSLOptions +StdEnvVars +ExportCertData` (the set-up the corpus records),
 * for the main vhost and for one with +LegacyDNStringFormat. Only the
 * SSL_CLIENT_* variables and HTTPS are produced: the SSL_SERVER_* and
 * session variables describe the server and the connection, not the
 * certificate.
 */
import { Asn1StringValue, printAsn1String } from './asn1-string-print';
import { daysRemaining, opensslTimeText } from './asn1-time';
import { ByteSink, bytesToText } from './bytes';
import { CertificateInput } from './certificate-input';
import { AltName, ClientCertificate, readCertificate } from './client-certificate';
import { Tag, isPrimitiveUniversal } from './der-reader';
import { DistinguishedName } from './distinguished-name';
import { dnString } from './dn-formats';
import { OID_MS_UPN, algorithmNames } from './oid-names';
import { certificatePem } from './pem';
import { opensslSerialHex, serialDecimal } from './serial-number';

export interface ApacheEnvOptions {
  /** The clock SSL_CLIENT_V_REMAIN counts from; defaults to the current time. */
  readonly now?: Date;
  /**
   * SSL_CLIENT_VERIFY, "SUCCESS" by default. With `SSLVerifyClient
   * optional_no_ca` an unknown CA gives "FAILED:unable to verify the first certificate".
   */
  readonly verify?: string;
  /**
   * The certificates the client sent after its own (SSL_CLIENT_CERT_CHAIN_n).
   * They depend on the client, not on the certificate, so none by default.
   */
  readonly clientChain?: readonly CertificateInput[];
  /** Include SSL_CLIENT_CERT and SSL_CLIENT_CERT_CHAIN_n (+ExportCertData). */
  readonly exportCertData?: boolean;
}

/**
 * The attribute types mod_ssl exports as SSL_CLIENT_S_DN_x / I_DN_x, with
 * their variable suffixes. There is no DC and nothing for other types.
 */
const DN_VARIABLE_SUFFIXES: ReadonlyMap<string, string> = new Map([
  ['2.5.4.6', 'C'],
  ['2.5.4.8', 'ST'],
  ['2.5.4.7', 'L'],
  ['2.5.4.10', 'O'],
  ['2.5.4.11', 'OU'],
  ['2.5.4.3', 'CN'],
  ['2.5.4.12', 'T'],
  ['2.5.4.43', 'I'],
  ['2.5.4.42', 'G'],
  ['2.5.4.4', 'S'],
  ['2.5.4.13', 'D'],
  ['0.9.2342.19200300.100.1.1', 'UID'],
  ['1.2.840.113549.1.9.1', 'Email'],
  ['2.5.4.5', 'SerialNumber'],
]);

/** mod_ssl's main vhost (RFC 2253 DN strings). */
export function apacheEnv(input: CertificateInput, options: ApacheEnvOptions = {}): Record<string, string> {
  return apacheEnvOf(readCertificate(input), options, false);
}

/** A vhost with `SSLOptions +LegacyDNStringFormat`: only S_DN and I_DN differ. */
export function apacheLegacyEnv(
  input: CertificateInput,
  options: ApacheEnvOptions = {},
): Record<string, string> {
  return apacheEnvOf(readCertificate(input), options, true);
}

/** What mod_ssl sets when the client sent no certificate (SSLVerifyClient optional). */
export function apacheEnvWithoutCertificate(): Record<string, string> {
  return { HTTPS: 'on', SSL_CLIENT_CERT: '', SSL_CLIENT_VERIFY: 'NONE' };
}

/** Shared by `apacheEnv`, `apacheLegacyEnv` and `inspectCertificate`. */
export function apacheEnvOf(
  cert: ClientCertificate,
  options: ApacheEnvOptions,
  legacy: boolean,
): Record<string, string> {
  const env: Record<string, string> = { HTTPS: 'on' };
  // The standard variables are set only when their value is not empty,
  // which is why an empty subject gives no SSL_CLIENT_S_DN at all.
  const setStandard = (name: string, value: string): void => {
    if (value !== '') env[name] = value;
  };
  const dnFormat = legacy ? 'apache-legacy' : 'apache';

  setStandard('SSL_CLIENT_VERIFY', options.verify ?? 'SUCCESS');
  setStandard('SSL_CLIENT_M_VERSION', String(cert.version));
  setStandard('SSL_CLIENT_M_SERIAL', opensslSerialHex(cert.serial));
  setStandard('SSL_CLIENT_V_START', opensslTimeText(cert.notBefore));
  setStandard('SSL_CLIENT_V_END', opensslTimeText(cert.notAfter));
  setStandard('SSL_CLIENT_V_REMAIN', daysRemaining(cert.notAfter, options.now ?? new Date()));
  setStandard('SSL_CLIENT_S_DN', dnString(cert.subject, dnFormat));
  setStandard('SSL_CLIENT_I_DN', dnString(cert.issuer, dnFormat));
  setStandard('SSL_CLIENT_A_KEY', algorithmNames(cert.publicKeyAlgorithmOid)?.long ?? 'UNKNOWN');
  setStandard('SSL_CLIENT_A_SIG', algorithmNames(cert.signatureAlgorithmOid)?.long ?? 'UNKNOWN');
  setStandard('SSL_CLIENT_CERT_RFC4523_CEA', rfc4523Cea(cert));

  Object.assign(env, dnVariables('SSL_CLIENT_S_DN_', cert.subject));
  Object.assign(env, dnVariables('SSL_CLIENT_I_DN_', cert.issuer));
  Object.assign(env, altNameVariables(cert.altNames));

  if (options.exportCertData ?? true) {
    env.SSL_CLIENT_CERT = certificatePem(cert.der);
    (options.clientChain ?? []).forEach((extra, n) => {
      env[`SSL_CLIENT_CERT_CHAIN_${n}`] = certificatePem(readCertificate(extra).der);
    });
  }
  return sortedByName(env);
}

/** `{ serialNumber <decimal>, issuer rdnSequence:"<RFC 2253, \XX escapes>" }`. */
function rfc4523Cea(cert: ClientCertificate): string {
  const issuer = dnString(cert.issuer, 'openssl-rfc2253');
  return `{ serialNumber ${serialDecimal(cert.serial)}, issuer rdnSequence:"${issuer}" }`;
}

/**
 * Per-attribute values are not RFC 2253-escaped: they are decoded to UTF-8,
 * control characters become \XX and, because some escaping is on, a
 * backslash is doubled.
 */
function attributeText(value: Asn1StringValue): string {
  const out = new ByteSink();
  printAsn1String(value, { escCtrl: true, utf8Convert: true }, out);
  return bytesToText(out.toBytes());
}

/** First occurrence is `_OU`, later ones `_OU_1`, `_OU_2`, ... in encoding order. */
function dnVariables(prefix: string, name: DistinguishedName): Record<string, string> {
  const vars: Record<string, string> = {};
  const seen = new Map<string, number>();
  for (const entry of name) {
    const suffix = DN_VARIABLE_SUFFIXES.get(entry.oid);
    if (suffix === undefined) continue;
    const count = seen.get(suffix);
    seen.set(suffix, (count ?? -1) + 1);
    const key = count === undefined ? prefix + suffix : `${prefix}${suffix}_${count + 1}`;
    vars[key] = attributeText(entry.value);
  }
  return vars;
}

/**
 * SSL_CLIENT_SAN_Email_n, _DNS_n and _OTHER_msUPN_n, numbered from 0 per
 * kind. mod_ssl has nothing for URI, IP, directoryName or other forms, and
 * skips an msUPN whose value is not a UTF8String.
 */
function altNameVariables(altNames: readonly AltName[]): Record<string, string> {
  const lists: Record<string, string[]> = { Email: [], DNS: [], OTHER_msUPN: [] };
  for (const alt of altNames) {
    if (alt.kind === 'email' || alt.kind === 'dns') {
      const value: Asn1StringValue = { type: Tag.IA5_STRING, data: alt.value, tlv: alt.value };
      lists[alt.kind === 'email' ? 'Email' : 'DNS'].push(attributeText(value));
    } else if (alt.kind === 'otherName' && alt.typeId === OID_MS_UPN) {
      if (isPrimitiveUniversal(alt.value, Tag.UTF8_STRING)) {
        const value: Asn1StringValue = { type: Tag.UTF8_STRING, data: alt.value.content, tlv: alt.value.tlv };
        lists.OTHER_msUPN.push(attributeText(value));
      }
    }
  }
  const vars: Record<string, string> = {};
  for (const [kind, values] of Object.entries(lists)) {
    values.forEach((value, n) => {
      vars[`SSL_CLIENT_SAN_${kind}_${n}`] = value;
    });
  }
  return vars;
}

/** Name order, as the corpus lists them; it makes output stable to compare. */
function sortedByName(env: Record<string, string>): Record<string, string> {
  const sorted: Record<string, string> = {};
  for (const key of Object.keys(env).sort()) sorted[key] = env[key];
  return sorted;
}
