/** Settings of a registry process, from the environment. */
export interface RegistryConfig {
  /** PostgreSQL connection string; the embedded database is used when absent. */
  databaseUrl?: string;
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
}

function intFrom(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer, got "${value}"`);
  return n;
}

export function configFromEnv(env: NodeJS.ProcessEnv = process.env): RegistryConfig {
  return {
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
  };
}

export const REGISTRY_CONFIG = Symbol('REGISTRY_CONFIG');
