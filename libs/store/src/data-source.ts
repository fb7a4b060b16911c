import { DataSource } from 'typeorm';
import { MIGRATIONS } from '../../../migrations';
import { ChangeHistoryEntity, CheckpointEntity } from './entities';

export const ENTITIES = [CheckpointEntity, ChangeHistoryEntity];

export interface DataSourceSettings {
  url: string;
  poolSize?: number;
}

export function createDataSource(settings: DataSourceSettings): DataSource {
  return new DataSource({
    type: 'postgres',
    url: settings.url,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsTableName: 'migrations',
    synchronize: false,
    migrationsRun: false,
    logging: false,
    extra: { max: settings.poolSize ?? 10 },
  });
}

/** Arbitrary but fixed advisory-lock keys, one per exclusive activity. */
export const LOCKS = {
  migrations: 7_301_001,
  append: 7_301_002,
  historyWorker: 7_301_003,
} as const;

/**
 * Runs pending migrations under one advisory lock, so replicas starting
 * together neither race to create the migrations table nor apply a
 * migration twice: the others wait, then find nothing pending.
 */
export async function migrate(ds: DataSource, options: { exclusive?: boolean } = {}): Promise<string[]> {
  // A single-connection database (the embedded one) has one process and no second session to lock.
  if (options.exclusive === false) {
    return (await ds.runMigrations({ transaction: 'each' })).map((m) => m.name);
  }
  const runner = ds.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('SELECT pg_advisory_lock($1)', [LOCKS.migrations]);
    const applied = await ds.runMigrations({ transaction: 'each' });
    return applied.map((m) => m.name);
  } finally {
    await runner.query('SELECT pg_advisory_unlock($1)', [LOCKS.migrations]).catch(() => undefined);
    await runner.release();
  }
}
