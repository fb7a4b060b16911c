import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { NestFactory, Reflector } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyServerOptions } from 'fastify';
import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import { createDataSource, migrate, startEmbeddedPostgres, type EmbeddedPostgres } from '../../../libs/store/src';
import { startWorker, type RunningWorker } from '../../worker/src/worker';
import { AppModule } from './app.module';
import { describeRegistryProject, type RegistryConfig } from './config';
import { PinoNestLogger, createLogger, createRequestLogger, markArrival, type RequestLog } from './http/logger';
import { AuthGuard } from './http/auth.guard';
import { KeystoneErrorFilter } from './http/error.filter';
import { setupOpenApi } from './http/openapi';
import { RegistryIndexService } from './registry/registry-index.service';
import { PointInTimeService } from './registry/point-in-time.service';
import { SeenDecisionsService } from './registry/seen-decisions.service';
import { ClientCertificateService, httpsOptions } from './http/client-certificate';
import { errorBody } from './http/error.filter';
import { bodyProblem } from './http/body-checks';
import { ignoreForwardAuthBodies } from './v1/forward-auth.controller';
import { clientErrorHandler } from './http/client-error';
import { setCommonHeaders } from './http/request-context';
import { registerAuthorizeRoute } from './v1/authorize.controller';

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

const NUL_IN_URL = /%00|\u0000/i;

/**
 * `POST /v1/authorize`, with or without a trailing slash or query. A URL
 * holding a NUL, or a query that does not decode, is left to the Nest
 * application, whose first hook refuses it.
 */
function isAuthorizePost(req: IncomingMessage): boolean {
  if (req.method !== 'POST') return false;
  const url = req.url ?? '';
  if (!url.startsWith('/v1/authorize')) return false;
  if (url.length === 13) return true;
  const rest = url.slice(13);
  return (rest === '/' || rest.startsWith('?') || rest.startsWith('/?')) && !NUL_IN_URL.test(rest) && queryDecodes(url);
}

/** Whether every percent-encoded sequence in the URL's query is valid UTF-8. */
function queryDecodes(url: string): boolean {
  const q = url.indexOf('?');
  if (q < 0 || url.indexOf('%', q) < 0) return true;
  try {
    decodeURIComponent(url.slice(q + 1));
    return true;
  } catch {
    return false;
  }
}

/** What every request gets, on the Nest application and on the authorize fast path alike. */
function installRequestHooks(fastify: FastifyInstance, requestLogger: RequestLog): void {
  fastify.addHook('onRequest', (req, reply, done) => {
    setCommonHeaders(req, reply);
    // A NUL in a path or query can reach no resource, and PostgreSQL cannot store it as text.
    if (NUL_IN_URL.test(req.url)) {
      req.logFields = { reason: 'invalid_unicode' };
      void reply.code(400).type('application/json').send(errorBody(400, 'The URL holds a NUL character.', 'invalid_unicode'));
      return;
    }
    // A query that does not decode is refused like a path that does not (the router's invalid_url).
    if (!queryDecodes(req.url)) {
      req.logFields = { reason: 'invalid_url' };
      void reply.code(400).type('application/json').send(errorBody(400, 'The URL query does not decode as UTF-8.', 'invalid_url'));
      return;
    }
    done();
  });
  // Refused before any handler: lone UTF-16 surrogates (valid JSON, but not text PostgreSQL stores) and reserved keys.
  // (A body kept as text, as authorize keeps it, is checked by its route once parsed.)
  fastify.addHook('preHandler', (req, reply, done) => {
    const problem = typeof req.body !== 'object' || req.body === null ? undefined : bodyProblem(req.body);
    if (!problem) return done();
    req.logFields = { ...req.logFields, reason: problem.reason };
    void reply.code(400).type('application/json').send(errorBody(400, problem.message, problem.reason));
  });
  // One line per request; refused authorize calls add their decision and reason.
  fastify.addHook('onResponse', (req, reply, done) => {
    requestLogger.request(req, reply.statusCode, reply.elapsedTime);
    done();
  });
}

