import { randomBytes } from 'node:crypto';
import { Socket } from 'node:net';
import { Client } from 'pg';
import { startEmbeddedPostgres } from '../../libs/store/src';

/**
 * Where the suite's databases live: the server named by TEST_DATABASE_URL or
 * DATABASE_URL; else a PostgreSQL server on 127.0.0.1:5432 if one answers;
 * else an embedded PostgreSQL (PGlite) per test database, so the suite also
 * runs on a bare machine (TEST_DATABASE=embedded forces it). A few tests need what only a server has
 * (concurrent transactions, sessions of their own) and skip on embedded.
 */
const EXPLICIT_URL = process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL;
const LOCAL_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

let mode: Promise<'server' | 'embedded'> | undefined;

function probe(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    socket.setTimeout(1000);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
    socket.connect(port, host);
  });
}

export function databaseMode(): Promise<'server' | 'embedded'> {
  if (process.env.TEST_DATABASE === 'embedded') mode ??= Promise.resolve('embedded');
  mode ??= EXPLICIT_URL ? Promise.resolve('server') : probe('127.0.0.1', 5432).then((up) => (up ? 'server' : 'embedded'));
  return mode;
}

/** True when tests run on a PostgreSQL server (needed for concurrency interleavings). */
export async function onServer(): Promise<boolean> {
  return (await databaseMode()) === 'server';
}

function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

export interface TestDatabase {
  url: string;
  /** An embedded database behind its socket: no LISTEN/NOTIFY across connections, no session locks. */
  embedded: boolean;
  name: string;
  drop(): Promise<void>;
}

/** Creates an empty database for one test file (or one case); `drop()` removes it. */
export async function createTestDatabase(prefix = 'tr_test'): Promise<TestDatabase> {
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  if ((await databaseMode()) === 'embedded') {
    const embedded = await startEmbeddedPostgres(`memory://${name}`);
    return { name, url: embedded.url, embedded: true, drop: () => embedded.stop() };
  }
  const adminUrl = EXPLICIT_URL ?? LOCAL_URL;
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  return {
    name,
    url: withDatabase(adminUrl, name),
    embedded: false,
    async drop() {
      const c = new Client({ connectionString: adminUrl });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}
