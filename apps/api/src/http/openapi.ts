import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';

/**
 * The OpenAPI description, generated from the controllers at start-up:
 * `/docs` (Swagger UI), `/docs-json` and `/docs-yaml`. Public, like `/v3`.
 */
export function openApiDocument(app: NestFastifyApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Tokenless Registry')
    .setDescription(
      'Keystone-compatible admin API (/v3), X.509 tokenless settings, authorize queries, history and API tokens (/v1). ' +
        'Authenticate with X-Auth-Token. Changes answer with ETag (the stream version) and honour If-Match; ' +
        'X-Change-Reason is recorded with the change.',
    )
    .setVersion('1')
    .addApiKey({ type: 'apiKey', in: 'header', name: 'X-Auth-Token' }, 'token')
    .addSecurityRequirements('token')
    .build();
  return SwaggerModule.createDocument(app, config);
}

export function setupOpenApi(app: NestFastifyApplication): void {
  SwaggerModule.setup('docs', app, () => openApiDocument(app));
}
