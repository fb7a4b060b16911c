import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  DomainError,
  RegistryState,
  decide,
  type RecordedEvent,
  type RegistryCommand,
} from '../../libs/domain/src';

/** Decides and applies commands the way the command handler does, without a database. */
function run(state: RegistryState, commands: RegistryCommand[]): RecordedEvent[] {
  const log: RecordedEvent[] = [];
  for (const command of commands) {
    for (const e of decide(state, command)) {
      const recorded = {
        ...e,
        position: state.position + 1,
        version: state.version(e.stream) + 1,
        schema_version: 1,
        metadata: { actor: 't', actor_kind: 'system' },
        recorded_at: new Date(0).toISOString(),
        prev_hash: '',
        hash: '',
      } as RecordedEvent;
      state.applyRecorded(recorded);
      log.push(recorded);
    }
  }
  return log;
}

const SETUP: RegistryCommand[] = [
  { kind: 'CreateProject', id: 'p1', project: { name: 'web' } },
  { kind: 'CreateProject', id: 'p2', project: { name: 'web-staging', parent_id: 'p1' } },
  { kind: 'CreateUser', id: 'u1', user: { name: 'alice' } },
  { kind: 'CreateGroup', id: 'g1', group: { name: 'devs' } },
  { kind: 'CreateRole', id: 'r1', role: { name: 'member' } },
  { kind: 'AddUserToGroup', group_id: 'g1', user_id: 'u1' },
  { kind: 'GrantRole', assignment: { role_id: 'r1', actor_type: 'group', actor_id: 'g1', target_type: 'project', target_id: 'p1', inherited: false } },
  { kind: 'GrantRole', assignment: { role_id: 'r1', actor_type: 'user', actor_id: 'u1', target_type: 'domain', target_id: 'default', inherited: true } },
];

