import type { Command } from 'commander';
import { configFromEnv } from '../../../api/src/config';
import { startRegistry } from '../../../api/src/app';
import { createDataSource, migrate } from '../../../../libs/store/src';
import { startWorker } from '../../../worker/src/worker';
import { createLogger } from '../../../api/src/http/logger';

const SHUTDOWN_GRACE_MS = 10_000;

function onSignals(stop: () => Promise<void>): void {
  let stopping = false;
  const handler = () => {
    if (stopping) return;
    stopping = true;
    // Requests still open after the grace period do not keep the process alive.
    setTimeout(() => {
      process.stderr.write('shutdown grace period over; exiting\n');
      process.exit(1);
    }, SHUTDOWN_GRACE_MS).unref();
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
      const config = configFromEnv();
      const logger = createLogger(config.logLevel);
      const registry = await startRegistry(config, { withWorker: opts.worker }).catch(async (err: unknown) => {
        // A process that logs JSON says why it could not start in JSON too.
        logger.fatal({ err: err instanceof Error ? err.message : String(err) }, 'registry failed to start');
        await new Promise<void>((r) => logger.flush(() => r()));
        process.exit(2);
      });
      onSignals(async () => {
        logger.info('registry stopping');
        await registry.close();
        logger.info('registry stopped');
        await new Promise<void>((r) => logger.flush(() => r()));
      });
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
      // One session holds the migration lock while another runs the migrations.
      const ds = createDataSource({ url: config.databaseUrl, poolSize: 2 });
      await ds.initialize();
      const applied = await migrate(ds);
      console.log(applied.length > 0 ? `applied: ${applied.join(', ')}` : 'nothing to apply');
      await ds.destroy();
    });
}
