import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { lock } from 'proper-lockfile';

export interface EmbeddedPostgres {
  url: string;
  stop(): Promise<void>;
}

/**
 * PostgreSQL compiled to WebAssembly (PGlite), served on a loopback port so
 * the same pg/TypeORM code path runs as against a server. It executes one
 * transaction at a time and does not carry NOTIFY between connections, so
 * followers rely on polling here.
 */
export async function startEmbeddedPostgres(dataDir: string): Promise<EmbeddedPostgres> {
  // `memory://...` keeps the database in memory (tests); anything else is a folder.
  let release = async () => undefined as void;
  if (!dataDir.startsWith('memory://')) {
    mkdirSync(dataDir, { recursive: true });
    release = await lockDataDir(dataDir);
  }
  const db = await PGlite.create(dataDir).catch(async (err: unknown) => {
    await release();
    throw err;
  });
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections: 16 });
  await server.start();
  // getServerConn() answers "host:port" once listening.
  const conn = server.getServerConn();
  return {
    url: `postgres://postgres@${conn}/postgres`,
    async stop() {
      await server.stop();
      await db.close();
      await release();
    },
  };
}

/**
 * One process per data folder: a second one would open the same files and
 * each would lose the other's writes. The lock (`<folder>.lock`, kept fresh
 * while the process runs) is taken over once it is stale, so a killed
 * process does not leave the folder locked for good.
 */
async function lockDataDir(dataDir: string): Promise<() => Promise<void>> {
  try {
    return await lock(dataDir, { realpath: false, stale: 10_000, update: 2_000 });
  } catch (err) {
    if ((err as { code?: string }).code === 'ELOCKED') {
      throw new Error(
        `the data folder ${dataDir} is in use by another registry process; stop it, or give each process its own DATA_DIR, ` +
          'or share a PostgreSQL server through DATABASE_URL',
      );
    }
    throw err;
  }
}
