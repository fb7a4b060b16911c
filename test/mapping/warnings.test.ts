import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { compileMapping, mappingWarnings, placeholderErrors } from '../../libs/domain/src/mapping';
import { readCases } from './case-files';

const DOC_LOCAL_MAPPING = [
  {
    local: [{ user: { name: '{0}', domain: { name: '{1}' }, type: 'local' } }],
    remote: [
      { type: 'SSL_CLIENT_S_DN_CN', whitelist: ['glance', 'nova', 'swift', 'neutron'] },
      { type: 'SSL_CLIENT_S_DN_O', whitelist: ['Default'] },
    ],
  },
];

describe('mapping warnings', () => {
  test('whitelist: rule still applies when every value is filtered out', () => {
    const warnings = mappingWarnings(DOC_LOCAL_MAPPING);
    const gate = warnings.filter((w) => w.code === 'whitelist_does_not_gate');
    assert.equal(gate.length, 2);
    for (const warning of gate) {
      assert.equal(warning.rule, 0);
      assert.match(warning.message, /whitelist/);
      assert.match(warning.message, /still applies/);
      assert.match(warning.message, /filtered_values_gate_rule/);
    }
  });

  test('blacklist warning names the blacklist', () => {
    const warnings = mappingWarnings([
      { local: [{ user: { name: '{0}' } }], remote: [{ type: 'CN', blacklist: ['root'] }] },
    ]);
    const gate = warnings.filter((w) => w.code === 'blacklist_does_not_gate');
    assert.equal(gate.length, 1);
    assert.match(gate[0]?.message ?? '', /blacklist/);
    assert.match(gate[0]?.message ?? '', /filtered_values_gate_rule/);
  });

  test('no warnings for a plain mapping', () => {
    const rules = [
      {
        local: [{ user: { name: '{0}', type: 'local', domain: { name: 'Default' } } }],
        remote: [{ type: 'SSL_CLIENT_S_DN_CN' }, { type: 'SSL_CLIENT_S_DN_OU', any_one_of: ['keystone'] }],
      },
    ];
    assert.deepEqual(mappingWarnings(rules), []);
    assert.deepEqual(placeholderErrors(rules), []);
  });

  test('BR-13: placeholder indices skip conditioned remote entries', () => {
    const [report] = readCases<{ input: Record<string, { rules: unknown[] }>; expected: Record<string, unknown> }>(
      'reports',
      (name) => name.startsWith('BR-13-'),
    );
    assert.ok(report);
    const { input, expected } = report.data;
    const index1 = input.mapping_index_1?.rules ?? [];
    const codes = mappingWarnings(index1).map((w) => w.code);
    assert.ok(codes.includes('placeholder_index_skips_conditions'));
    assert.ok(codes.includes('placeholder_out_of_range'));
    const errors = placeholderErrors(index1);
    assert.equal(errors.length, 1);
    const wanted = String(expected.registry_on_write_of_mapping_index_1).replace(/^rejected: /, '');
    assert.ok(errors[0]?.includes(wanted), errors[0]);

    const index0 = input.mapping_index_0?.rules ?? [];
    assert.deepEqual(placeholderErrors(index0), []);
    assert.ok(mappingWarnings(index0).some((w) => w.code === 'placeholder_index_skips_conditions'));

    const between = input.mapping_not_any_of_between?.rules ?? [];
    assert.deepEqual(placeholderErrors(between), []);
    assert.ok(mappingWarnings(between).some((w) => w.code === 'placeholder_index_skips_conditions'));
  });

  test('format errors and request-header attributes are reported', () => {
    const codes = mappingWarnings([
      { local: [{ user: { name: 'a{b' } }], remote: [{ type: 'CN' }] },
      { local: [{ user: { name: '{name}' } }], remote: [{ type: 'HTTP_X_USER' }] },
    ]).map((w) => `${w.rule}:${w.code}`);
    assert.deepEqual(codes.sort(), ['0:format_error', '1:format_error', '1:request_header_attribute']);
  });
});

describe('filteredValuesGateRule option', () => {
  const WHITELIST_GROUPS = [
    {
      local: [{ user: { name: 'svc' } }, { groups: '{0}', domain: { id: 'default' } }],
      remote: [{ type: 'TEAMS', whitelist: ['dev', 'ops'] }],
    },
  ];

  test('default (Keystone): the rule applies with an empty list', () => {
    const result = compileMapping(WHITELIST_GROUPS).evaluate({ TEAMS: 'sales' });
    assert.deepEqual(result.user, { name: 'svc', type: 'ephemeral' });
    assert.deepEqual(result.group_names, []);
  });

  test('opt-in: a rule whose whitelist removed every value does not apply', () => {
    const mapping = compileMapping(WHITELIST_GROUPS, { filteredValuesGateRule: true });
    assert.throws(() => mapping.evaluate({ TEAMS: 'sales' }), { reason: 'no_matching_rule', status: 400 });
    const result = mapping.evaluate({ TEAMS: 'sales;ops' });
    assert.deepEqual(result.group_names, [{ name: 'ops', domain: { id: 'default' } }]);
  });

  test('opt-in: the document mapping no longer maps an unlisted organisation to domain "[]"', () => {
    const assertion = { SSL_CLIENT_S_DN_CN: 'nova', SSL_CLIENT_S_DN_O: 'nice-network' };
    assert.deepEqual(compileMapping(DOC_LOCAL_MAPPING).evaluate(assertion).user, {
      name: 'nova',
      domain: { name: '[]' },
      type: 'local',
    });
    assert.throws(
      () => compileMapping(DOC_LOCAL_MAPPING, { filteredValuesGateRule: true }).evaluate(assertion),
      { reason: 'no_matching_rule' },
    );
  });

  test('opt-in: blacklist removing everything', () => {
    const rules = [{ local: [{ user: { name: '{0}' } }], remote: [{ type: 'TEAMS', blacklist: ['admins'] }] }];
    assert.equal(compileMapping(rules).evaluate({ TEAMS: 'admins' }).user.name, '[]');
    assert.throws(() => compileMapping(rules, { filteredValuesGateRule: true }).evaluate({ TEAMS: 'admins' }), {
      reason: 'no_matching_rule',
    });
  });
});
