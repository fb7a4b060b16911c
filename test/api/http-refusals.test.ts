import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { createTestDatabase, onServer, type TestDatabase } from '../support/db';
import { startServeProcess, type ServedRegistry } from '../support/serve';
import { until } from '../support/wait';

const TOKEN = 'http-refusals-test-token';

/** Writes `raw` to the server as is and returns everything it answers before closing. */
function rawRequest(url: string, raw: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.end(raw));
    let answer = '';
    socket.setEncoding('latin1').on('data', (d) => (answer += d));
    socket.once('close', () => resolve(answer));
    socket.once('error', reject);
  });
}

function parseAnswer(answer: string) {
  const [head, body] = answer.split('\r\n\r\n');
  const status = Number(head.split(' ')[1]);
  const headers = new Map(
    head
      .split('\r\n')
      .slice(1)
      .map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()] as const),
  );
  return { status, headers, body: JSON.parse(body) as { error: { code: number; reason: string; message: string } } };
}

/**
 * Requests refused before any route runs, and bodies that are not JSON,
 * answer in the registry's envelope with a stable reason and leave their
 * request line like every other request; a refusal's detail never makes
 * the log line unbounded.
 */
describe('requests refused by the HTTP layer, in a served registry', async () => {
  const server = await onServer();
  const skip = !server && 'needs the PostgreSQL server';
  let db: TestDatabase;
  let served: ServedRegistry | undefined;

  before(async () => {
    if (!server) return;
    db = await createTestDatabase();
    served = await startServeProcess(db.url, { REGISTRY_ADMIN_TOKEN: TOKEN });
    const trusted = await fetch(`${served.url}/v1/tokenless/trusted_issuers`, {
      method: 'POST',
      headers: { 'X-Auth-Token': TOKEN, 'content-type': 'application/json' },
      body: JSON.stringify({ issuer: 'CN=Root CA,O=Example' }),
    });
    assert.ok(trusted.ok, await trusted.text());
  });
  after(async () => {
    await served?.stop();
    await db?.drop();
  });

  const lineOf = async (id: string | undefined) => {
    assert.match(id ?? '', /^req-/);
    let found: Record<string, unknown>[] = [];
    await until(async () => (found = served!.lines().filter((l) => l.msg === 'request' && l.req_id === id)).length > 0);
    assert.equal(found.length, 1);
    return found[0];
  };

  test('headers larger than the server takes: 431 headers_too_large', { skip }, async () => {
    const answer = parseAnswer(
      await rawRequest(served!.url, `GET /v3/projects HTTP/1.1\r\nHost: x\r\nX-Auth-Token: ${TOKEN}\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`),
    );
    assert.equal(answer.status, 431);
    assert.equal(answer.body.error.code, 431);
    assert.equal(answer.body.error.reason, 'headers_too_large');
    const line = await lineOf(answer.headers.get('x-openstack-request-id'));
    assert.equal(line.status, 431);
    assert.equal(line.reason, 'headers_too_large');
    assert.equal(line.client, '127.0.0.1');
    assert.ok(!served!.output().includes(TOKEN), 'no token in the log');
  });

  test('a control byte in a header value: 400 invalid_header', { skip }, async () => {
    const answer = parseAnswer(
      await rawRequest(served!.url, `PATCH /v3/projects/p HTTP/1.1\r\nHost: x\r\nX-Change-Reason: a\x01b\r\nContent-Length: 2\r\n\r\n{}`),
    );
    assert.equal(answer.status, 400);
    assert.equal(answer.body.error.reason, 'invalid_header');
    assert.equal((await lineOf(answer.headers.get('x-openstack-request-id'))).reason, 'invalid_header');
  });

  test('a query that does not decode as UTF-8 is refused like such a path', { skip }, async () => {
    for (const [method, path] of [['GET', '/v3/projects?name=%ff'], ['GET', '/v3/projects/%ff'], ['POST', '/v1/authorize?x=%ff']]) {
      const res = await fetch(served!.url + path, {
        method,
        headers: { 'X-Auth-Token': TOKEN, 'content-type': 'application/json' },
        body: method === 'POST' ? JSON.stringify({ env: { SSL_CLIENT_I_DN: 'CN=Root CA,O=Example' }, headers: {} }) : undefined,
      });
      const answer = (await res.json()) as { error: { reason: string } };
      assert.equal(res.status, 400, path);
      assert.equal(answer.error.reason, 'invalid_url', path);
    }
    const fine = await fetch(`${served!.url}/v3/projects?name=%C3%A9t%C3%A9`, { headers: { 'X-Auth-Token': TOKEN } });
    assert.equal(fine.status, 200);
    await fine.arrayBuffer();
  });

  test('bodies that are not JSON are refused with 415 on every route', { skip }, async () => {
    const cases: [string, string, string, string][] = [
      ['POST', '/v1/authorize', 'text/plain', '{"env": {}, "headers": {}}'],
      ['POST', '/v3/projects', 'application/x-www-form-urlencoded', 'project=x'],
      ['POST', '/v3/projects', 'text/plain', '{"project": {"name": "x"}}'],
      ['PUT', '/v1/tokenless', 'application/xml', '<settings/>'],
    ];
    for (const [method, path, type, body] of cases) {
      const res = await fetch(served!.url + path, { method, headers: { 'X-Auth-Token': TOKEN, 'content-type': type }, body });
      const answer = (await res.json()) as { error: { code: number; reason: string } };
      assert.equal(res.status, 415, `${method} ${path} as ${type}`);
      assert.equal(answer.error.code, 415);
      assert.equal(typeof answer.error.reason, 'string');
      const line = await lineOf(res.headers.get('x-openstack-request-id') ?? undefined);
      assert.equal(line.status, 415);
      assert.equal(line.reason, answer.error.reason);
    }
    const projects = await fetch(`${served!.url}/v3/projects`, { headers: { 'X-Auth-Token': TOKEN } });
    const listed = (await projects.json()) as { projects: { name: string }[] };
    assert.ok(!listed.projects.some((p) => p.name === 'x'), 'nothing was created');
  });

  test("a refusal's detail is cut in the log line, however long the attribute it quotes", { skip }, async () => {
    const dn = `CN=${'x'.repeat(200_000)}`;
    const res = await fetch(`${served!.url}/v1/authorize`, {
      method: 'POST',
      headers: { 'X-Auth-Token': TOKEN, 'content-type': 'application/json' },
      body: JSON.stringify({ env: { SSL_CLIENT_I_DN: dn }, headers: { 'X-Project-Id': 'p' } }),
    });
    assert.equal(res.status, 401);
    await res.arrayBuffer();
    const id = res.headers.get('x-openstack-request-id') ?? undefined;
    const line = await lineOf(id);
    assert.match(String(line.detail), /… \(\d+ characters\)$/, 'the detail quoted the DN and was cut');
    const raw = served!.output().split('\n').find((l) => l.includes(String(id)))!;
    assert.ok(raw.length < 10_000, `a line of ${raw.length} characters`);
  });
});
