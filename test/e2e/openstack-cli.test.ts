import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { apacheEnv, idpId, issuerDn } from '../../libs/x509/src';
import { TestPki } from '../support/pki';
import { ADMIN_TOKEN, startTestRegistry, type TestRegistry } from '../support/registry';
import type { LoggedEvent } from '../support/api-types';

/**
 * The CLI's `-f json` output. Its shape is the command's own (an object for
 * show and create, rows keyed by column titles such as "Role" for list, as
 * Keystone's CLI prints them), so the assertions read it field by field; this
 * is the one place the test leaves it untyped.
 */
type CliJson = any;

/**
 * The registry driven by Debian's `openstack` CLI (python3-openstackclient)
 * through its admin_token plugin: the guide's setup steps and the identity,
 * federation and role-assignment commands, with the CLI's own output checked.
 * Independent commands run side by side: the CLI takes a second or two to start.
 */
const CLI = 'openstack';
const available = spawnSync(CLI, ['--version'], { encoding: 'utf8' }).status === 0;
const inCi = process.env.CI === '1' || process.env.CI === 'true';
const skip = !available && !inCi ? `${CLI} not found; install python3-openstackclient to run this test` : false;

/** The guide's ephemeral mapping, in the rules file the CLI reads. */
const GUIDE_MAPPING = [
  {
    local: [
      { user: { name: '{0}', type: 'ephemeral' }, group: { domain: { name: '{1}' }, name: 'openstack_services' } },
    ],
    remote: [
      { type: 'SSL_CLIENT_S_DN_CN', whitelist: ['glance', 'nova', 'swift', 'neutron'] },
      { type: 'SSL_CLIENT_S_DN_O', whitelist: ['Default'] },
    ],
  },
];

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

