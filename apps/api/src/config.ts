import { isIP } from 'node:net';
import proxyaddr from 'proxy-addr';
import { GUIDE_SET_ENV_IF } from '../../../libs/x509/src';

/** Settings of a registry process, from the environment. */
export interface RegistryConfig {
  /** PostgreSQL connection string; the embedded database is used when absent. */
  databaseUrl?: string;
  /**
   * Whether the database is a server that delivers LISTEN/NOTIFY across
   * connections and keeps session advisory locks (false for an embedded one
   * reached through its socket: polling alone then drives followers).
   */
  databaseIsServer?: boolean;
  /** Folder for the embedded database's files. */
  dataDir: string;
  host: string;
  port: number;
  /** Accepted as an admin token when set (REGISTRY_ADMIN_TOKEN). */
  adminToken?: string;
  /** How often a follower polls the log when no notification arrives. */
  pollIntervalMs: number;
  /** The longest an authorize call waits for `min_position`. */
  maxWaitMs: number;
  /** Write a state snapshot after this many new events (0 or absent: never). */
  snapshotEvery?: number;
  logLevel: string;
  /** Answer 500s with Keystone's insecure_debug details appended. */
  insecureDebug: boolean;
  /**
   * Addresses or CIDRs of the proxies whose forwarded and client-certificate
   * headers are believed (TRUSTED_PROXIES, comma-separated). Empty: none.
   */
  trustedProxies: string[];
  /**
   * Certificate header to variable, as Apache's SetEnvIf lines of the guide
   * copy them (CERT_HEADER_MAP="X-SSL-Issuer=SSL_CLIENT_I_DN,...").
   */
  certificateHeaderMap: Array<[string, string]>;
  /** The header whose value must be "0" (verified) when present (CERT_VERIFY_HEADER; empty disables). */
  certificateVerifyHeader?: string;
  /** Terminate TLS in the registry (TLS_CERT, TLS_KEY, TLS_CLIENT_CA: PEM file paths). */
  tls?: { certFile: string; keyFile: string; clientCaFile?: string };
  /**
   * The project on which a client certificate's own tokenless roles
   * (admin, auditor, reader) are registry rights (REGISTRY_AUTH_PROJECT:
   * `name@domain-name` or a project id). Absent: certificates give no rights.
   */
  registryProject?: RegistryProjectRef;
  /**
   * The decisions authorize has seen are recorded in batches (AUDIT_*).
   * `failMode` (AUDIT_FAIL_MODE): `open` answers and counts what could not
   * be recorded; `closed` refuses authorize (503 audit_unavailable) while
   * decisions cannot be recorded.
   */
  audit: AuditConfig;
}

export interface AuditConfig {
  failMode: 'open' | 'closed';
  /** Write the buffered decisions at least this often (AUDIT_FLUSH_MS). */
  flushMs: number;
  /** ... or as soon as this many distinct rows are buffered (AUDIT_FLUSH_ROWS). */
  flushRows: number;
  /** The most distinct rows held in memory, buffered and being written (AUDIT_BUFFER_ROWS). */
  bufferRows: number;
}

/** A project named by id, or by name within a domain named by name. */
export type RegistryProjectRef = { id: string } | { name: string; domainName: string };

