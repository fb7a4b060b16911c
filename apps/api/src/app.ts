import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import { createDataSource, migrate, startEmbeddedPostgres, type EmbeddedPostgres } from '../../../libs/store/src';
import { startWorker, type RunningWorker } from '../../worker/src/worker';
import { AppModule } from './app.module';
import type { RegistryConfig } from './config';
import { PinoNestLogger, createLogger } from './http/logger';
import { setupOpenApi } from './http/openapi';
import { RegistryIndexService } from './registry/registry-index.service';

export interface RunningRegistry {
  app: NestFastifyApplication;
  dataSource: DataSource;
  /** The address the API listens on. */
  url: string;
  /** The database the registry uses (the embedded one's loopback address when embedded). */
  databaseUrl: string;
  worker?: RunningWorker;
  logger: Logger;
  close(): Promise<void>;
}

export interface StartOptions {
  /** Run the history worker in this process too (the default for `serve`). */
  withWorker?: boolean;
}

/** Connects to (or starts) the database, migrates it, and builds the HTTP application. */
export async function startRegistry(config: RegistryConfig, options: StartOptions = {}): Promise<RunningRegistry> {
  const logger = createLogger(config.logLevel);
  let embedded: EmbeddedPostgres | undefined;
  let databaseUrl: string;
  if (config.databaseUrl) {
    databaseUrl = config.databaseUrl;
  } else {
    embedded = await startEmbeddedPostgres(config.dataDir);
    databaseUrl = embedded.url;
    logger.info({ data_dir: config.dataDir }, 'embedded PostgreSQL started');
  }
  // Whatever started is stopped again if a later step fails, so a failed start leaves nothing running.
  const started: Array<() => Promise<unknown>> = [];
  if (embedded) started.push(() => embedded!.stop());
  const unwind = async () => {
    for (const stop of started.reverse()) await stop().catch(() => undefined);
  };
  try {
    const dataSource = createDataSource({ url: databaseUrl, poolSize: embedded ? 4 : 10 });
    await dataSource.initialize();
    started.push(() => dataSource.destroy());
    const applied = await migrate(dataSource);
    if (applied.length > 0) logger.info({ migrations: applied }, 'migrations applied');

    const adapter = new FastifyAdapter({
      logger: false,
      genReqId: () => `req-${randomUUID()}`,
      bodyLimit: 1024 * 1024,
      routerOptions: { ignoreTrailingSlash: true },
      // HEAD is served only where Keystone defines it (membership and grant checks).
      exposeHeadRoutes: false,
      trustProxy: false,
    });
    const app = await NestFactory.create<NestFastifyApplication>(AppModule.register(config, dataSource), adapter, {
      logger: new PinoNestLogger(logger),
      bufferLogs: false,
    });
    started.push(() => app.close());
    setupOpenApi(app);
    const fastify = app.getHttpAdapter().getInstance();
    fastify.addHook('onRequest', async (req, reply) => {
      void reply.header('x-openstack-request-id', req.id);
      void reply.header('Vary', 'X-Auth-Token');
    });
    // One line per request; refused authorize calls add their decision and reason.
    fastify.addHook('onResponse', async (req, reply) => {
      logger.info(
        {
          req_id: req.id,
          method: req.method,
          path: req.url.split('?')[0],
          status: reply.statusCode,
          ms: Math.round(reply.elapsedTime * 10) / 10,
          client: req.ip,
          actor: req.caller?.name,
          ...req.logFields,
        },
        'request',
      );
    });

    const registry = app.get(RegistryIndexService);
    await registry.start(embedded ? undefined : databaseUrl);
    await app.listen({ port: config.port, host: config.host });
    const address = fastify.server.address();
    const port = typeof address === 'object' && address ? address.port : config.port;
    const url = `http://${config.host}:${port}`;
    logger.info({ url, position: registry.position }, 'registry listening');

    const worker = options.withWorker
      ? await startWorker({
          dataSource,
          listenUrl: embedded ? undefined : databaseUrl,
          pollIntervalMs: config.pollIntervalMs,
          log: ({ level, msg, ...rest }) => logger[(level as 'info') ?? 'info'](rest, String(msg)),
        })
      : undefined;
    return {
      app,
      dataSource,
      url,
      databaseUrl,
      worker,
      logger,
      async close() {
        await worker?.stop();
        await app.close();
        await dataSource.destroy();
        await embedded?.stop();
      },
    };
  } catch (err) {
    await unwind();
    throw err;
  }
}