describe('decide and apply', () => {
  test('replaying the log builds the same state', () => {
    const live = RegistryState.withDefaultDomain();
    const log = run(live, SETUP);
    const replayed = RegistryState.withDefaultDomain();
    for (const e of log) replayed.applyRecorded(e);
    assert.deepEqual([...replayed.assignments.keys()].sort(), [...live.assignments.keys()].sort());
    assert.deepEqual([...replayed.projects.values()], [...live.projects.values()]);
    assert.equal(replayed.position, live.position);
    // Applying an event twice changes nothing.
    for (const e of log) assert.equal(replayed.applyRecorded(e), false);
  });

  test('a child project takes its parent\'s domain; a parent with children cannot be deleted', () => {
    const state = RegistryState.withDefaultDomain();
    run(state, SETUP);
    assert.equal(state.projects.get('p2')!.domain_id, 'default');
    assert.throws(() => decide(state, { kind: 'DeleteProject', id: 'p1' }), (e: DomainError) => e.status === 403);
  });

  test('deleting a group removes its memberships and grants; deleting a user removes theirs', () => {
    const state = RegistryState.withDefaultDomain();
    run(state, SETUP);
    run(state, [{ kind: 'DeleteGroup', id: 'g1' }]);
    assert.equal(state.groupsOfUser.get('u1'), undefined);
    assert.equal(state.assignmentsOn('project', 'p1').length, 0);
    run(state, [{ kind: 'DeleteUser', id: 'u1' }]);
    assert.equal(state.assignments.size, 0);
  });

  test('granting twice records nothing; revoking what is not granted is a 404', () => {
    const state = RegistryState.withDefaultDomain();
    run(state, SETUP);
    assert.deepEqual(decide(state, SETUP[6]), []);
    const revoke: RegistryCommand = {
      kind: 'RevokeRole',
      assignment: { role_id: 'r1', actor_type: 'user', actor_id: 'u1', target_type: 'project', target_id: 'p1', inherited: false },
    };
    assert.throws(() => decide(state, revoke), (e: DomainError) => e.status === 404 && e.reason === 'assignment_not_found');
  });

  test('a stale expected version is refused with 412', () => {
    const state = RegistryState.withDefaultDomain();
    run(state, SETUP);
    assert.throws(
      () => decide(state, { kind: 'UpdateGroup', id: 'g1', patch: { description: 'x' }, expected_version: 7 }),
      (e: DomainError) => e.status === 412,
    );
  });

  test('If-Match on a resource that does not exist answers what the command answers without it, never 412', () => {
    const state = RegistryState.withDefaultDomain();
    run(state, [
      ...SETUP,
      { kind: 'CreateProject', id: 'gone', project: { name: 'gone' } },
      { kind: 'DeleteProject', id: 'gone' },
      { kind: 'CreateRole', id: 'r2', role: { name: 'reader' } },
      { kind: 'RegisterIdentityProvider', id: 'idp1', identity_provider: {}, auto_domain_id: 'd1' },
    ]);
    const assignment = { role_id: 'r1', actor_type: 'user', actor_id: 'u1', target_type: 'project', target_id: 'p1', inherited: false } as const;
    const missing: RegistryCommand[] = [
      { kind: 'UpdateDomain', id: 'nope', patch: { description: 'x' } },
      { kind: 'DeleteDomain', id: 'nope' },
      { kind: 'UpdateProject', id: 'nope', patch: { description: 'x' } },
      // Deleted: its stream still has a version, which an If-Match could name.
      { kind: 'UpdateProject', id: 'gone', patch: { description: 'x' } },
      { kind: 'DeleteProject', id: 'gone' },
      { kind: 'UpdateUser', id: 'nope', patch: { enabled: false } },
      { kind: 'DeleteUser', id: 'nope' },
      { kind: 'UpdateGroup', id: 'nope', patch: { description: 'x' } },
      { kind: 'DeleteGroup', id: 'nope' },
      { kind: 'UpdateRole', id: 'nope', patch: { description: 'x' } },
      { kind: 'DeleteRole', id: 'nope' },
      { kind: 'UpdateIdentityProvider', id: 'nope', patch: { enabled: false } },
      { kind: 'DeleteIdentityProvider', id: 'nope' },
      { kind: 'ReplaceMapping', id: 'nope', rules: [] },
      { kind: 'DeleteMapping', id: 'nope' },
      { kind: 'UpdateProtocol', idp_id: 'idp1', id: 'nope', mapping_id: 'm' },
      { kind: 'DeleteProtocol', idp_id: 'idp1', id: 'nope' },
      { kind: 'DeleteProtocol', idp_id: 'nope', id: 'x509' },
      { kind: 'RevokeApiToken', id: 'nope' },
      { kind: 'RemoveUserFromGroup', group_id: 'g1', user_id: 'nope' },
      { kind: 'RemoveImpliedRole', prior_role_id: 'r1', implied_role_id: 'r2' },
      { kind: 'RevokeRole', assignment },
    ];
    const refusal = (c: RegistryCommand) => {
      try {
        decide(state, c);
      } catch (e) {
        const { status, reason, message } = e as DomainError;
        return { status, reason, message };
      }
      return assert.fail(`${c.kind} on a missing resource was not refused`);
    };
    for (const c of missing) {
      const without = refusal(c);
      assert.equal(without.status, 404, c.kind);
      for (const expected of [0, 1, 2, '*'] as const) {
        assert.deepEqual(refusal({ ...c, expected_version: expected }), without, `${c.kind} If-Match ${expected}`);
      }
    }
  });

  test('If-Match on a PUT that would create its resource is 412 no_current_version, even *', () => {
    const state = RegistryState.withDefaultDomain();
    run(state, [
      ...SETUP,
      { kind: 'CreateUser', id: 'u2', user: { name: 'bob' } },
      { kind: 'CreateRole', id: 'r2', role: { name: 'reader' } },
      { kind: 'RegisterIdentityProvider', id: 'idp1', identity_provider: {}, auto_domain_id: 'd1' },
      { kind: 'CreateMapping', id: 'm', rules: [{ local: [{ user: { name: '{0}' } }], remote: [{ type: 'CN' }] }] },
      { kind: 'CreateMapping', id: 'gone', rules: [{ local: [{ user: { name: '{0}' } }], remote: [{ type: 'CN' }] }] },
      { kind: 'DeleteMapping', id: 'gone' },
    ]);
    const rules = [{ local: [{ user: { name: '{0}' } }], remote: [{ type: 'CN' }] }];
    const creating: RegistryCommand[] = [
      { kind: 'RegisterIdentityProvider', id: 'idp2', identity_provider: {}, auto_domain_id: 'd2' },
      { kind: 'CreateMapping', id: 'newmap', rules },
      // Deleted: version 2 was current once, but nothing is current now.
      { kind: 'CreateMapping', id: 'gone', rules },
      { kind: 'CreateProtocol', idp_id: 'idp1', id: 'x509', mapping_id: 'm' },
      { kind: 'AddUserToGroup', group_id: 'g1', user_id: 'u2' },
      { kind: 'ImplyRole', prior_role_id: 'r1', implied_role_id: 'r2' },
      { kind: 'GrantRole', assignment: { role_id: 'r1', actor_type: 'user', actor_id: 'u2', target_type: 'project', target_id: 'p1', inherited: false } },
    ];
    for (const c of creating) {
      for (const expected of ['*', 0, 1, 2] as const) {
        assert.throws(
          () => decide(state, { ...c, expected_version: expected }),
          (e: DomainError) => e.status === 412 && e.reason === 'no_current_version',
          `${c.kind} If-Match ${expected}`,
        );
      }
      assert.ok(decide(state, c).length > 0, `${c.kind} without If-Match creates`);
    }
  });

  test('If-Match * matches any current version of a resource that exists; a number must be the current one', () => {
    const state = RegistryState.withDefaultDomain();
    run(state, SETUP);
    assert.equal(decide(state, { kind: 'UpdateGroup', id: 'g1', patch: { description: 'x' }, expected_version: '*' }).length, 1);
    // An existing membership: the PUT's condition holds, and adding again records nothing, as without If-Match.
    assert.deepEqual(decide(state, { kind: 'AddUserToGroup', group_id: 'g1', user_id: 'u1', expected_version: '*' }), []);
    assert.deepEqual(decide(state, { kind: 'AddUserToGroup', group_id: 'g1', user_id: 'u1', expected_version: 1 }), []);
    assert.throws(
      () => decide(state, { kind: 'AddUserToGroup', group_id: 'g1', user_id: 'u1', expected_version: 2 }),
      (e: DomainError) => e.status === 412 && e.reason === 'version_mismatch',
    );
  });

  test('implied roles may not form a cycle', () => {
    const state = RegistryState.withDefaultDomain();
    run(state, [
      { kind: 'CreateRole', id: 'a', role: { name: 'a' } },
      { kind: 'CreateRole', id: 'b', role: { name: 'b' } },
      { kind: 'ImplyRole', prior_role_id: 'a', implied_role_id: 'b' },
    ]);
    assert.throws(() => decide(state, { kind: 'ImplyRole', prior_role_id: 'b', implied_role_id: 'a' }), (e: DomainError) => e.status === 403);
  });
});

