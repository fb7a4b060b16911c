import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestRegistry, type TestRegistry } from '../support/registry';

describe('Keystone-compatible admin API', () => {
  let reg: TestRegistry;
  before(async () => {
    reg = await startTestRegistry();
  });
  after(async () => {
    await reg.stop();
  });

  test('version discovery is public; everything else needs a token, refused in Keystone\'s envelope', async () => {
    const version = await fetch(`${reg.url}/v3`);
    assert.equal(version.status, 200);
    assert.equal(((await version.json()) as any).version.id, 'v3.14');
    const res = await fetch(`${reg.url}/v3/projects`);
    assert.equal(res.status, 401);
    assert.match(res.headers.get('www-authenticate') ?? '', /^Keystone uri=/);
    assert.match(res.headers.get('x-openstack-request-id') ?? '', /^req-/);
    const body = (await res.json()) as any;
    assert.deepEqual(body.error.code, 401);
    assert.equal(body.error.message, 'The request you have made requires authentication.');
    assert.equal(body.error.title, 'Unauthorized');
    const bad = await reg.call('GET', '/v3/projects', undefined, { 'X-Auth-Token': 'wrong' });
    assert.equal(bad.status, 401);
  });

  test('a new registry has the Default domain', async () => {
    const res = await reg.call('GET', '/v3/domains/default');
    assert.equal(res.status, 200);
    assert.equal(res.body.domain.name, 'Default');
    assert.equal(res.body.domain.enabled, true);
  });

  test('domains: create, duplicate, unknown, delete rules', async () => {
    const created = await reg.call('POST', '/v3/domains', { domain: { name: 'acme', description: 'ACME' } });
    assert.equal(created.status, 201);
    const d = created.body.domain;
    assert.match(d.id, /^[0-9a-f]{32}$/);
    assert.deepEqual(Object.keys(d), ['id', 'name', 'description', 'enabled', 'tags', 'options', 'links']);
    assert.equal(d.links.self, `${reg.url}/v3/domains/${d.id}`);
    assert.ok(Number(created.headers.get('x-registry-position')) > 0);

    const dup = await reg.call('POST', '/v3/domains', { domain: { name: 'acme' } });
    assert.equal(dup.status, 409);
    assert.equal(
      dup.body.error.message,
      'Conflict occurred attempting to store project - it is not permitted to have two projects acting as domains with the same name: acme.',
    );
    const unknown = await reg.call('GET', '/v3/domains/acme');
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.error.message, 'Could not find domain: acme.');
    const byName = await reg.call('GET', '/v3/domains?name=acme');
    assert.equal(byName.body.domains.length, 1);
    assert.equal(byName.body.links.self, `${reg.url}/v3/domains?name=acme`);

    const refused = await reg.call('DELETE', `/v3/domains/${d.id}`);
    assert.equal(refused.status, 403);
    assert.equal(refused.body.error.message, 'Cannot delete a domain that is enabled, please disable it first.');
    assert.equal((await reg.call('PATCH', `/v3/domains/${d.id}`, { domain: { enabled: false } })).status, 200);
    assert.equal((await reg.call('DELETE', `/v3/domains/${d.id}`)).status, 204);
    assert.equal((await reg.call('GET', `/v3/domains/${d.id}`)).status, 404);
  });

  test('projects: parent is the domain at the top; a parent with children cannot be deleted', async () => {
    const top = await reg.call('POST', '/v3/projects', { project: { name: 'web', domain_id: 'default' } });
    assert.equal(top.status, 201);
    assert.equal(top.body.project.parent_id, 'default');
    assert.equal(top.body.project.is_domain, false);
    const child = await reg.call('POST', '/v3/projects', { project: { name: 'web-staging', parent_id: top.body.project.id } });
    assert.equal(child.status, 201);
    assert.equal(child.body.project.domain_id, 'default');
    const refused = await reg.call('DELETE', `/v3/projects/${top.body.project.id}`);
    assert.equal(refused.status, 403);
    const dup = await reg.call('POST', '/v3/projects', { project: { name: 'web' } });
    assert.equal(dup.status, 409);
    const badBody = await reg.call('POST', '/v3/projects', { project: { name: 42 } });
    assert.equal(badBody.status, 400);
    assert.equal(badBody.body.error.reason, 'invalid_body');
    const notJson = await reg.call('POST', '/v3/projects', '{"project": ', { 'Content-Type': 'application/json' });
    assert.equal(notJson.status, 400);
  });

  test('a grant naming an unknown user is refused with 404 and records nothing (BR-37)', async () => {
    const role = await reg.call('POST', '/v3/roles', { role: { name: 'member' } });
    const project = await reg.call('POST', '/v3/projects', { project: { name: 'demo' } });
    const before = await reg.call('GET', '/v1/events?after=0&limit=1000');
    const res = await reg.call('PUT', `/v3/projects/${project.body.project.id}/users/alice/roles/${role.body.role.id}`);
    assert.equal(res.status, 404);
    assert.equal(res.body.error.message, 'Could not find user: alice.');
    const afterwards = await reg.call('GET', '/v1/events?after=0&limit=1000');
    assert.equal(afterwards.body.events.length, before.body.events.length);
  });

  test('mappings: Keystone schema errors; warnings when a whitelist does not gate its rule', async () => {
    const invalid = await reg.call('PUT', '/v3/OS-FEDERATION/mappings/bad', {
      mapping: { rules: [{ local: [{ user: { name: '{0}' } }] }] },
    });
    assert.equal(invalid.status, 400);
    assert.equal(invalid.body.error.message, "'remote' is a required property\n");

    const guideEphemeral = [
      {
        local: [{ user: { name: '{0}', type: 'ephemeral' }, group: { domain: { name: '{1}' }, name: 'openstack_services' } }],
        remote: [
          { type: 'SSL_CLIENT_S_DN_CN', whitelist: ['glance', 'nova', 'swift', 'neutron'] },
          { type: 'SSL_CLIENT_S_DN_O', whitelist: ['Default'] },
        ],
      },
    ];
    const created = await reg.call('PUT', '/v3/OS-FEDERATION/mappings/x509_tokenless', { mapping: { rules: guideEphemeral } });
    assert.equal(created.status, 201);
    assert.deepEqual(created.body.mapping.rules, guideEphemeral);
    assert.ok(Array.isArray(created.body.warnings) && created.body.warnings.length > 0, 'the guide\'s surprise is reported');

    const unknownMapping = await reg.call('PUT', '/v3/OS-FEDERATION/identity_providers/idp1', { identity_provider: { domain_id: 'default' } });
    assert.equal(unknownMapping.status, 201);
    const proto = await reg.call('PUT', '/v3/OS-FEDERATION/identity_providers/idp1/protocols/x509', { protocol: { mapping_id: 'nope' } });
    assert.equal(proto.status, 400);
    assert.equal(proto.body.error.message, 'Invalid mapping id: nope');
  });

  test('deleting an IdP removes its protocols; deleting a used mapping leaves the protocol dangling', async () => {
    await reg.call('PUT', '/v3/OS-FEDERATION/mappings/m2', { mapping: { rules: [{ local: [{}], remote: [{ type: 'X' }] }] } });
    await reg.call('PUT', '/v3/OS-FEDERATION/identity_providers/idp2', { identity_provider: { domain_id: 'default' } });
    assert.equal((await reg.call('PUT', '/v3/OS-FEDERATION/identity_providers/idp2/protocols/x509', { protocol: { mapping_id: 'm2' } })).status, 201);
    assert.equal((await reg.call('DELETE', '/v3/OS-FEDERATION/mappings/m2')).status, 204);
    const dangling = await reg.call('GET', '/v3/OS-FEDERATION/identity_providers/idp2/protocols/x509');
    assert.equal(dangling.body.protocol.mapping_id, 'm2');
    assert.equal((await reg.call('DELETE', '/v3/OS-FEDERATION/identity_providers/idp2')).status, 204);
    const protocols = await reg.call('GET', '/v3/OS-FEDERATION/identity_providers/idp2/protocols');
    assert.deepEqual(protocols.body.protocols, []);
    const gone = await reg.call('GET', '/v3/OS-FEDERATION/identity_providers/idp2/protocols/x509');
    assert.equal(gone.status, 404);
    assert.equal(gone.body.error.message, 'Could not find federated protocol x509 for Identity Provider: idp2.');
  });

  test('ETag is the stream version; a stale If-Match is refused with 412 and changes nothing', async () => {
    const created = await reg.call('POST', '/v3/groups', { group: { name: 'ops' } });
    const id = created.body.group.id;
    assert.equal(created.headers.get('etag'), '"1"');
    const first = await reg.call('PATCH', `/v3/groups/${id}`, { group: { description: 'one' } }, { 'If-Match': '"1"' });
    assert.equal(first.status, 200);
    assert.equal(first.headers.get('etag'), '"2"');
    const stale = await reg.call('PATCH', `/v3/groups/${id}`, { group: { description: 'two' } }, { 'If-Match': '"1"' });
    assert.equal(stale.status, 412);
    assert.equal(stale.body.error.reason, 'version_mismatch');
    assert.equal((await reg.call('GET', `/v3/groups/${id}`)).body.group.description, 'one');
    // If-Match compares strongly: even the current version, marked weak, does not match.
    const weak = await reg.call('PATCH', `/v3/groups/${id}`, { group: { description: 'three' } }, { 'If-Match': 'W/"2"' });
    assert.equal(weak.status, 412);
    assert.equal(weak.body.error.reason, 'weak_etag');
    assert.equal((await reg.call('GET', `/v3/groups/${id}`)).body.group.description, 'one');
  });

  test('assignments, memberships and implications answer with an ETag and honour If-Match', async () => {
    for (const [path, body] of [
      ['/v3/projects', { project: { id: 'p-etag', name: 'etag' } }],
      ['/v3/users', { user: { id: 'u-etag', name: 'etag-user' } }],
      ['/v3/groups', { group: { id: 'g-etag', name: 'etag-group' } }],
      ['/v3/roles', { role: { id: 'r-etag', name: 'etag-role' } }],
      ['/v3/roles', { role: { id: 'r-etag2', name: 'etag-role2' } }],
    ] as const) {
      assert.equal((await reg.call('POST', path, body)).status, 201, path);
    }
    for (const path of ['/v3/projects/p-etag/users/u-etag/roles/r-etag', '/v3/groups/g-etag/users/u-etag', '/v3/roles/r-etag/implies/r-etag2']) {
      const made = await reg.call('PUT', path);
      assert.ok(made.status === 201 || made.status === 204, path);
      assert.equal(made.headers.get('etag'), '"1"', path);
      const head = await reg.call('HEAD', path);
      assert.equal(head.headers.get('etag'), '"1"', path);
      const stale = await reg.call('DELETE', path, undefined, { 'If-Match': '"7"' });
      assert.equal(stale.status, 412, path);
      assert.equal(stale.body.error.reason, 'version_mismatch', path);
      assert.equal((await reg.call('HEAD', path)).status, 204, `${path} still there`);
      const removed = await reg.call('DELETE', path, undefined, { 'If-Match': '"1"' });
      assert.equal(removed.status, 204, path);
      assert.equal(removed.headers.get('etag'), '"2"', path);
    }
  });

  test('If-Match on a PUT that would create its resource is 412 no_current_version, even *, and creates nothing', async () => {
    const rules = [{ local: [{ user: { name: '{0}' } }], remote: [{ type: 'CN' }] }];
    for (const [path, body] of [
      ['/v3/users', { user: { id: 'u-put', name: 'put-user' } }],
      ['/v3/groups', { group: { id: 'g-put', name: 'put-group' } }],
      ['/v3/projects', { project: { id: 'p-put', name: 'put-project' } }],
      ['/v3/roles', { role: { id: 'r-put', name: 'put-role' } }],
      ['/v3/roles', { role: { id: 'r-put2', name: 'put-role2' } }],
    ] as const) {
      assert.equal((await reg.call('POST', path, body)).status, 201, path);
    }
    assert.equal((await reg.call('PUT', '/v3/OS-FEDERATION/identity_providers/idp-put', { identity_provider: {} })).status, 201);
    assert.equal((await reg.call('PUT', '/v3/OS-FEDERATION/mappings/m-put', { mapping: { rules } })).status, 201);
    const creating: [string, unknown][] = [
      ['/v3/OS-FEDERATION/mappings/newmap', { mapping: { rules } }],
      ['/v3/OS-FEDERATION/identity_providers/idp-new', { identity_provider: {} }],
      ['/v3/OS-FEDERATION/identity_providers/idp-put/protocols/x509', { protocol: { mapping_id: 'm-put' } }],
      ['/v3/groups/g-put/users/u-put', undefined],
      ['/v3/roles/r-put/implies/r-put2', undefined],
      ['/v3/projects/p-put/users/u-put/roles/r-put', undefined],
      ['/v3/OS-INHERIT/projects/p-put/groups/g-put/roles/r-put/inherited_to_projects', undefined],
    ];
    for (const [path, body] of creating) {
      for (const ifMatch of ['*', '"0"', '"1"']) {
        const res = await reg.call('PUT', path, body, { 'If-Match': ifMatch });
        assert.equal(res.status, 412, `${path} If-Match ${ifMatch}`);
        assert.equal(res.body.error.title, 'Precondition Failed', path);
        assert.equal(res.body.error.reason, 'no_current_version', path);
      }
      assert.equal((await reg.call(body === undefined ? 'HEAD' : 'GET', path)).status, 404, `${path} was not created`);
    }
    // Once it exists, * holds: the create-only PUT then answers as it does without If-Match.
    assert.equal((await reg.call('PUT', '/v3/OS-FEDERATION/mappings/newmap', { mapping: { rules } })).status, 201);
    const again = await reg.call('PUT', '/v3/OS-FEDERATION/mappings/newmap', { mapping: { rules } }, { 'If-Match': '*' });
    assert.equal(again.status, 409);
    assert.equal((await reg.call('PUT', '/v3/groups/g-put/users/u-put')).status, 204);
    assert.equal((await reg.call('PUT', '/v3/groups/g-put/users/u-put', undefined, { 'If-Match': '*' })).status, 204);
    assert.equal((await reg.call('PATCH', '/v3/groups/g-put', { group: { description: 'x' } }, { 'If-Match': '*' })).status, 200);
  });

  test('If-Match on a resource that does not exist answers the same 404 as without it', async () => {
    const rules = [{ local: [{ user: { name: '{0}' } }], remote: [{ type: 'CN' }] }];
    // Real neighbours, so the relation routes reach the relation itself.
    for (const [path, body] of [
      ['/v3/users', { user: { id: 'u-404', name: 'user-404' } }],
      ['/v3/groups', { group: { id: 'g-404', name: 'group-404' } }],
      ['/v3/projects', { project: { id: 'p-404', name: 'project-404' } }],
      ['/v3/roles', { role: { id: 'r-404', name: 'role-404' } }],
      ['/v3/roles', { role: { id: 'r-404b', name: 'role-404b' } }],
      ['/v3/projects', { project: { id: 'p-gone', name: 'project-gone' } }],
    ] as const) {
      assert.equal((await reg.call('POST', path, body)).status, 201, path);
    }
    assert.equal((await reg.call('PUT', '/v3/OS-FEDERATION/identity_providers/idp-404', { identity_provider: {} })).status, 201);
    assert.equal((await reg.call('DELETE', '/v3/projects/p-gone')).status, 204);
    const missing: [string, string, unknown][] = [
      ['PATCH', '/v3/projects/nope', { project: { description: 'x' } }],
      ['DELETE', '/v3/projects/nope', undefined],
      // Deleted: its stream's last version is "2", and still nothing matches it.
      ['PATCH', '/v3/projects/p-gone', { project: { description: 'x' } }],
      ['PATCH', '/v3/users/nope', { user: { enabled: false } }],
      ['DELETE', '/v3/users/nope', undefined],
      ['PATCH', '/v3/groups/nope', { group: { description: 'x' } }],
      ['DELETE', '/v3/groups/nope', undefined],
      ['PATCH', '/v3/roles/nope', { role: { description: 'x' } }],
      ['DELETE', '/v3/roles/nope', undefined],
      ['PATCH', '/v3/domains/nope', { domain: { description: 'x' } }],
      ['DELETE', '/v3/domains/nope', undefined],
      ['PATCH', '/v3/OS-FEDERATION/identity_providers/nope', { identity_provider: { enabled: false } }],
      ['DELETE', '/v3/OS-FEDERATION/identity_providers/nope', undefined],
      ['PATCH', '/v3/OS-FEDERATION/mappings/nope', { mapping: { rules } }],
      ['DELETE', '/v3/OS-FEDERATION/mappings/nope', undefined],
      ['PATCH', '/v3/OS-FEDERATION/identity_providers/idp-404/protocols/nope', { protocol: { mapping_id: 'nope' } }],
      ['DELETE', '/v3/OS-FEDERATION/identity_providers/idp-404/protocols/nope', undefined],
      ['DELETE', '/v3/groups/g-404/users/u-404', undefined],
      ['DELETE', '/v3/roles/r-404/implies/r-404b', undefined],
      ['DELETE', '/v3/projects/p-404/users/u-404/roles/r-404', undefined],
      ['DELETE', '/v3/OS-INHERIT/projects/p-404/groups/g-404/roles/r-404/inherited_to_projects', undefined],
    ];
    for (const [method, path, body] of missing) {
      const without = await reg.call(method, path, body);
      assert.equal(without.status, 404, `${method} ${path}`);
      for (const ifMatch of ['"1"', '"2"', '*']) {
        const res = await reg.call(method, path, body, { 'If-Match': ifMatch });
        assert.equal(res.status, 404, `${method} ${path} If-Match ${ifMatch}`);
        assert.deepEqual(res.body, without.body, `${method} ${path} If-Match ${ifMatch}`);
      }
    }
  });

  test('role_assignments reads its boolean flags as Keystone does: present is true, except 0', async () => {
    // The previous test left u-etag holding r-etag on p-etag through a grant made and removed; make one that stays.
    assert.equal((await reg.call('PUT', '/v3/projects/p-etag/users/u-etag/roles/r-etag')).status, 204);
    const named = (q: string) => reg.call('GET', `/v3/role_assignments?user.id=u-etag${q}`);
    for (const q of ['&include_names', '&include_names=', '&include_names=True', '&include_names=false']) {
      const res = await named(q);
      assert.equal(res.body.role_assignments[0].role.name, 'etag-role', q);
    }
    for (const q of ['', '&include_names=0']) {
      const res = await named(q);
      assert.equal(res.body.role_assignments[0].role.name, undefined, q);
    }
  });

  test('a lone surrogate in a body is a 400 that records nothing, not a 500', async () => {
    const users = (await reg.call('GET', '/v3/users')).body.users.length;
    const res = await reg.call('POST', '/v3/users', JSON.stringify({ user: { name: 'key\ud800', domain_id: 'default' } }));
    assert.equal(res.status, 400);
    assert.equal(res.body.error.reason, 'invalid_unicode');
    const map = await reg.call('PUT', '/v3/OS-FEDERATION/mappings/m-bad-unicode', JSON.stringify({
      mapping: { rules: [{ local: [{ user: { name: '{0}' } }], remote: [{ type: 'CN', any_one_of: ['\udfff'] }] }] },
    }));
    assert.equal(map.status, 400);
    assert.equal((await reg.call('GET', '/v3/OS-FEDERATION/mappings/m-bad-unicode')).status, 404);
    assert.equal((await reg.call('GET', '/v3/users')).body.users.length, users);
  });

  test('NUL characters and absurd nesting are 400s, never 500s', async () => {
    const nul = await reg.call('POST', '/v3/projects', { project: { name: 'nul\u0000byte' } });
    assert.equal(nul.status, 400);
    assert.equal(nul.body.error.reason, 'invalid_unicode');
    let deep: unknown = 'bottom';
    for (let i = 0; i < 3000; i++) deep = { d: deep };
    const nested = await reg.call('POST', '/v3/projects', { project: { name: 'deep', extra: deep } });
    assert.equal(nested.status, 400);
    assert.equal(nested.body.error.reason, 'body_too_deep');
    const shallow = await reg.call('POST', '/v3/projects', { project: { name: 'shallow', extra: { a: { b: { c: 1 } } } } });
    assert.equal(shallow.status, 201);
  });

  test('NUL in a path or query, and positions past any integer, are 400s, never 500s', async () => {
    const rules = { mapping: { rules: [{ local: [{ user: { name: '{0}' } }], remote: [{ type: 'CN' }] }] } };
    for (const [method, path, body] of [
      ['GET', '/v1/history/project/%00', undefined],
      ['GET', '/v1/audit/seen?issuer=%00', undefined],
      ['GET', '/v1/audit/grants?identity=a%00b', undefined],
      ['PUT', '/v3/OS-FEDERATION/mappings/a%00b', rules],
      ['PUT', '/v3/OS-FEDERATION/identity_providers/a%00b', { identity_provider: {} }],
      ['POST', '/v1/authorize?x=%00', { env: {}, headers: {} }],
    ] as const) {
      const res = await reg.call(method, path, body);
      assert.equal(res.status, 400, path);
      assert.equal(res.body.error.reason, 'invalid_unicode', path);
    }
    for (const after of ['99999999999999999999', '9223372036854775807', '1e3', '0x10', '-1']) {
      const res = await reg.call('GET', `/v1/events?after=${after}`);
      assert.equal(res.status, 400, after);
      assert.equal(res.body.error.reason, 'invalid_query', after);
    }
    assert.equal((await reg.call('GET', '/v1/events?after=0&limit=1')).status, 200);
    const undecodable = await reg.call('GET', '/v3/projects/%ff');
    assert.equal(undecodable.status, 400);
    assert.equal(undecodable.body.error.reason, 'invalid_url');
  });

  test('keys that name object machinery are refused with 400, never a 500', async () => {
    for (const [path, body] of [
      ['/v1/authorize', { env: { SSL_CLIENT_I_DN: 'x' }, headers: { 'X-Project-Id': 'p', constructor: 'z' } }],
      ['/v1/mappings/evaluate', { rules: [{ local: [{ user: { name: '{0}' } }], remote: [{ type: 'CN' }] }], assertion: { constructor: 'z' } }],
      ['/v3/projects', { project: { name: 'machinery', constructor: 'z' } }],
    ] as const) {
      const res = await reg.call('POST', path, body);
      assert.equal(res.status, 400, path);
      assert.equal(res.body.error.reason, 'reserved_key', path);
    }
    for (const path of ['/v1/authorize', '/v3/projects']) {
      const res = await reg.call('POST', path, '{"project": {"name": "x"}, "env": {}, "__proto__": {"admin": true}}');
      assert.equal(res.status, 400, path);
      assert.equal(res.body.error.reason, 'reserved_key', path);
    }
  });

  test('the mapping tester takes rules or mapping_id, and refuses both with 400 rather than ignore one', async () => {
    const rules = [{ local: [{ user: { name: '{0}' } }], remote: [{ type: 'CN' }] }];
    const other = [{ local: [{ user: { name: 'fixed' } }], remote: [{ type: 'CN' }] }];
    assert.equal((await reg.call('PUT', '/v3/OS-FEDERATION/mappings/m-evaluate', { mapping: { rules } })).status, 201);
    const byId = await reg.call('POST', '/v1/mappings/evaluate', { mapping_id: 'm-evaluate', assertion: { CN: 'glance' } });
    assert.equal(byId.status, 200);
    assert.equal(byId.body.mapped_properties.user.name, 'glance');
    const inline = await reg.call('POST', '/v1/mappings/evaluate', { rules: other, assertion: { CN: 'glance' } });
    assert.equal(inline.status, 200);
    assert.equal(inline.body.mapped_properties.user.name, 'fixed');
    const both = await reg.call('POST', '/v1/mappings/evaluate', { rules: other, mapping_id: 'm-evaluate', assertion: { CN: 'glance' } });
    assert.equal(both.status, 400);
    assert.equal(both.body.error.reason, 'rules_and_mapping_id');
    assert.equal(both.body.error.message, 'Give either rules or mapping_id, not both.');
  });

  test('trusted issuers refuse openssl leftovers (BR-07)', async () => {
    const labelled = await reg.call('POST', '/v1/tokenless/trusted_issuers', { issuer: 'issuer=CN=Intermediate CA' });
    assert.equal(labelled.status, 400);
    assert.equal(labelled.body.error.reason, 'issuer_has_label');
    const newline = await reg.call('POST', '/v1/tokenless/trusted_issuers', { issuer: 'CN=Intermediate CA\n' });
    assert.equal(newline.status, 400);
    assert.equal(newline.body.error.reason, 'issuer_has_newline');
    const ok = await reg.call('POST', '/v1/tokenless/trusted_issuers', { issuer: 'CN=Intermediate CA' });
    assert.equal(ok.status, 201);
    assert.deepEqual(ok.body.trusted_issuer, ['CN=Intermediate CA']);
  });
});
