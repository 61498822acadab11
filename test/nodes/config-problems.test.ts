// Problems of the config itself (wrong key, missing rights, host unreachable, unusable settings) are
// logged by the config node, localized, once per kind, rate-limited; per-record failures are not.
// Read from the runtime log as the test helper records it, with the real message catalogs.

import assert from 'node:assert/strict';
import sinon from 'sinon';
import { startSandbox, type Sandbox } from '../../sandbox';
import configNode from '../../nodes/fullstory-config/fullstory-config';
import userNode from '../../nodes/fullstory-user/fullstory-user';
import eventNode from '../../nodes/fullstory-event/fullstory-event';
import { CONFIG_PROBLEM_LOG_INTERVAL_MS, configProblemOf } from '../../nodes/lib/api/config-problems';
import { FullStoryError } from '../../nodes/lib/api/errors';
import { ADMIN_KEY, collect, dataFlow, helper, inject, STANDARD_KEY, type FlowNode } from '../support/harness';
import { loadCatalogs, withRealText } from '../support/real-i18n';

interface LogEntry { level: number; id?: string; type?: string; msg?: unknown }
type Out = { error?: { code: string; status?: number; message: string } };

const ERROR_LEVEL = 20;
const WARN_LEVEL = 30;
const WRONG_KEY = 'na1.wrong-key-do-not-leak';

function nodesIn(lang: string) {
  return [
    withRealText(configNode as never, 'fullstory-config', lang),
    withRealText(userNode as never, 'fullstory-user', lang),
    withRealText(eventNode as never, 'fullstory-event', lang),
  ];
}