describe('deleting an identity provider', () => {
  test('cascades its protocols, each with its own event, and keeps other IdPs\' protocols', () => {
    const state = RegistryState.withDefaultDomain();
    run(state, [
      { kind: 'RegisterIdentityProvider', id: 'idp1', identity_provider: {}, auto_domain_id: 'd1' },
      { kind: 'RegisterIdentityProvider', id: 'idp2', identity_provider: {}, auto_domain_id: 'd2' },
      { kind: 'CreateMapping', id: 'm1', rules: [{ local: [{ user: { name: '{0}' } }], remote: [{ type: 'X' }] }] },
      { kind: 'CreateProtocol', idp_id: 'idp1', id: 'x509', mapping_id: 'm1' },
      { kind: 'CreateProtocol', idp_id: 'idp1', id: 'openid', mapping_id: 'm1' },
      { kind: 'CreateProtocol', idp_id: 'idp2', id: 'x509', mapping_id: 'm1' },
    ]);
    const events = run(state, [{ kind: 'DeleteIdentityProvider', id: 'idp1' }]);
    assert.deepEqual(
      events.map((e) => [e.type, e.stream]),
      [
        ['ProtocolDeleted', 'protocol:idp1/x509'],
        ['ProtocolDeleted', 'protocol:idp1/openid'],
        ['IdentityProviderDeleted', 'idp:idp1'],
      ],
    );
    assert.deepEqual([...state.protocols.keys()], ['idp2/x509']);
    assert.equal(state.version('protocol:idp1/x509'), 2);
  });
});

