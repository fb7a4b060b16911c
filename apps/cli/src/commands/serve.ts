import type { Command } from 'commander';
import { configFromEnv } from '../../../api/src/config';
import { startRegistry } from '../../../api/src/app';
import { createDataSource, migrate } from '../../../../libs/store/src';
import { startWorker } from '../../../worker/src/worker';
import { createLogger } from '../../../api/src/http/logger';

function onSignals(stop: () => Promise<void>): void {
  let stopping = false;
  const handler = () => {
    if (stopping) return;
    stopping = true;
    stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
}

export function registerServeCommands(program: Command): void {
  program
    .command('serve')
    .description('run the registry API (and, unless --no-worker, the history worker) on PORT; embedded PostgreSQL unless DATABASE_URL is set')
    .option('--no-worker', 'run the API only')
    .action(async (opts: { worker: boolean }) => {
      const registry = await startRegistry(configFromEnv(), { withWorker: opts.worker });
      onSignals(() => registry.close());
    });

  program
    .command('worker')
    .description('run the history worker alone against DATABASE_URL (standby while another worker leads)')
    .action(async () => {
      const config = configFromEnv();
      if (!config.databaseUrl) throw new Error('the worker alone needs DATABASE_URL (the embedded database runs inside `serve`)');
      const logger = createLogger(config.logLevel);
      const ds = createDataSource({ url: config.databaseUrl, poolSize: 2 });
      await ds.initialize();
      await migrate(ds);
      const worker = await startWorker({
        dataSource: ds,
        listenUrl: config.databaseUrl,
        pollIntervalMs: config.pollIntervalMs,
        log: ({ level, msg, ...rest }) => logger[(level as 'info') ?? 'info'](rest, String(msg)),
      });
      onSignals(async () => {
        await worker.stop();
        await ds.destroy();
      });
    });

  program
    .command('migrate')
    .description('apply pending database migrations to DATABASE_URL')
    .action(async () => {
      const config = configFromEnv();
      if (!config.databaseUrl) throw new Error('migrate needs DATABASE_URL');
      const ds = createDataSource({ url: config.databaseUrl, poolSize: 2 }); // the migration lock holds one connection
      await ds.initialize();
      const applied = await migrate(ds);
      console.log(applied.length > 0 ? `applied: ${applied.join(', ')}` : 'nothing to apply');
      await ds.destroy();
    });
}