describe('the real openstack CLI against the registry', { skip }, () => {
  const pki = new TestPki();
  let reg: TestRegistry;
  let dir: string;
  let token = ADMIN_TOKEN;

  // At most three CLIs at once: each spends a second of CPU starting up.
  let running = 0;
  const queue: (() => void)[] = [];
  const run = async (args: string[]): Promise<CliResult> => {
    if (running >= 3) await new Promise<void>((r) => queue.push(r));
    running++;
    try {
      return await spawnCli(args);
    } finally {
      running--;
      queue.shift()?.();
    }
  };
  const spawnCli = (args: string[]): Promise<CliResult> =>
    new Promise((resolve) => {
      const env: NodeJS.ProcessEnv = {};
      for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('OS_')) env[k] = v;
      execFile(
        CLI,
        ['--os-auth-type', 'admin_token', '--os-endpoint', `${reg.url}/v3`, '--os-token', token, ...args],
        { env, cwd: dir, timeout: 60_000 },
        (err, stdout, stderr) => {
          const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
          resolve({ code, stdout, stderr });
        },
      );
    });
  /** A command that must succeed; its -f json output parsed when there is one. */
  const ok = async (...args: string[]): Promise<CliJson> => {
    const res = await run(args);
    assert.equal(res.code, 0, `openstack ${args.join(' ')} exited ${res.code}: ${res.stderr}`);
    return res.stdout.trim() === '' ? null : args.includes('json') ? JSON.parse(res.stdout) : res.stdout;
  };
  /** A command that must fail with exit 1 and print `message`. */
  const fails = async (message: string | RegExp, ...args: string[]) => {
    const res = await run(args);
    assert.equal(res.code, 1, `openstack ${args.join(' ')} should fail: ${res.stdout}`);
    if (typeof message === 'string') assert.ok(res.stderr.includes(message), `stderr: ${res.stderr}`);
    else assert.match(res.stderr, message);
  };
  const json = ['-f', 'json'];

  /**
   * Several commands in one CLI process (its interactive mode reading stdin), so
   * the start-up cost is paid once. Auth comes from the OS_* variables here.
   * Every command must succeed: nothing on stderr, and one JSON document per
   * command that asked for `-f json`, returned in order.
   */
  const batch = async (...commands: string[][]): Promise<CliJson[]> => {
    // The interactive shell (cmd2) removes one level of quotes before cliff splits the line again.
    const quote = (a: string) => {
      if (/^[\w./:@=-]+$/.test(a)) return a;
      assert.ok(!/['"\\]/.test(a), `no quotes in batch arguments: ${a}`);
      return `"'${a}'"`;
    };
    const input = commands.map((c) => c.map(quote).join(' ')).join('\n') + '\n';
    const res = await new Promise<CliResult>((resolve) => {
      const env: NodeJS.ProcessEnv = {};
      for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('OS_')) env[k] = v;
      Object.assign(env, { OS_AUTH_TYPE: 'admin_token', OS_ENDPOINT: `${reg.url}/v3`, OS_TOKEN: token });
      const child = execFile(CLI, [], { env, cwd: dir, timeout: 60_000 }, (err, stdout, stderr) => {
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
      });
      child.stdin!.end(input);
    });
    const shown = commands.map((c) => c.join(' ')).join('; ');
    assert.equal(res.code, 0, `${shown}: ${res.stderr}`);
    // `user create` without --password warns on stderr, against Keystone too.
    const stderr = res.stderr.replace(/^No password was supplied, authentication will fail when a user does not have a password\.$/m, '');
    assert.equal(stderr.trim(), '', `${shown}: ${res.stderr}`);
    // cliff pretty-prints each document; a top-level one ends with a line that is just } or ].
    const docs: CliJson[] = [];
    let current: string[] = [];
    for (const line of res.stdout.split('\n')) {
      if (current.length === 0 && line.trim() === '') continue;
      current.push(line);
      if (line === '}' || line === ']' || line === '[]' || line === '{}') {
        docs.push(JSON.parse(current.join('\n')));
        current = [];
      }
    }
    assert.equal(current.join('').trim(), '', `unparsed output: ${current.join('\n')}`);
    assert.equal(docs.length, commands.filter((c) => c.includes('json')).length, `${shown}: ${res.stdout}`);
    return docs;
  };

  let glance: string;
  let idp: string;
  let issuer: string;
  const ids: Record<string, string> = {};

  before(async () => {
    if (!available) return;
    dir = mkdtempSync(join(tmpdir(), 'registry-cli-'));
    writeFileSync(join(dir, 'x509_tokenless_mapping.json'), JSON.stringify(GUIDE_MAPPING));
    writeFileSync(join(dir, 'invalid_mapping.json'), JSON.stringify([{ local: [{ user: { name: '{0}' } }] }]));
    pki.ca('root', '/DC=com/DC=somedemo/O=openstack/OU=keystone/CN=Root CA');
    glance = pki.pem(pki.client('glance', '/DC=com/DC=somedemo/O=Default/OU=keystone/CN=glance', 'root'));
    issuer = issuerDn(glance, 'apache');
    idp = idpId(glance, 'apache');
    reg = await startTestRegistry();
    // The CLI uses a registry API token of its own, so its changes are attributed to it.
    const minted = await reg.call('POST', '/v1/tokens', { token: { name: 'openstack-cli', role: 'admin' } });
    assert.equal(minted.status, 201);
    token = minted.body.token.secret;
  });

  after(async () => {
    await reg?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('the CLI is installed (CI installs python3-openstackclient)', () => {
    assert.ok(available, `${CLI} is missing: apt-get install -y python3-openstackclient`);
  });

  test('the guide: identity provider, mapping and protocol created with the CLI authorize a certificate', async () => {
    const [created, mapping, protocol] = await batch(
      ['identity', 'provider', 'create', '--remote-id', issuer, '--description', 'IDP foo', idp, ...json],
      ['mapping', 'create', '--rules', 'x509_tokenless_mapping.json', 'x509_tokenless', ...json],
      ['federation', 'protocol', 'create', '--identity-provider', idp, '--mapping', 'x509_tokenless', 'x509', ...json],
    );
    assert.equal(created.id, idp);
    assert.deepEqual(created.remote_ids, [issuer]);
    assert.equal(created.description, 'IDP foo');
    assert.equal(created.enabled, true);
    assert.match(created.domain_id, /^[0-9a-f]{32}$/, 'an IdP without --domain gets its own domain, as in Keystone');
    assert.equal(mapping.id, 'x509_tokenless');
    assert.deepEqual(mapping.rules, GUIDE_MAPPING);

    assert.deepEqual(
      { id: protocol.id, identity_provider: protocol.identity_provider, mapping: protocol.mapping },
      { id: 'x509', identity_provider: idp, mapping: 'x509_tokenless' },
    );

    // The rest of the guide over the registry's own API, then a real certificate is authorized.
    assert.equal((await reg.call('PUT', '/v1/tokenless', { trusted_issuer: [issuer], protocol: 'x509' })).status, 200);
    const group = await reg.call('POST', '/v3/groups', { group: { name: 'openstack_services', domain_id: 'default' } });
    assert.equal(group.status, 201);
    const res = await reg.call('POST', '/v1/authorize', {
      env: apacheEnv(glance),
      headers: { 'X-Domain-Name': 'Default' },
    });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.auth_context['OS-FEDERATION:identity_provider'], idp);
    assert.deepEqual(res.body.auth_context.group_ids, [group.body.group.id]);
    const log = await reg.call('GET', '/v1/events?after=0&limit=100');
    const byCli = (log.body.events as LoggedEvent[]).filter((e) => e.metadata.actor === 'openstack-cli').map((e) => e.type);
    for (const type of ['IdentityProviderRegistered', 'MappingCreated', 'ProtocolCreated']) {
      assert.ok(byCli.includes(type), `${type} is attributed to the CLI's token: ${JSON.stringify(byCli)}`);
    }

    // Refusals carry Keystone's messages through the CLI, which exits 1.
    await Promise.all([
      fails("'remote' is a required property", 'mapping', 'create', '--rules', 'invalid_mapping.json', 'bad'),
      fails(
        `Conflict occurred attempting to store identity_provider - Duplicate remote ID: ${issuer}. (HTTP 409)`,
        'identity', 'provider', 'create', '--remote-id', issuer, 'copy',
      ),
      fails(
        'Invalid mapping id: nope (HTTP 400)',
        'federation', 'protocol', 'create', '--identity-provider', idp, '--mapping', 'nope', 'openid',
      ),
    ]);
  });

  test('identity: domain, project, user, group and role create; group add user; role add by name', async () => {
    const [domain, project, user, group, role, domainRole, partnerIdp] = await batch(
      ['domain', 'create', '--description', 'ACME Corp', 'acme', ...json],
      ['project', 'create', '--domain', 'acme', '--description', 'web shop', 'web', ...json],
      ['user', 'create', '--domain', 'acme', '--email', 'alice@acme.example', 'alice', ...json],
      ['group', 'create', '--domain', 'acme', 'devs', ...json],
      ['role', 'create', 'reviewer', ...json],
      ['role', 'create', '--domain', 'acme', 'acme-auditor', ...json],
      ['identity', 'provider', 'create', '--remote-id', 'https://partner.example/idp', '--domain', 'acme', '--disable', 'partner', ...json],
    );
    assert.deepEqual(
      { name: domain.name, description: domain.description, enabled: domain.enabled },
      { name: 'acme', description: 'ACME Corp', enabled: true },
    );
    ids.acme = domain.id;
    assert.equal(project.domain_id, ids.acme);
    assert.equal(project.description, 'web shop');
    assert.equal(user.domain_id, ids.acme);
    assert.equal(user.email, 'alice@acme.example');
    assert.equal(group.domain_id, ids.acme);
    assert.equal(role.name, 'reviewer');
    assert.equal(domainRole.domain_id, ids.acme);
    assert.equal(partnerIdp.domain_id, ids.acme);
    assert.equal(partnerIdp.enabled, false);
    Object.assign(ids, { web: project.id, alice: user.id, devs: group.id, reviewer: role.id });

    await batch(
      ['group', 'add', 'user', '--group-domain', 'acme', '--user-domain', 'acme', 'devs', 'alice'],
      ['role', 'add', '--group', 'devs', '--group-domain', 'acme', '--domain', 'acme', 'reviewer'],
      ['role', 'add', '--user', 'alice', '--user-domain', 'acme', '--domain', 'acme', '--role-domain', 'acme', 'acme-auditor'],
    );
    await Promise.all([
      // The documented form, one process with the admin_token options.
      ok('role', 'add', '--user', 'alice', '--user-domain', 'acme', '--project', 'web', '--project-domain', 'acme', 'reviewer'),
      // Unknown names: the CLI's own lookup fails, nothing is granted.
      fails("No user with a name or ID of 'carol' exists.", 'role', 'add', '--user', 'carol', '--project', 'web', 'reviewer'),
      fails('Conflict occurred attempting to store', 'domain', 'create', 'acme'),
    ]);
    const members = await reg.call('GET', `/v3/groups/${ids.devs}/users`);
    assert.deepEqual(members.body.users.map((u: { name: string }) => u.name), ['alice']);
    const grants = await reg.call('GET', '/v3/role_assignments');
    assert.equal(grants.body.role_assignments.length, 3);
  });

  test('list and show answer what the CLI expects, names resolved the way Keystone resolves them', async () => {
    const [domains, domain, projects, project, users, user, groups, group, roles, role, idps, idpShown, mappings,
      mappingShown, protocols, protocolShown] = await batch(
      ['domain', 'list', ...json],
      ['domain', 'show', 'acme', ...json],
      ['project', 'list', '--domain', 'acme', ...json],
      ['project', 'show', '--domain', 'acme', 'web', ...json],
      ['user', 'list', '--domain', 'acme', ...json],
      ['user', 'show', '--domain', 'acme', 'alice', ...json],
      ['group', 'list', ...json],
      ['group', 'show', '--domain', 'acme', 'devs', ...json],
      ['role', 'list', ...json],
      ['role', 'show', 'reviewer', ...json],
      ['identity', 'provider', 'list', ...json],
      ['identity', 'provider', 'show', idp, ...json],
      ['mapping', 'list', ...json],
      ['mapping', 'show', 'x509_tokenless', ...json],
      ['federation', 'protocol', 'list', '--identity-provider', idp, ...json],
      ['federation', 'protocol', 'show', '--identity-provider', idp, 'x509', ...json],
    );
    const names = (rows: { Name: string }[]) => rows.map((r) => r.Name).sort();
    assert.ok(names(domains).includes('acme') && names(domains).includes('Default'));
    assert.equal(domain.id, ids.acme);
    assert.deepEqual(names(projects), ['web']);
    assert.equal(project.id, ids.web);
    assert.deepEqual(names(users), ['alice']);
    assert.equal(user.id, ids.alice);
    assert.deepEqual(names(groups), ['devs', 'openstack_services']);
    assert.equal(group.id, ids.devs);
    assert.deepEqual(names(roles), ['reviewer'], 'role list shows global roles only, like Keystone');
    assert.equal(role.id, ids.reviewer);
    assert.deepEqual(idps.map((i: { ID: string }) => i.ID).sort(), [idp, 'partner'].sort());
    assert.equal(idps.find((i: { ID: string }) => i.ID === 'partner').Enabled, false);
    assert.deepEqual(idpShown.remote_ids, [issuer]);
    assert.deepEqual(mappings.map((m: { ID: string }) => m.ID), ['x509_tokenless']);
    assert.deepEqual(mappingShown.rules, GUIDE_MAPPING);
    assert.deepEqual(protocols.map((p: { id: string; mapping: string }) => [p.id, p.mapping]), [['x509', 'x509_tokenless']]);
    assert.equal(protocolShown.mapping, 'x509_tokenless');
  });

  test('role assignment list with its filters, --names and --effective', async () => {
    const [all, byUser, byGroupDomain, byRole, effective] = await batch(
      ['role', 'assignment', 'list', '--names', ...json],
      ['role', 'assignment', 'list', '--user', 'alice', '--user-domain', 'acme', '--project', 'web', '--project-domain', 'acme', '--names', ...json],
      ['role', 'assignment', 'list', '--group', 'devs', '--group-domain', 'acme', '--domain', 'acme', ...json],
      ['role', 'assignment', 'list', '--role', 'acme-auditor', '--role-domain', 'acme', ...json],
      ['role', 'assignment', 'list', '--effective', '--user', 'alice', '--user-domain', 'acme', '--names', ...json],
    );
    const rows = (list: CliJson[]) =>
      list.map((r) => [r.Role, r.User, r.Group, r.Project, r.Domain, r.Inherited].join('|')).sort();
    assert.deepEqual(rows(all), [
      'acme-auditor|alice@acme|||acme|false',
      'reviewer||devs@acme||acme|false',
      'reviewer|alice@acme||web@acme||false',
    ].sort());
    assert.deepEqual(rows(byUser), ['reviewer|alice@acme||web@acme||false']);
    assert.deepEqual(rows(byGroupDomain), [`${ids.reviewer}||${ids.devs}||${ids.acme}|false`]);
    assert.equal(byRole.length, 1);
    assert.equal(byRole[0].User, ids.alice);
    // Effective: the group's domain grant reaches alice through her membership.
    assert.deepEqual(rows(effective), [
      'acme-auditor|alice@acme|||acme|false',
      'reviewer|alice@acme|||acme|false',
      'reviewer|alice@acme||web@acme||false',
    ].sort());
  });

  test('set: each resource is changed through the CLI', async () => {
    await writeRules();
    await batch(
      ['domain', 'set', '--description', 'ACME Corporation', 'acme'],
      ['project', 'set', '--domain', 'acme', '--description', 'web shop (EU)', 'web'],
      ['user', 'set', '--domain', 'acme', '--email', 'alice@acme.test', 'alice'],
      ['group', 'set', '--domain', 'acme', '--description', 'developers', 'devs'],
      ['role', 'set', '--description', 'reviews changes', 'reviewer'],
      ['identity', 'provider', 'set', '--description', 'partner IdP', '--remote-id', 'https://partner.example/v2', '--enable', 'partner'],
      ['mapping', 'set', '--rules', 'second_mapping.json', 'x509_tokenless'],
      ['mapping', 'create', '--rules', 'second_mapping.json', 'second', ...json],
    );
    const state = await Promise.all([
      reg.call('GET', `/v3/domains/${ids.acme}`),
      reg.call('GET', `/v3/projects/${ids.web}`),
      reg.call('GET', `/v3/users/${ids.alice}`),
      reg.call('GET', `/v3/groups/${ids.devs}`),
      reg.call('GET', `/v3/roles/${ids.reviewer}`),
      reg.call('GET', '/v3/OS-FEDERATION/identity_providers/partner'),
      reg.call('GET', '/v3/OS-FEDERATION/mappings/x509_tokenless'),
    ]);
    assert.equal(state[0].body.domain.description, 'ACME Corporation');
    assert.equal(state[1].body.project.description, 'web shop (EU)');
    assert.equal(state[2].body.user.email, 'alice@acme.test');
    assert.equal(state[3].body.group.description, 'developers');
    assert.equal(state[4].body.role.description, 'reviews changes');
    assert.deepEqual(
      [state[5].body.identity_provider.description, state[5].body.identity_provider.remote_ids, state[5].body.identity_provider.enabled],
      ['partner IdP', ['https://partner.example/v2'], true],
    );
    assert.deepEqual(state[6].body.mapping.rules, SECOND_MAPPING);

    // OSC 6.0 prints '<zip object ...>' and exits 1 after a successful PATCH, against Keystone too.
    const switched = await run(['federation', 'protocol', 'set', '--identity-provider', idp, '--mapping', 'second', 'x509']);
    assert.match(switched.stdout + switched.stderr, /zip object/);
    const protocol = await reg.call('GET', `/v3/OS-FEDERATION/identity_providers/${idp}/protocols/x509`);
    assert.equal(protocol.body.protocol.mapping_id, 'second');
  });

  test('remove and delete: grants, members, protocols, IdPs (cascading), mappings and identities', async () => {
    await batch(
      ['role', 'remove', '--group', 'devs', '--group-domain', 'acme', '--domain', 'acme', 'reviewer'],
      ['federation', 'protocol', 'delete', '--identity-provider', idp, 'x509'],
      ['mapping', 'delete', 'x509_tokenless'],
    );
    await ok('role', 'remove', '--user', 'alice', '--user-domain', 'acme', '--project', 'web', '--project-domain', 'acme', 'reviewer');
    const left = await reg.call('GET', '/v3/role_assignments');
    assert.equal(left.body.role_assignments.length, 1);
    assert.equal((await reg.call('GET', `/v3/OS-FEDERATION/identity_providers/${idp}/protocols`)).body.protocols.length, 0);

    // Deleting an IdP takes its protocols with it, as in Keystone.
    const [openid] = await batch(
      ['federation', 'protocol', 'create', '--identity-provider', 'partner', '--mapping', 'second', 'openid', ...json],
      ['identity', 'provider', 'delete', 'partner'],
      ['identity', 'provider', 'delete', idp],
      ['group', 'delete', '--domain', 'acme', 'devs'],
      ['role', 'delete', 'reviewer'],
    );
    assert.equal(openid.identity_provider, 'partner');
    assert.equal((await reg.call('GET', '/v3/OS-FEDERATION/identity_providers/partner/protocols')).body.protocols.length, 0);
    assert.equal((await reg.call('GET', '/v3/OS-FEDERATION/identity_providers')).body.identity_providers.length, 0);

    await batch(
      ['user', 'delete', '--domain', 'acme', 'alice'],
      ['project', 'delete', '--domain', 'acme', 'web'],
      ['mapping', 'delete', 'second'],
    );
    await fails('Cannot delete a domain that is enabled, please disable it first.', 'domain', 'delete', 'acme');
    await batch(['domain', 'set', '--disable', 'acme'], ['domain', 'delete', 'acme']);
    assert.equal((await reg.call('GET', `/v3/domains/${ids.acme}`)).status, 404);
    assert.equal((await reg.call('GET', '/v3/role_assignments')).body.role_assignments.length, 0);
  });

  const SECOND_MAPPING = [
    { local: [{ user: { name: '{0}' } }], remote: [{ type: 'SSL_CLIENT_S_DN_CN' }] },
  ];
  async function writeRules() {
    writeFileSync(join(dir, 'second_mapping.json'), JSON.stringify(SECOND_MAPPING));
  }
});
