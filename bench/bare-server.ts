/**
 * The baseline: a bare Fastify endpoint on the same route and request body
 * as authorize, answering a fixed small JSON object. It runs as its own
 * process, like the registry, and is loaded by the same tool.
 */
import Fastify from 'fastify';

async function main(): Promise<void> {
  const app = Fastify({ logger: false });
  const answer = { ok: true, position: 0 };
  app.post('/v1/authorize', async () => answer);
  await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });
  process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
}

void main();