describe('config problems in the log (once per kind and config node, rate-limited)', function () {
  let sandbox: Sandbox;
  let clock: sinon.SinonFakeTimers | undefined;

  before(async function () {
    sandbox = await startSandbox();
    await loadCatalogs();
  });
  after(async function () {
    await sandbox.close();
  });
  beforeEach(function (done) {
    sandbox.reset();
    helper.startServer(done);
  });
  afterEach(async function () {
    clock?.restore();
    clock = undefined;
    await helper.unload();
    await new Promise<void>((r) => helper.stopServer(() => r()));
  });

  const load = (flow: FlowNode[], apiKey: string, lang = 'en-US') => helper.load(nodesIn(lang) as never, flow, { cfg: { apiKey } });
  const userFlow = (url: string, extra: Record<string, unknown> = {}, config: Record<string, unknown> = {}) =>
    dataFlow(url, { type: 'fullstory-user', operation: 'upsert', mode: 'single', ...extra }, config);
  /** Warnings and errors in the runtime log (every node's node.warn / node.error lands there). */
  const problems = (): LogEntry[] =>
    (helper.log() as sinon.SinonSpy).args
      .map((a) => a[0] as LogEntry)
      .filter((e) => e.id !== undefined && (e.level === ERROR_LEVEL || e.level === WARN_LEVEL));
  const configLines = () => problems().filter((e) => e.id === 'cfg').map((e) => String(e.msg));
  /** Sends msgs and waits until each has left; returns those that failed. */
  async function sendAll(msgs: Array<Record<string, unknown>>): Promise<Out[]> {
    const out = collect();
    for (const msg of msgs) inject(msg);
    await out.waitFor(msgs.length);
    return out.fail as Out[];
  }

  it('a wrong key: 5 msgs fail with 401, exactly one error line, from the config node, without the key', async function () {
    await load(userFlow(sandbox.url), WRONG_KEY);
    const failed = await sendAll([1, 2, 3, 4, 5].map((i) => ({ payload: { uid: `u${i}` } })));
    assert.deepEqual(failed.map((m) => m.error!.code), Array(5).fill('unauthorized'));
    assert.deepEqual(problems().map((e) => [e.id, e.level]), [['cfg', ERROR_LEVEL]], 'one line, from the config node, nothing from the data node');
    const [line] = configLines();
    assert.equal(line,
      `FullStory rejected the API key of this config node (HTTP 401 unauthorized from ${sandbox.url}): check the key and its region. Every request with it fails; the msgs leave on output 2. While this lasts, it is logged again after 10 minutes at the earliest.`);
    assert.ok(!line.includes('wrong-key-do-not-leak'));
  });

  it('a different code gets its own line: 403 (Standard key) and 401, one each, however many msgs', async function () {
    await load(userFlow(sandbox.url), STANDARD_KEY);
    const gets = await sendAll([1, 2, 3].map(() => ({ operation: 'get', payload: { id: '123' } })));
    assert.deepEqual(gets.map((m) => m.error!.code), ['forbidden', 'forbidden', 'forbidden']);
    // Upserts work with a Standard key; a success between failures does not bring the line back.
    assert.deepEqual(await sendAll([{ payload: { uid: 'fine' } }]), [], 'the upsert succeeded');
    await sendAll([{ operation: 'get', payload: { id: '123' } }]);
    sandbox.inject({ match: { method: 'POST', path: '/v2/users' }, times: 3, fault: { type: 'status', status: 401 } });
    await sendAll([1, 2, 3].map((i) => ({ payload: { uid: `x${i}` } })));
    const lines = configLines();
    assert.equal(lines.length, 2, lines.join('\n'));
    assert.match(lines[0], /^FullStory refused a request for lack of rights \(HTTP 403 forbidden from /);
    assert.match(lines[1], /^FullStory rejected the API key of this config node \(HTTP 401 unauthorized from /);
    assert.equal(problems().length, 2, 'nothing else logged');
  });

  it('a host that cannot be reached: one line with the connection error', async function () {
    // Port 1 on loopback: nothing listens, the connection is refused at once.
    await load(userFlow('http://127.0.0.1:1', {}, { maxAttempts: 1 }), ADMIN_KEY);
    const failed = await sendAll([1, 2, 3, 4].map((i) => ({ payload: { uid: `h${i}` } })));
    assert.deepEqual(failed.map((m) => m.error!.code), Array(4).fill('network_error'));
    assert.deepEqual(configLines(), [
      'FullStory at http://127.0.0.1:1 cannot be reached (ECONNREFUSED): check the network, a proxy or a firewall. Requests are retried, then the msgs leave on output 2; batch jobs keep polling until their job timeout. While this lasts, it is logged again after 10 minutes at the earliest.',
    ]);
    assert.equal(problems().length, 1);
  });

  it('per-record validation errors are not logged: they are on output 2 only', async function () {
    await load(userFlow(sandbox.url), ADMIN_KEY);
    const failed = await sendAll([
      { payload: 'not an object' },
      { payload: { uid: 'a', properties: { 'bad-name': 1 } } },
      { operation: 'merge', payload: { uid: 'b' } },
      { payload: { uid: 'c', email: 42 } },
      { payload: { uid: 'fine' } },
    ]);
    assert.equal(failed.length, 4);
    assert.deepEqual(problems(), []);
  });

  it('a batch node with a wrong key: one line for the job and its records', async function () {
    await load(dataFlow(sandbox.url, { type: 'fullstory-event', mode: 'batch', batchSize: 3, flushInterval: 60 }), WRONG_KEY);
    const failed = await sendAll([{ payload: [{ name: 'A' }, { name: 'B' }, { name: 'C' }] }, { payload: { name: 'D' }, flush: true }]);
    assert.equal(failed.length, 2);
    assert.deepEqual(configLines().map((l) => l.slice(0, 40)), ['FullStory rejected the API key of this c']);
  });

  it('rate limit: the same problem is logged again only 10 minutes after its last line (fake Date)', async function () {
    clock = sinon.useFakeTimers({ now: Date.now(), toFake: ['Date'] });
    await load(userFlow(sandbox.url), WRONG_KEY);
    await sendAll([{ payload: { uid: 'a' } }, { payload: { uid: 'b' } }]);
    assert.equal(configLines().length, 1);
    clock.tick(CONFIG_PROBLEM_LOG_INTERVAL_MS - 1000);
    await sendAll([{ payload: { uid: 'c' } }]);
    assert.equal(configLines().length, 1, 'not within 10 minutes');
    clock.tick(1000);
    await sendAll([{ payload: { uid: 'd' } }, { payload: { uid: 'e' } }]);
    assert.equal(configLines().length, 2, 'once more after 10 minutes');
  });

  it('settings that cannot work (insecure host) are logged once at deploy, in the runtime language (de)', async function () {
    await load(userFlow('http://example.com'), ADMIN_KEY, 'de');
    const failed = await sendAll([{ payload: { uid: 'a' } }, { payload: { uid: 'b' } }]);
    assert.deepEqual(failed.map((m) => m.error!.code), ['insecure_host', 'insecure_host']);
    const lines = configLines();
    assert.equal(lines.length, 1, lines.join('\n'));
    assert.match(lines[0], /^Diese FullStory-Konfigurations-Node ist nicht verwendbar: .*http:\/\/example\.com.*\. Jede Nachricht, die sie nutzt, geht mit dem Code insecure_host an Ausgang 2\.$/);
  });

  it('a key pasted into the host field is not quoted back in the line', async function () {
    const key = 'na1.pasted-into-the-host-field';
    await load(userFlow(key), key);
    const lines = configLines();
    assert.equal(lines.length, 1);
    assert.match(lines[0], /^This FullStory config node cannot be used: /);
    assert.ok(!lines[0].includes('pasted-into-the-host-field'), lines[0]);
  });

  it('no key at all: one line naming the missing environment variable', async function () {
    delete process.env.FS_MISSING_KEY;
    await load(userFlow(sandbox.url, {}, { apiKeyEnv: 'FS_MISSING_KEY' }), '');
    assert.deepEqual(configLines(), [
      'This FullStory config node cannot be used: The environment variable FS_MISSING_KEY is not set or empty. Every msg sent with it leaves on output 2 with code not_configured.',
    ]);
  });

  it('the 403 message says once which key is needed (the sandbox says it; FullStory\'s own text does not)', async function () {
    await load(userFlow(sandbox.url), STANDARD_KEY);
    const [sandboxSays] = await sendAll([{ operation: 'get', payload: { id: '123' } }]);
    assert.equal(sandboxSays.error!.message,
      'FullStory answered 403 forbidden: this API key may not read or delete user data; an Admin or Architect key is required');
    // FullStory's documented 403 body names no key type: then the hint says it, once.
    sandbox.inject({ match: { method: 'GET' }, fault: { type: 'status', status: 403, message: 'insufficient permissions' } });
    const [fullStorySays] = await sendAll([{ operation: 'get', payload: { id: '123' } }]);
    assert.equal(fullStorySays.error!.message,
      'FullStory answered 403 forbidden: insufficient permissions (this key may lack the permission: reading and deleting users needs an Admin or Architect key).');
  });

  it('what counts as a config problem (and what is a passing fault)', function () {
    const http = (status: number) => new FullStoryError('x', { code: 'c', status });
    const net = new FullStoryError('x', { code: 'network_error' });
    assert.equal(configProblemOf(http(401), undefined), 'unauthorized');
    assert.equal(configProblemOf(http(403), undefined), 'forbidden');
    for (const status of [400, 404, 408, 429, 500, 502, 503]) assert.equal(configProblemOf(http(status), undefined), undefined, String(status));
    assert.equal(configProblemOf(net, 'ENOTFOUND'), 'hostNotFound');
    assert.equal(configProblemOf(net, 'EAI_AGAIN'), 'hostNotFound');
    assert.equal(configProblemOf(net, 'ECONNREFUSED'), 'unreachable');
    assert.equal(configProblemOf(net, 'EHOSTUNREACH'), 'unreachable');
    for (const tls of ['CERT_HAS_EXPIRED', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'ERR_TLS_CERT_ALTNAME_INVALID', 'EPROTO']) {
      assert.equal(configProblemOf(net, tls), 'tls', tls);
    }
    for (const passing of ['ECONNRESET', 'ETIMEDOUT', 'ECONNABORTED', 'EPIPE', undefined]) assert.equal(configProblemOf(net, passing), undefined, String(passing));
  });
});