describe('deletions record what they take with them', () => {
  const world = (): [RegistryState, RegistryCommand[]] => [
    RegistryState.withDefaultDomain(),
    [
      { kind: 'CreateDomain', id: 'd1', domain: { name: 'acme' } },
      { kind: 'CreateProject', id: 'pa', project: { name: 'web', domain_id: 'd1' } },
      { kind: 'CreateProject', id: 'pb', project: { name: 'keep' } },
      { kind: 'CreateUser', id: 'ua', user: { name: 'alice', domain_id: 'd1' } },
      { kind: 'CreateUser', id: 'ub', user: { name: 'bob' } },
      { kind: 'CreateGroup', id: 'ga', group: { name: 'devs', domain_id: 'd1' } },
      { kind: 'CreateRole', id: 'rg', role: { name: 'member' } },
      { kind: 'CreateRole', id: 'rd', role: { name: 'acme-admin', domain_id: 'd1' } },
      { kind: 'ImplyRole', prior_role_id: 'rd', implied_role_id: 'rg' },
      { kind: 'AddUserToGroup', group_id: 'ga', user_id: 'ub' },
      { kind: 'GrantRole', assignment: { role_id: 'rg', actor_type: 'user', actor_id: 'ub', target_type: 'project', target_id: 'pa', inherited: false } },
      { kind: 'GrantRole', assignment: { role_id: 'rg', actor_type: 'group', actor_id: 'ga', target_type: 'project', target_id: 'pb', inherited: false } },
      { kind: 'GrantRole', assignment: { role_id: 'rg', actor_type: 'user', actor_id: 'ub', target_type: 'domain', target_id: 'd1', inherited: false } },
      { kind: 'GrantRole', assignment: { role_id: 'rg', actor_type: 'user', actor_id: 'ub', target_type: 'project', target_id: 'pb', inherited: false } },
      { kind: 'UpdateDomain', id: 'd1', patch: { enabled: false } },
    ],
  ];

  test('deleting a domain ends every stream it owned, and leaves what the deletion alone would', () => {
    const [state, setup] = world();
    run(state, setup);
    const [silent, same] = world();
    run(silent, same);
    const events = run(state, [{ kind: 'DeleteDomain', id: 'd1' }]);
    const ended = events.map((e) => `${e.type} ${e.stream}`).sort();
    assert.deepEqual(ended, [
      'DomainDeleted domain:d1',
      'GroupDeleted group:ga',
      'ProjectDeleted project:pa',
      'RoleDeleted role:rd',
      'RoleImplicationRemoved implication:rd/rg',
      'RoleRevoked assignment:group:ga:project:pb:rg',
      'RoleRevoked assignment:user:ub:domain:d1:rg',
      'RoleRevoked assignment:user:ub:project:pa:rg',
      'UserDeleted user:ua',
      'UserRemovedFromGroup membership:ga/ub',
    ]);
    // The same state as applying the domain's deletion on its own (what the log held before).
    silent.apply({ type: 'DomainDeleted', data: { id: 'd1' } });
    for (const name of ['projects', 'users', 'groups', 'roles', 'assignments', 'membersOfGroup', 'groupsOfUser', 'impliedRoles'] as const) {
      assert.deepEqual(state[name], silent[name], name);
    }
    assert.ok(state.assignments.has('user:ub:project:pb:rg'), 'what the domain did not own stays');
  });

  test('deleting a user, a group, a project or a role revokes its assignments and memberships as events', () => {
    for (const [command, expected] of [
      [{ kind: 'DeleteUser', id: 'ub' }, ['RoleRevoked', 'RoleRevoked', 'RoleRevoked', 'UserRemovedFromGroup', 'UserDeleted']],
      [{ kind: 'DeleteGroup', id: 'ga' }, ['RoleRevoked', 'UserRemovedFromGroup', 'GroupDeleted']],
      [{ kind: 'DeleteProject', id: 'pb' }, ['RoleRevoked', 'RoleRevoked', 'ProjectDeleted']],
      [{ kind: 'DeleteRole', id: 'rg' }, ['RoleRevoked', 'RoleRevoked', 'RoleRevoked', 'RoleRevoked', 'RoleImplicationRemoved', 'RoleDeleted']],
    ] as [RegistryCommand, string[]][]) {
      const [state, setup] = world();
      run(state, setup);
      assert.deepEqual(run(state, [command]).map((e) => e.type), expected, command.kind);
    }
  });
});
