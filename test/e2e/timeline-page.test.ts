import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { idpId, issuerDn } from '../../libs/x509/src';
import { TestPki } from '../support/pki';
import { ADMIN_TOKEN, startTestRegistry, type TestRegistry } from '../support/registry';
import { until } from '../support/wait';
import type { GrantInterval } from '../support/api-types';

const run = promisify(execFile);

function findChromium(): string | undefined {
  for (const name of ['chromium', 'chromium-browser', 'google-chrome']) {
    try {
      return execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim() || undefined;
    } catch {
      // not this one
    }
  }
  return undefined;
}

describe('the timeline page in a headless Chromium', () => {
  const chromium = findChromium();
  const pki = new TestPki();
  let reg: TestRegistry;
  let identity: string;

  before(async () => {
    if (!chromium) return;
    pki.ca('ca', '/O=Example/CN=Page CA');
    const dana = pki.pem(pki.client('dana', '/O=Example/CN=dana', 'ca'));
    reg = await startTestRegistry({ withWorker: true });
    const must = async (method: string, path: string, body?: unknown, headers?: Record<string, string>) => {
      const res = await reg.call(method, path, body, headers);
      assert.ok(res.status < 300, `${method} ${path}: ${res.status} ${JSON.stringify(res.body)}`);
      return res;
    };
    identity = (await must('POST', '/v1/audit/identities', { certificate: dana })).body.identity.id;
    await must('PUT', '/v1/tokenless', { trusted_issuer: [issuerDn(dana, 'apache')] });
    await must('PUT', `/v3/OS-FEDERATION/identity_providers/${idpId(dana, 'apache')}`, { identity_provider: { domain_id: 'default' } });
    await must('PUT', '/v3/OS-FEDERATION/mappings/m', {
      mapping: { rules: [{ local: [{ user: { name: '{0}', domain: { id: 'default' }, type: 'local' } }], remote: [{ type: 'SSL_CLIENT_S_DN_CN' }] }] },
    });
    await must('PUT', `/v3/OS-FEDERATION/identity_providers/${idpId(dana, 'apache')}/protocols/x509`, { protocol: { mapping_id: 'm' } });
    await must('POST', '/v3/projects', { project: { id: 'p-one', name: 'one', domain_id: 'default' } });
    await must('POST', '/v3/projects', { project: { id: 'p-two', name: 'two', domain_id: 'default' } });
    await must('POST', '/v3/roles', { role: { id: 'r-reader', name: 'reader' } });
    await must('POST', '/v3/users', { user: { id: 'u-dana', name: 'dana', domain_id: 'default' } });
    await must('PUT', '/v3/projects/p-one/users/u-dana/roles/r-reader', undefined, { 'X-Change-Reason': '<img src=x onerror=alert(1)>' });
    await must('PUT', '/v3/projects/p-two/users/u-dana/roles/r-reader');
    await must('DELETE', '/v3/projects/p-one/users/u-dana/roles/r-reader');
    const head = Number((await reg.registry.dataSource.query('SELECT max(position) AS p FROM events'))[0].p);
    await until(async () => (await reg.call('GET', `/v1/audit/grants?identity=${identity}`)).body.projected_through >= head, 20_000);
  });

  after(async () => {
    await reg?.stop();
  });

  test('draws a bar per interval and a mark per change, as the grants endpoint lists them', async (t) => {
    if (!chromium) {
      if (process.env.CI) assert.fail('chromium is required under CI (.ci/run installs it)');
      return t.skip('chromium is not installed');
    }
    const url = `${reg.url}/v1/audit/timeline?identity=${identity}#token=${ADMIN_TOKEN}`;
    const { stdout } = await run(
      chromium,
      ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--virtual-time-budget=10000', '--dump-dom', url],
      { maxBuffer: 10 * 1024 * 1024, timeout: 60_000 },
    );
    assert.match(stdout, /<body data-state="ready">/, stdout.slice(0, 2000));
    const grants = (await reg.call('GET', `/v1/audit/grants?identity=${identity}`)).body.intervals;
    const bars = [...stdout.matchAll(/<rect class="bar[^"]*"[^>]*data-from-position="(\d+)" data-to-position="(\d*)"/g)].map((m) => [
      Number(m[1]),
      m[2] === '' ? null : Number(m[2]),
    ]);
    assert.deepEqual(
      bars,
      grants.map((g: GrantInterval) => [g.opened_by.position, g.closed_by?.position ?? null]),
    );
    assert.equal(bars.length, 2);
    const marks = [...stdout.matchAll(/<line class="change"[^>]*data-position="(\d+)"/g)].map((m) => Number(m[1]));
    assert.deepEqual(marks.sort((a, b) => a - b), [...new Set(bars.flat().filter((p) => p !== null))].sort((a, b) => (a as number) - (b as number)));
    // The reason is shown as text, never parsed as markup.
    assert.ok(stdout.includes('&lt;img src=x onerror=alert(1)&gt;'));
    assert.ok(!stdout.includes('<img src=x'));
  });

  test('without a token the page says the request was refused', async (t) => {
    if (!chromium) return t.skip('chromium is not installed');
    const { stdout } = await run(
      chromium,
      ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--virtual-time-budget=10000', '--dump-dom', `${reg.url}/v1/audit/timeline?identity=${identity}`],
      { maxBuffer: 10 * 1024 * 1024, timeout: 60_000 },
    );
    assert.match(stdout, /<body data-state="error">/);
  });
});