/** Connects to (or starts) the database, migrates it, and builds the HTTP application. */
export async function startRegistry(config: RegistryConfig, options: StartOptions = {}): Promise<RunningRegistry> {
  const logger = createLogger(config.logLevel);
  const requestLogger = createRequestLogger(config.logLevel);
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
    const serverUrl = embedded || config.databaseIsServer === false ? undefined : databaseUrl;
    const dataSource = createDataSource({
      url: databaseUrl,
      // The embedded database runs one query at a time and its socket server
      // can confuse interleaved sessions, so it gets exactly one connection.
      poolSize: serverUrl ? 10 : 1,
    });
    await dataSource.initialize();
    started.push(() => dataSource.destroy());
    const applied = await migrate(dataSource, { exclusive: serverUrl !== undefined });
    if (applied.length > 0) logger.info({ migrations: applied }, 'migrations applied');

    const fastifyOptions: FastifyServerOptions = {
      logger: false,
      genReqId: () => `req-${randomUUID()}`,
      bodyLimit: 1024 * 1024,
      // Bodies with __proto__ or constructor keys reach the body check, which refuses them with reason reserved_key.
      onProtoPoisoning: 'ignore',
      onConstructorPoisoning: 'ignore',
      // A path that does not decode (`%ff`) answers in the same envelope as every other refusal.
      frameworkErrors: (err, _req, res) => {
        const bad = err.code === 'FST_ERR_BAD_URL';
        const reply = res as unknown as FastifyReply;
        void reply
          .code(bad ? 400 : 500)
          .type('application/json')
          .send(errorBody(bad ? 400 : 500, bad ? 'The URL does not decode as UTF-8.' : 'The request could not be routed.', bad ? 'invalid_url' : 'internal_error'));
      },
      // What Node's parser refuses (oversized headers, control bytes) answers in the same envelope, and is logged.
      clientErrorHandler: clientErrorHandler(requestLogger),
      routerOptions: { ignoreTrailingSlash: true },
      // HEAD is served only where Keystone defines it (membership and grant checks).
      exposeHeadRoutes: false,
      // Forwarded headers are believed only from the listed proxies (rightmost untrusted address wins).
      trustProxy: config.trustedProxies.length > 0 ? config.trustedProxies : false,
    };
    // POST /v1/authorize goes to a Fastify instance of its own, without Nest's
    // per-request hooks and body-parser wrapper; everything else goes to Nest.
    let fastPath: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
    const adapter = new FastifyAdapter({
      ...fastifyOptions,
      serverFactory: (handler: (req: IncomingMessage, res: ServerResponse) => void) => {
        const dispatch = (req: IncomingMessage, res: ServerResponse) =>
          fastPath !== undefined && isAuthorizePost(req) ? fastPath(req, res) : handler(req, res);
        return config.tls ? createHttpsServer(httpsOptions(config.tls), dispatch) : createServer(dispatch);
      },
    });
    // Bodies are JSON only: Nest's form parser is never registered, and Fastify's
    // text/plain one is removed, so any other content type is refused with 415.
    const app = await NestFactory.create<NestFastifyApplication>(AppModule.register(config, dataSource), adapter, {
      logger: new PinoNestLogger(logger),
      bufferLogs: false,
      bodyParser: false,
    });
    started.push(() => app.close());
    setupOpenApi(app);
    const fastify = app.getHttpAdapter().getInstance();
    fastify.removeContentTypeParser('text/plain');
    installRequestHooks(fastify, requestLogger);
    ignoreForwardAuthBodies(fastify);

    const registry = app.get(RegistryIndexService);
    const certificates = app.get(ClientCertificateService);
    const authorizeDeps = {
      registry,
      config,
      guard: new AuthGuard(app.get(Reflector), config, registry, certificates),
      errors: new KeystoneErrorFilter(config.insecureDebug),
      certificates,
      pointInTime: app.get(PointInTimeService),
      seen: app.get(SeenDecisionsService),
      requestLogger,
    };
    // No hooks here: the route sets the common headers and writes the request
    // line itself, since any onResponse hook costs every request two listeners
    // on the response (a sizeable share of a cached answer's CPU).
    const authorizeApp = Fastify(fastifyOptions);
    authorizeApp.removeContentTypeParser('text/plain');
    registerAuthorizeRoute(authorizeApp, authorizeDeps);
    await authorizeApp.ready();
    started.push(() => authorizeApp.close());
    fastPath = (req, res) => {
      markArrival(req);
      authorizeApp.routing(req, res);
    };
    await registry.start(serverUrl);
    await app.listen({ port: config.port, host: config.host });
    const address = fastify.server.address();
    const port = typeof address === 'object' && address ? address.port : config.port;
    const url = `${config.tls ? 'https' : 'http'}://${config.host}:${port}`;
    logger.info(
      {
        url,
        position: registry.position,
        ...(config.registryProject ? { registry_auth_project: describeRegistryProject(config.registryProject) } : {}),
      },
      'registry listening',
    );

    const worker = options.withWorker
      ? await startWorker({
          dataSource,
          listenUrl: serverUrl,
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
