import { startRegistry, type RunningRegistry } from '../../apps/api/src/app';
import { configFromEnv } from '../../apps/api/src/config';
import { createTestDatabase, type TestDatabase } from './db';

export const ADMIN_TOKEN = 'test-admin-token';

export interface TestRegistry {
  registry: RunningRegistry;
  db: TestDatabase;
  url: string;
  call(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<Answer>;
  stop(): Promise<void>;
}

export interface Answer {
  status: number;
  headers: Headers;
  body: any;
}

/** A registry on a fresh database of the test server, listening on a free loopback port. */
export async function startTestRegistry(options: { withWorker?: boolean; env?: Record<string, string> } = {}): Promise<TestRegistry> {
  const db = await createTestDatabase();
  const config = {
    ...configFromEnv({ ...options.env }),
    databaseUrl: db.url,
    databaseIsServer: !db.embedded,
    port: 0,
    adminToken: ADMIN_TOKEN,
    logLevel: process.env.TEST_LOG_LEVEL ?? 'silent',
    pollIntervalMs: 50,
  };
  const registry = await startRegistry(config, { withWorker: options.withWorker });
  const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(registry.url + path, {
      method,
      headers: {
        'X-Auth-Token': ADMIN_TOKEN,
        ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}),
        ...headers,
      },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text === '' ? null : JSON.parse(text);
    } catch {
      // leave as text
    }
    return { status: res.status, headers: res.headers, body: parsed };
  };
  return {
    registry,
    db,
    url: registry.url,
    call,
    async stop() {
      await registry.close();
      await db.drop();
    },
  };
}