function intFrom(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer, got "${value}"`);
  return n;
}

function listFrom(value: string | undefined): string[] {
  return (value ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
}

function trustedProxiesFrom(value: string | undefined): string[] {
  const list = listFrom(value);
  for (const entry of list) {
    // Dotted quads or IPv6 only: ipaddr.js would read "1" (a hop count elsewhere) as 0.0.0.1.
    const [address, prefix, ...rest] = entry.split('/');
    const named = ['loopback', 'linklocal', 'uniquelocal'].includes(entry);
    const shaped = isIP(address) !== 0 && rest.length === 0 && (prefix === undefined || /^\d{1,3}$/.test(prefix));
    try {
      if (!named && !shaped) throw new Error('not an address');
      proxyaddr.compile(entry);
    } catch {
      throw new Error(`TRUSTED_PROXIES: "${entry}" is not an IP address or CIDR (hop counts are not accepted)`);
    }
  }
  return list;
}

function auditFrom(env: NodeJS.ProcessEnv): AuditConfig {
  const failMode = env.AUDIT_FAIL_MODE || 'open';
  if (failMode !== 'open' && failMode !== 'closed') {
    throw new Error(`AUDIT_FAIL_MODE must be open or closed, got "${failMode}"`);
  }
  const positive = (value: string | undefined, fallback: number, name: string) => {
    const n = intFrom(value, fallback, name);
    if (n === 0) throw new Error(`${name} must be at least 1`);
    return n;
  };
  const flushRows = positive(env.AUDIT_FLUSH_ROWS, 1000, 'AUDIT_FLUSH_ROWS');
  const bufferRows = positive(env.AUDIT_BUFFER_ROWS, 10_000, 'AUDIT_BUFFER_ROWS');
  return {
    failMode,
    flushMs: positive(env.AUDIT_FLUSH_MS, 1000, 'AUDIT_FLUSH_MS'),
    flushRows: Math.min(flushRows, bufferRows),
    bufferRows,
  };
}

function headerMapFrom(value: string | undefined): Array<[string, string]> {
  if (value === undefined || value.trim() === '') return GUIDE_SET_ENV_IF.map(([h, v]) => [h, v]);
  return listFrom(value).map((pair) => {
    const m = /^([A-Za-z0-9-]+)=([A-Za-z0-9_]+)$/.exec(pair);
    if (!m) throw new Error(`CERT_HEADER_MAP: "${pair}" is not HEADER=VARIABLE`);
    return [m[1].toLowerCase(), m[2]];
  });
}

function tlsFrom(env: NodeJS.ProcessEnv): RegistryConfig['tls'] {
  if (!env.TLS_CERT && !env.TLS_KEY) {
    if (env.TLS_CLIENT_CA) throw new Error('TLS_CLIENT_CA needs TLS_CERT and TLS_KEY');
    return undefined;
  }
  if (!env.TLS_CERT || !env.TLS_KEY) throw new Error('TLS_CERT and TLS_KEY must be set together');
  return { certFile: env.TLS_CERT, keyFile: env.TLS_KEY, clientCaFile: env.TLS_CLIENT_CA || undefined };
}

/**
 * `name@domain-name` (split at the last `@`, so a project name may hold one)
 * or, without `@`, a project id.
 */
export function registryProjectFrom(value: string | undefined): RegistryProjectRef | undefined {
  const text = value?.trim() ?? '';
  if (text === '') return undefined;
  const at = text.lastIndexOf('@');
  if (at < 0) return { id: text };
  const name = text.slice(0, at);
  const domainName = text.slice(at + 1);
  if (name === '' || domainName === '') {
    throw new Error(`REGISTRY_AUTH_PROJECT: "${text}" is neither a project id nor name@domain-name`);
  }
  return { name, domainName };
}

/** How a registry project is shown in logs and messages: as it was configured. */
export function describeRegistryProject(ref: RegistryProjectRef): string {
  return 'id' in ref ? ref.id : `${ref.name}@${ref.domainName}`;
}

export function configFromEnv(env: NodeJS.ProcessEnv = process.env): RegistryConfig {
  const config: RegistryConfig = {
    databaseUrl: env.DATABASE_URL || undefined,
    dataDir: env.DATA_DIR || '.data/pglite',
    host: env.HOST || '127.0.0.1',
    port: intFrom(env.PORT, 8080, 'PORT'),
    adminToken: env.REGISTRY_ADMIN_TOKEN || undefined,
    pollIntervalMs: intFrom(env.POLL_INTERVAL_MS, 250, 'POLL_INTERVAL_MS'),
    maxWaitMs: intFrom(env.MAX_WAIT_MS, 5000, 'MAX_WAIT_MS'),
    snapshotEvery: intFrom(env.SNAPSHOT_EVERY, 50_000, 'SNAPSHOT_EVERY'),
    logLevel: env.LOG_LEVEL || 'info',
    insecureDebug: env.INSECURE_DEBUG === 'true',
    trustedProxies: trustedProxiesFrom(env.TRUSTED_PROXIES),
    certificateHeaderMap: headerMapFrom(env.CERT_HEADER_MAP),
    certificateVerifyHeader:
      env.CERT_VERIFY_HEADER === undefined ? 'x-ssl-client-verify' : env.CERT_VERIFY_HEADER.toLowerCase() || undefined,
    tls: tlsFrom(env),
    registryProject: registryProjectFrom(env.REGISTRY_AUTH_PROJECT),
    audit: auditFrom(env),
  };
  if (config.registryProject && !config.tls?.clientCaFile && config.trustedProxies.length === 0) {
    // Nothing would ever carry a client certificate: a silent no-op is worse than a refusal to start.
    throw new Error('REGISTRY_AUTH_PROJECT needs TLS_CLIENT_CA or TRUSTED_PROXIES: the registry sees no client certificate otherwise');
  }
  return config;
}

export const REGISTRY_CONFIG = Symbol('REGISTRY_CONFIG');
