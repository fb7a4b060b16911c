import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { AuthorizationIndex, RegistryState, authorize } from '../../libs/domain/src';
import { EventStore } from '../../libs/store/src';
import { apacheEnv, idpId, issuerDn } from '../../libs/x509/src';
import { TestPki } from '../support/pki';
import { startTestRegistry, type TestRegistry } from '../support/registry';

const SCOPE = { 'X-Project-Id': 'p-app' };

const localMapping = (names: string[]) => [
  {
    local: [{ user: { name: '{0}', domain: { id: 'default' }, type: 'local' } }],
    remote: [{ type: 'SSL_CLIENT_S_DN_CN', whitelist: names }],
  },
];

describe('point-in-time authorize', () => {
  const pki = new TestPki();
  let reg: TestRegistry;
  let ada: string;
  let bob: string;
  const marks: { label: string; position: number }[] = [];

  const must = async (method: string, path: string, body?: unknown) => {
    const res = await reg.call(method, path, body);
    assert.ok(res.status < 300, `${method} ${path}: ${res.status} ${JSON.stringify(res.body)}`);
    return res;
  };
  const mark = async (label: string) => {
    const head = await new EventStore(reg.registry.dataSource).headPosition();
    marks.push({ label, position: head });
    return head;
  };
  const pastAuthorize = (pem: string, at: Record<string, unknown>) =>
    reg.call('POST', '/v1/authorize', { env: apacheEnv(pem), headers: SCOPE, ...at });

  /** The state at `position`, folded afresh from the log, and the pure decision over it. */
  const fresh = async (pem: string, position: number) => {
    const state = RegistryState.withDefaultDomain();
    for (const e of await new EventStore(reg.registry.dataSource).readRange(0, position, 1_000_000)) state.applyRecorded(e);
    return authorize(new AuthorizationIndex(state), { env: apacheEnv(pem), headers: SCOPE });
  };

  before(async () => {
    pki.ca('ca', '/O=Example/CN=Audit CA');
    ada = pki.pem(pki.client('ada', '/O=Example/CN=ada', 'ca'));
    bob = pki.pem(pki.client('bob', '/O=Example/CN=bob', 'ca'));
    reg = await startTestRegistry();
    const issuer = issuerDn(ada, 'apache');
    const idp = idpId(ada, 'apache');
    await mark('empty');
    await must('PUT', '/v1/tokenless', { trusted_issuer: [issuer], protocol: 'x509', issuer_attribute: 'SSL_CLIENT_I_DN' });
    await must('PUT', `/v3/OS-FEDERATION/identity_providers/${idp}`, { identity_provider: { domain_id: 'default' } });
    await must('PUT', '/v3/OS-FEDERATION/mappings/m', { mapping: { rules: localMapping(['ada']) } });
    await must('PUT', `/v3/OS-FEDERATION/identity_providers/${idp}/protocols/x509`, { protocol: { mapping_id: 'm' } });
    await must('POST', '/v3/projects', { project: { id: 'p-app', name: 'app', domain_id: 'default' } });
    await must('POST', '/v3/roles', { role: { id: 'r-reader', name: 'reader' } });
    await must('POST', '/v3/roles', { role: { id: 'r-admin', name: 'admin' } });
    await must('POST', '/v3/users', { user: { id: 'u-ada', name: 'ada', domain_id: 'default' } });
    await must('POST', '/v3/users', { user: { id: 'u-bob', name: 'bob', domain_id: 'default' } });
    await must('PUT', '/v3/projects/p-app/users/u-ada/roles/r-reader');
    await must('PUT', '/v3/projects/p-app/users/u-bob/roles/r-reader');
    await mark('ada reader');
    await must('PUT', '/v3/projects/p-app/users/u-ada/roles/r-admin');
    await mark('ada admin');
    await must('PATCH', '/v3/OS-FEDERATION/mappings/m', { mapping: { rules: localMapping(['ada', 'bob']) } });
    await mark('bob whitelisted');
    await must('PATCH', '/v3/users/u-ada', { user: { enabled: false } });
    await mark('ada disabled');
    await must('PATCH', `/v3/OS-FEDERATION/identity_providers/${idp}`, { identity_provider: { enabled: false } });
    await mark('idp disabled');
    await must('PATCH', '/v3/users/u-ada', { user: { enabled: true } });
    await must('DELETE', '/v3/projects/p-app/users/u-ada/roles/r-admin');
    await mark('ada back as reader');
  });

  after(async () => {
    await reg?.stop();
  });

  test('at every marked position the answer equals a fresh evaluation of the state folded to it', async () => {
    for (const { label, position } of marks) {
      for (const pem of [ada, bob]) {
        const res = await pastAuthorize(pem, { at_position: position });
        const expected = await fresh(pem, position);
        assert.equal(res.body.position, position, label);
        assert.equal(res.body.as_of.position, position, label);
        if (expected.outcome === 'granted') {
          assert.equal(res.status, 200, `${label}: ${JSON.stringify(res.body)}`);
          assert.deepEqual(res.body.auth_context, expected.auth_context, label);
        } else {
          assert.equal(res.status, expected.status, `${label}: ${JSON.stringify(res.body)}`);
          assert.equal(res.body.error.reason, expected.reason, label);
        }
      }
    }
  });

  test('the answers change with the history', async () => {
    const at = (label: string) => ({ at_position: marks.find((m) => m.label === label)!.position });
    assert.equal((await pastAuthorize(ada, at('empty'))).body.error.reason, 'no_trusted_issuers');
    assert.deepEqual((await pastAuthorize(ada, at('ada reader'))).body.auth_context.roles, ['reader']);
    assert.deepEqual((await pastAuthorize(ada, at('ada admin'))).body.auth_context.roles, ['admin', 'reader']);
    // Keystone's whitelist only filters {0}: bob maps to an empty user name, which is not found.
    assert.equal((await pastAuthorize(bob, at('ada admin'))).body.error.reason, 'user_not_found');
    assert.deepEqual((await pastAuthorize(bob, at('bob whitelisted'))).body.auth_context.roles, ['reader']);
    assert.equal((await pastAuthorize(ada, at('ada disabled'))).body.error.reason, 'user_disabled');
    assert.deepEqual((await pastAuthorize(ada, at('ada back as reader'))).body.auth_context.roles, ['reader']);
    // Out of order: an earlier position after a later one is still right.
    assert.deepEqual((await pastAuthorize(ada, at('ada admin'))).body.auth_context.roles, ['admin', 'reader']);
  });

  test('decided_by names the events the answer rests on', async () => {
    const position = marks.find((m) => m.label === 'ada admin')!.position;
    const res = await pastAuthorize(ada, { at_position: position });
    const streams = new Map(res.body.decided_by.map((d: { stream: string; position: number }) => [d.stream, d.position]));
    // The admin grant is the last event before the mark.
    assert.equal(streams.get('assignment:user:u-ada:project:p-app:r-admin'), position);
    for (const s of ['settings:tokenless', 'mapping:m', 'user:u-ada', 'project:p-app', 'role:r-reader', 'role:r-admin']) {
      assert.ok(streams.has(s), `${s} in ${JSON.stringify(res.body.decided_by)}`);
    }
    const events = await new EventStore(reg.registry.dataSource).readRange(0, position, 1000);
    for (const [stream, p] of streams) {
      const last = events.filter((e) => e.stream === stream).at(-1);
      assert.equal(last?.position, p, stream as string);
    }
  });

  test('as_of answers from the last event recorded at or before the instant', async () => {
    const events = await new EventStore(reg.registry.dataSource).readAfter(0, 1000);
    const target = marks.find((m) => m.label === 'bob whitelisted')!.position;
    const event = events.find((e) => e.position === target)!;
    const res = await pastAuthorize(bob, { as_of: event.recorded_at });
    const expectedPosition = Math.max(...events.filter((e) => e.recorded_at <= event.recorded_at).map((e) => e.position));
    assert.equal(res.body.as_of.position, expectedPosition);
    const before = await pastAuthorize(bob, { as_of: '2000-01-01T00:00:00Z' });
    assert.equal(before.body.as_of.position, 0);
    assert.equal(before.body.error.reason, 'no_trusted_issuers');
  });

  test('bad point-in-time requests are refused with a reason', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ as_of: '2020-01-01T00:00:00Z', at_position: 1 }, 'point_in_time_ambiguous'],
      [{ at_position: 1_000_000 }, 'position_in_future'],
      [{ as_of: '2999-01-01T00:00:00Z' }, 'as_of_in_future'],
      [{ as_of: '2020-01-01T00:00:00' }, 'as_of_without_zone'],
    ];
    for (const [body, reason] of cases) {
      const res = await pastAuthorize(ada, body);
      assert.equal(res.status, 400, JSON.stringify(res.body));
      assert.equal(res.body.error.reason, reason);
    }
    const notADate = await pastAuthorize(ada, { as_of: 'yesterday' });
    assert.equal(notADate.status, 400);
    const negative = await pastAuthorize(ada, { at_position: -1 });
    assert.equal(negative.status, 400);
  });
});
