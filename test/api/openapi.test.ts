import 'reflect-metadata';
import type { OpenAPIObject } from '@nestjs/swagger';
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { DataSource } from 'typeorm';
import { AppModule } from '../../apps/api/src/app.module';
import { configFromEnv } from '../../apps/api/src/config';
import { openApiDocument } from '../../apps/api/src/http/openapi';
import { RegistryIndexService } from '../../apps/api/src/registry/registry-index.service';
import { registerAuthorizeRoute } from '../../apps/api/src/v1/authorize.controller';
import { createDataSource, migrate } from '../../libs/store/src';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { startTestRegistry } from '../support/registry';

const METHODS = ['get', 'put', 'post', 'patch', 'delete', 'head'];
/** `/a/:id/*` and `/a/{id}/{path}` both as `/a/{}/{}`. */
const normalize = (path: string) => path.replace(/:[^/]+|\{[^}]+\}|\*/g, '{}');

describe('OpenAPI description generated from the code', () => {
  test('/docs-json lists every route the application serves, and nothing else', async () => {
    // The routes as Fastify registers them, seen by a hook installed before the application starts.
    const db: TestDatabase = await createTestDatabase();
    let ds: DataSource | undefined;
    let app: NestFastifyApplication | undefined;
    try {
      ds = createDataSource({ url: db.url, poolSize: 2 });
      await ds.initialize();
      await migrate(ds);
      const adapter = new FastifyAdapter({ logger: false, exposeHeadRoutes: false });
      const served = new Set<string>();
      adapter.getInstance().addHook('onRoute', (route) => {
        const methods = Array.isArray(route.method) ? route.method : [route.method];
        for (const m of methods) {
          // OpenAPI describes the common methods; forward-auth's catch-all also takes WebDAV and other verbs.
          if (METHODS.includes(m.toLowerCase())) served.add(`${m.toUpperCase()} ${normalize(route.url)}`);
        }
      });
      app = await NestFactory.create<NestFastifyApplication>(
        AppModule.register({ ...configFromEnv({}), databaseUrl: db.url, port: 0 }, ds),
        adapter,
        { logger: false },
      );
      await app.init();
      // app.ts adds the authorize hot path as a plain Fastify route after Nest's.
      registerAuthorizeRoute(adapter.getInstance(), {
        registry: app.get(RegistryIndexService),
        config: { ...configFromEnv({}), databaseUrl: db.url, port: 0 },
        guard: undefined as never,
        errors: undefined as never,
        certificates: undefined as never,
        pointInTime: undefined as never,
        seen: undefined as never,
        requestLogger: undefined as never,
      });
      await adapter.getInstance().ready();
      const doc = openApiDocument(app);
      const documented = new Set<string>();
      for (const [path, item] of Object.entries(doc.paths)) {
        for (const m of METHODS) if ((item as Record<string, unknown>)[m]) documented.add(`${m.toUpperCase()} ${normalize(path)}`);
      }
      assert.ok(served.size > 40, `routes seen: ${served.size}`);
      const missing = [...served].filter((r) => !documented.has(r)).sort();
      assert.deepEqual(missing, [], 'every served route is documented');
      const extra = [...documented].filter((r) => !served.has(r)).sort();
      assert.deepEqual(extra, [], 'nothing documented that is not served');
      assert.ok(documented.has('POST /v1/authorize') && documented.has('POST /v1/tokens') && documented.has('GET /v3/role_assignments'));
    } finally {
      await app?.close();
      await ds?.destroy();
      await db.drop();
    }
  });

  test('a running registry serves /docs and /docs-json publicly', async () => {
    const reg = await startTestRegistry();
    try {
      const json = await fetch(`${reg.url}/docs-json`);
      assert.equal(json.status, 200);
      const doc = (await json.json()) as OpenAPIObject;
      assert.match(doc.openapi, /^3\./);
      assert.ok(doc.paths['/v3/OS-FEDERATION/identity_providers/{id}'].put);
      assert.deepEqual(doc.components?.securitySchemes?.token, { type: 'apiKey', in: 'header', name: 'X-Auth-Token' });
      const ui = await fetch(`${reg.url}/docs`);
      assert.equal(ui.status, 200);
      assert.match(ui.headers.get('content-type') ?? '', /text\/html/);
      assert.match(await ui.text(), /swagger/i);
    } finally {
      await reg.stop();
    }
  });
});
