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
        'Authenticate with X-Auth-Token or, when REGISTRY_AUTH_PROJECT is set, with a client certificate and ' +
        'scope headers naming that project (keystoneauth v3tokenlessauth). Changes answer with ETag (the stream version) and honour If-Match; ' +
        'X-Change-Reason is recorded with the change.',
    )
    .setVersion('1')
    .addApiKey({ type: 'apiKey', in: 'header', name: 'X-Auth-Token' }, 'token')
    .addSecurityRequirements('token')
    .build();
  const document = SwaggerModule.createDocument(app, config);
  // The authorize hot path is a plain Fastify route, outside Nest's controllers.
  document.paths['/v1/authorize'] = { ...document.paths['/v1/authorize'], post: AUTHORIZE_OPERATION };
  return document;
}

const ERROR = {
  type: 'object',
  properties: {
    error: {
      type: 'object',
      properties: {
        code: { type: 'integer' },
        title: { type: 'string' },
        message: { type: 'string' },
        reason: { type: 'string', description: 'Stable snake_case reason, e.g. untrusted_issuer, no_matching_rule.' },
      },
    },
    position: { type: 'integer' },
  },
} as const;

const AUTHORIZE_OPERATION = {
  operationId: 'authorize',
  tags: ['authorize'],
  summary: 'Certificate attributes and scope in, Keystone auth context out',
  description:
    'Give `env` (the SSL_CLIENT_* attributes a TLS terminator passes), or `certificate` (PEM) with `terminator` ' +
    '(apache or haproxy), or neither to use this connection\'s own client certificate or a trusted proxy\'s headers. ' +
    '`headers` carries the scope headers (X-Project-Name, X-Project-Domain-Name, X-Domain-Id, ...). ' +
    '`min_position` reads the log until the index has applied that position (503 index_behind when the log does not hold it). ' +
    '`as_of` or `at_position` answer as the registry stood then, with `decided_by` naming the deciding events.',
  requestBody: {
    required: true,
    content: {
      'application/json': {
        schema: {
          type: 'object',
          properties: {
            env: { type: 'object', additionalProperties: { type: 'string' } },
            headers: { type: 'object', additionalProperties: { type: 'string' } },
            certificate: { type: 'string', description: 'PEM client certificate' },
            terminator: { type: 'string', enum: ['apache', 'haproxy'] },
            min_position: { type: 'integer', minimum: 0 },
            as_of: { type: 'string', format: 'date-time', description: 'Answer as the registry stood at this instant' },
            at_position: { type: 'integer', minimum: 0, description: 'Answer as the registry stood right after this position' },
          },
        },
      },
    },
  },
  responses: {
    '200': {
      description: 'Granted',
      content: {
        'application/json': {
          schema: {
            type: 'object',
            properties: { auth_context: { type: 'object' }, position: { type: 'integer' } },
          },
        },
      },
    },
    '400': { description: 'Bad request or scope', content: { 'application/json': { schema: ERROR } } },
    '401': { description: 'Identity not established', content: { 'application/json': { schema: ERROR } } },
    '403': { description: 'Forbidden', content: { 'application/json': { schema: ERROR } } },
    '404': { description: 'Scope not found', content: { 'application/json': { schema: ERROR } } },
    '503': {
      description: 'Index behind min_position (index_behind), or decisions cannot be recorded and AUDIT_FAIL_MODE=closed (audit_unavailable)',
      content: { 'application/json': { schema: ERROR } },
    },
  },
};

export function setupOpenApi(app: NestFastifyApplication): void {
  SwaggerModule.setup('docs', app, () => openApiDocument(app));
}
