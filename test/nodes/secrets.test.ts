// The API key must never leave the runtime except in the Authorization header to the configured
// host. Across many scenarios (success, validation failures, 401, 403, 429 and 5xx exhausted,
// dropped connections, timeouts, malformed JSON, batch jobs, a server that echoes the key back,
// the admin endpoints, an insecure host) this collects everything a user, a log or the editor can
// see (output msgs, node status/log/warn/error calls, Node-RED log lines, console output, admin
// endpoint responses, the flow export, FullStoryError objects) and asserts the key is in none of it.

import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { inspect } from 'node:util';
import fc from 'fast-check';
import type { Node, NodeMessage } from 'node-red';
import { startSandbox, type Sandbox } from '../../sandbox';
import { FullStoryClient } from '../../nodes/lib/api/client';
import type { FullStoryConfigNode } from '../../nodes/fullstory-config/fullstory-config';
import { configFor, dataNode, helper, loadFlow, type FlowNode } from '../support/harness';
import { numRuns } from '../support/fc-runs';
import { bareKey, escapeModesArb, jsonEscaped, keyArb } from '../support/key-arbitraries';

const SECRET = 'na1.SECRET-abc123-do-not-leak';
const STANDARD_SECRET = 'na1.SECRET-std456-do-not-leak';
const WRONG_SECRET = 'eu1.SECRET-wrong789-do-not-leak';
const ENV_NAME = 'FS_SECRETS_TEST_KEY';
/** Each key, its part after the region prefix, and the distinctive fragments of both. */
const NEEDLES = [SECRET, STANDARD_SECRET, WRONG_SECRET, ...[SECRET, STANDARD_SECRET, WRONG_SECRET].map((k) => k.slice(4)), 'SECRET', 'do-not-leak'];

type Spy = { args: unknown[][] };
type HelperInternals = { log(): Spy; _redNodes: { getFlows(): unknown }; settings(s: Record<string, unknown>): unknown };
const internals = helper as unknown as HelperInternals;
type Out = NodeMessage & { error?: { code: string; message: string } };

/** A misbehaving server (say, a proxy) that echoes the Authorization header back in different ways. */
type EchoMode = 'message' | 'code' | 'bare' | 'html';

/**
 * A FullStory look-alike (a debug proxy, say) that answers every call with 200 and a body of the
 * right shape, with the request's Authorization value and the bare key echoed into ids' neighbours,
 * property values, property names, list pages, job results and job error messages, some of their
 * characters JSON-escaped as `modes` says.
 */
function echoingFullStory(modes: () => number[]): http.Server {
  const AUTH = '\u0001auth\u0001';
  const BARE = '\u0001bare\u0001';
  const answer = (method: string, path: string): unknown => {
    const created = new Date().toISOString();
    if (method === 'POST' && /\/batch$/.test(path)) return { job: { id: 'job1', status: 'PROCESSING', created, note: AUTH } };
    if (/\/batch\/job1$/.test(path)) return { job: { id: 'job1', status: 'FAILED', created, finished: created }, imports: 1, errors: 1 };
    if (/\/imports$/.test(path)) {
      return path.includes('/users/')
        ? { results: [{ id: 'u-1', uid: 'ok-1', properties: { h: AUTH, [BARE]: 1 } }], total_records: '1' }
        : { results: [{ name: 'ok-1', properties: { h: AUTH } }], total_records: '1' };
    }
    if (/\/errors$/.test(path)) {
      return path.includes('/users/')
        ? { results: [{ code: 'invalid_argument', message: `rejected ${AUTH} (${BARE})`, user: { uid: 'bad-1' } }], total_records: '1' }
        : { results: [{ code: 'invalid_argument', message: `rejected ${AUTH}`, event: { name: 'bad-1' } }], total_records: '1' };
    }
    if (method === 'POST' && path === '/v2/users') return { id: '42', echo: AUTH, [BARE]: BARE };
    if (method === 'GET' && path === '/v2/users') return { results: [{ id: '42', uid: 'u', properties: { [BARE]: AUTH } }], total_records: '1', app_url: `https://app.example/?k=${BARE}` };
    if (method === 'GET') return { id: '42', uid: 'u', is_being_deleted: false, properties: { auth: AUTH, [BARE]: BARE } };
    return { echo: { headers: { authorization: AUTH } } };
  };
  return http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const auth = String(req.headers.authorization ?? '');
      const inside = (text: string) => JSON.stringify(text).slice(1, -1);
      const text = JSON.stringify(answer(req.method ?? '', new URL(req.url ?? '/', 'http://x').pathname))
        .split(inside(AUTH)).join(jsonEscaped(auth, modes()))
        .split(inside(BARE)).join(jsonEscaped(bareKey(auth.replace(/^Basic /, '')), modes()));
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(text);
    });
  });
}

describe('secrets: the API key never leaks', function () {
  let sandbox: Sandbox;
  let echo: http.Server;
  let echoUrl: string;
  let echoMode: EchoMode = 'message';
  let echoFs: http.Server;
  let echoFsUrl: string;
  let echoModes: number[] = [0];
  const seen: Array<{ where: string; text: string }> = [];
  const outputs: Out[] = [];
  let restoreConsole: (() => void) | undefined;

  const record = (where: string, value: unknown): void => {
    let text: string;
    if (typeof value === 'string') text = value;
    else {
      try { text = `${JSON.stringify(value)}\n${inspect(value, { depth: 8, showHidden: true })}`; } catch { text = inspect(value, { depth: 8, showHidden: true }); }
    }
    seen.push({ where, text });
  };

  before(async function () {
    sandbox = await startSandbox({ adminKeys: [SECRET], standardKeys: [STANDARD_SECRET] });
    echo = http.createServer((req, res) => {
      const auth = String(req.headers.authorization ?? '');
      const key = auth.replace(/^Basic /, '');
      const json = (status: number, body: unknown) => { res.writeHead(status, { 'content-type': 'application/json' }); res.end(JSON.stringify(body)); };
      switch (echoMode) {
        case 'message': return json(400, { code: 'invalid_argument', message: `rejected header "Authorization: ${auth}"` });
        case 'code': return json(400, { code: key, message: 'unknown key' });
        case 'bare': return json(401, { code: 'unauthorized', message: `token ${key.slice(4)} is not valid` });
        case 'html': {
          // The key straddles the 200th character, where the client cuts a non-JSON body.
          res.writeHead(400, { 'content-type': 'text/html' });
          return res.end(`<html><body>${'x'.repeat(200 - '<html><body>Basic '.length - 15)}${auth}</body></html>`);
        }
      }
    });
    await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
    echoUrl = `http://127.0.0.1:${(echo.address() as AddressInfo).port}`;
    echoFs = echoingFullStory(() => echoModes);
    await new Promise<void>((resolve) => echoFs.listen(0, '127.0.0.1', resolve));
    echoFsUrl = `http://127.0.0.1:${(echoFs.address() as AddressInfo).port}`;
    internals.settings({ fullstory: { pollIntervalMs: 20 } });
  });

  after(async function () {
    internals.settings({});
    await sandbox.close();
    await new Promise<void>((resolve) => echo.close(() => resolve()));
    await new Promise<void>((resolve) => echoFs.close(() => resolve()));
  });

  beforeEach(function (done) {
    sandbox.reset();
    seen.length = 0;
    outputs.length = 0;
    echoMode = 'message';
    // Console output (Node-RED's console logger, stray console.log calls) is collected too.
    const stdout = process.stdout.write.bind(process.stdout);
    const stderr = process.stderr.write.bind(process.stderr);
    process.stdout.write = ((chunk: unknown, ...rest: unknown[]) => { record('stdout', String(chunk)); return (stdout as (...a: unknown[]) => boolean)(chunk, ...rest); }) as typeof process.stdout.write;
    process.stderr.write = ((chunk: unknown, ...rest: unknown[]) => { record('stderr', String(chunk)); return (stderr as (...a: unknown[]) => boolean)(chunk, ...rest); }) as typeof process.stderr.write;
    restoreConsole = () => { process.stdout.write = stdout as typeof process.stdout.write; process.stderr.write = stderr as typeof process.stderr.write; };
    helper.startServer(done);
  });

  afterEach(async function () {
    restoreConsole?.();
    restoreConsole = undefined;
    await helper.unload();
    await new Promise<void>((r) => helper.stopServer(() => r()));
    delete process.env[ENV_NAME];
  });

  /** User and event nodes, single and batch, all wired to `ok` / `fail`. */
  function flow(url: string, config: Record<string, unknown> = {}): FlowNode[] {
    const wires = [['ok'], ['fail']];
    return [
      { id: 'f1', type: 'tab', label: 'secrets' },
      configFor(url, { maxAttempts: 2, retryBudget: 1, timeout: 1, ...config }),
      dataNode({ id: 'user', z: 'f1', type: 'fullstory-user', operation: 'upsert', wires }),
      dataNode({ id: 'event', z: 'f1', type: 'fullstory-event', wires }),
      dataNode({ id: 'userBatch', z: 'f1', type: 'fullstory-user', operation: 'upsert', mode: 'batch', batchSize: 100, flushInterval: 60, wires }),
      dataNode({ id: 'eventBatch', z: 'f1', type: 'fullstory-event', mode: 'batch', batchSize: 100, flushInterval: 60, wires }),
      { id: 'ok', z: 'f1', type: 'helper' },
      { id: 'fail', z: 'f1', type: 'helper' },
    ];
  }

  async function load(url: string, key: string | null, config: Record<string, unknown> = {}): Promise<void> {
    await loadFlow(flow(url, config), key);
    for (const id of ['ok', 'fail']) {
      (helper.getNode(id) as Node).on('input', (msg: Out) => { outputs.push(msg); record(`output ${id}`, msg); });
    }
  }

  /** Sends msgs and waits until all of them have left. */
  async function run(nodeId: string, msgs: Array<Record<string, unknown>>, timeoutMs = 8000): Promise<Out[]> {
    const ids = msgs.map((m, i) => { const id = `${nodeId}-${i}-${Math.random().toString(36).slice(2)}`; m._msgid = id; return id; });
    for (const m of msgs) (helper.getNode(nodeId) as Node).receive(m as NodeMessage);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const got = ids.map((id) => outputs.find((o) => o._msgid === id));
      if (got.every(Boolean)) return got as Out[];
      if (Date.now() > deadline) throw new Error(`msgs did not leave ${nodeId} in time`);
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  /** A FullStoryError straight from the client: every property, the stack, and its msg form. */
  async function clientError(request: () => Promise<unknown>): Promise<{ code: string; status?: number }> {
    try {
      await request();
    } catch (err) {
      record('thrown error', err);
      record('thrown error stack', (err as Error).stack ?? '');
      record('thrown error msg form', (err as { toMsgError?: () => unknown }).toMsgError?.());
      return err as { code: string; status?: number };
    }
    assert.fail('the request should have failed');
  }

  const testConnection = async (body: Record<string, unknown>) => {
    const res = await helper.request().post('/fullstory/test-connection').send(body).expect(200);
    record('test-connection response', res.text);
    return res.body as { result: string; region: string; message: string; status?: number };
  };
  const regionOf = async (id: string) => {
    const res = await helper.request().get(`/fullstory/config/${id}/region`).expect(200);
    record('region response', res.text);
    return res.body as { region: string | null };
  };

  /** Gathers what the runtime exposed (spies are reset at unload) and checks it all. */
  function assertNothingLeaked(expectSomething = true, needles: readonly string[] = NEEDLES): void {
    const anyNode = helper.getNode('cfg') as unknown as Record<string, Spy>;
    for (const method of ['status', 'log', 'warn', 'error', 'debug', 'trace', 'send']) record(`node.${method}`, anyNode[method].args);
    record('Node-RED log', internals.log().args);
    record('flow export', internals._redNodes.getFlows());
    if (expectSomething) assert.ok(seen.some((s) => s.where.startsWith('output')), 'the scenario produced output');
    for (const { where, text } of seen) {
      for (const needle of needles) {
        assert.ok(!text.includes(needle), `${JSON.stringify(needle)} leaked into ${where}: ${text.slice(Math.max(0, text.indexOf(needle) - 120), text.indexOf(needle) + 60)}`);
      }
    }
  }

  it('success and validation failures, single and batch (job completed and job failed)', async function () {
    await load(sandbox.url, SECRET);
    const single = await run('user', [
      { payload: { uid: 'alice', email: 'a@example.com', properties: { plan: 'pro' } } },
      { operation: 'list', payload: { uid: 'alice' } },
      { payload: 'not an object' },
      { payload: { uid: 'x', properties: { 'bad-name': 1 } } },
      { operation: 'get', payload: { id: '..' } },
    ]);
    assert.deepEqual(single.map((m) => m.error?.code ?? 'ok'), ['ok', 'ok', 'invalid_payload', 'invalid_property_name', 'invalid_field']);
    const id = (single[0] as { fullstory?: { id?: string } }).fullstory!.id!;
    const more = await run('user', [{ operation: 'get', payload: { id } }, { operation: 'delete', payload: { id } }]);
    assert.deepEqual(more.map((m) => m.error?.code ?? 'ok'), ['ok', 'ok']);
    const events = await run('event', [{ payload: { name: 'Paid', user: { uid: 'alice' } } }, { payload: { name: 'Bad', timestamp: 'yesterday' } }]);
    assert.deepEqual(events.map((m) => m.error?.code ?? 'ok'), ['ok', 'invalid_timestamp']);

    sandbox.rejectRecord = (_resource, record) => ((record as { uid?: string }).uid === 'rejected' ? { code: 'invalid_argument', message: 'rejected on purpose' } : undefined);
    const [okJob] = await run('userBatch', [{ payload: [{ uid: 'b1' }, { uid: 'b2' }], flush: true }]);
    assert.equal(okJob.error, undefined, JSON.stringify(okJob.error));
    const [partly] = await run('userBatch', [{ payload: [{ uid: 'b3' }, { uid: 'rejected' }], flush: true }]);
    // A bulk msg with a failed record leaves twice: the successes on output 1, the rest on output 2.
    for (let i = 0; i < 200 && !outputs.some((o) => o._msgid === partly._msgid && o.error); i++) await new Promise((r) => setTimeout(r, 5));
    const failedCopy = outputs.find((o) => o._msgid === partly._msgid && o.error);
    assert.equal(failedCopy?.error?.code, 'invalid_argument', inspect(outputs, { depth: 4 }));
    const [eventJob] = await run('eventBatch', [{ payload: [{ name: 'E1' }, { name: 'E2' }], flush: true }]);
    assert.equal(eventJob.error, undefined);
    assert.equal(sandbox.requests.at(-1)!.headers.authorization, `Basic ${SECRET}`, 'the key does reach FullStory, in the header');
    assertNothingLeaked();
  });

  it('401 (wrong key), single and batch; 403 (Standard key)', async function () {
    await load(sandbox.url, WRONG_SECRET);
    const outs = await run('user', [{ payload: { uid: 'x' } }]);
    assert.equal(outs[0].error!.code, 'unauthorized');
    assert.match(outs[0].error!.message, /check the API key/);
    assert.equal((await run('event', [{ payload: { name: 'E' } }]))[0].error!.code, 'unauthorized');
    const [job] = await run('eventBatch', [{ payload: [{ name: 'E' }], flush: true }]);
    assert.equal(job.error!.code, 'unauthorized');
    const client = (helper.getNode('cfg') as unknown as FullStoryConfigNode).client();
    assert.equal((await clientError(() => client.request({ method: 'POST', path: '/v2/users', body: { uid: 'x' } }))).status, 401);
    assert.equal((await regionOf('cfg')).region, 'eu1');
    assertNothingLeaked();
    await helper.unload();
    seen.length = 0;

    await load(sandbox.url, STANDARD_SECRET);
    const [forbidden] = await run('user', [{ operation: 'get', payload: { id: '1' } }]);
    assert.equal(forbidden.error!.code, 'forbidden');
    assert.equal((await testConnection({ id: 'cfg', apiKey: '__PWRD__', baseUrl: sandbox.url })).result, 'write_only');
    assertNothingLeaked();
  });

  it('429 and 5xx exhausted, dropped connections, timeouts, malformed JSON', async function () {
    await load(sandbox.url, SECRET);
    const cases: Array<[string, Parameters<Sandbox['inject']>[0]['fault'], string]> = [
      ['429', { type: 'status', status: 429, retryAfter: 0 }, 'too_many_requests'],
      ['503', { type: 'status', status: 503 }, 'service_unavailable'],
      ['drop', { type: 'drop' }, 'network_error'],
      ['timeout', { type: 'delay', ms: 1500 }, 'timeout'],
      ['malformed', { type: 'malformed' }, 'invalid_response'],
    ];
    for (const [label, fault, code] of cases) {
      sandbox.clearFaults();
      sandbox.inject({ match: { path: '/v2/' }, times: Infinity, fault });
      const [single, event] = await Promise.all([run('user', [{ payload: { uid: `f-${label}` } }]), run('event', [{ payload: { name: label } }])]);
      for (const out of [...single, ...event]) assert.equal(out.error?.code, code, `${label}: ${JSON.stringify(out.error)}`);
    }
    sandbox.inject({ match: { path: '/v2/' }, times: Infinity, fault: { type: 'status', status: 503 } });
    const [job] = await run('eventBatch', [{ payload: [{ name: 'J' }], flush: true }]);
    assert.ok(job.error, 'the batch job could not be created');
    const client = (helper.getNode('cfg') as unknown as FullStoryConfigNode).client();
    await clientError(() => client.request({ method: 'GET', path: '/v2/users' }));
    assertNothingLeaked();
  });

  it('a server that echoes the key back (message, code, without the region prefix, cut HTML)', async function () {
    await load(echoUrl, SECRET);
    const expected: Record<EchoMode, RegExp> = { message: /\[redacted\]/, code: /\[redacted\]|http_400/, bare: /\[redacted\]/, html: /x{20}/ };
    for (const mode of ['message', 'code', 'bare', 'html'] as const) {
      echoMode = mode;
      const [out] = await run('user', [{ payload: { uid: `echo-${mode}` } }]);
      assert.ok(out.error, mode);
      assert.match(out.error.message, expected[mode], `${mode}: ${out.error.message}`);
      const client = (helper.getNode('cfg') as unknown as FullStoryConfigNode).client();
      await clientError(() => client.request({ method: 'POST', path: '/v2/events', body: { name: 'E' } }));
      // A typed key in Test connection goes where the user says, and the answer is redacted too.
      const typed = await testConnection({ id: 'cfg', apiKey: SECRET, baseUrl: echoUrl });
      assert.notEqual(typed.result, 'read_write');
    }
    assertNothingLeaked();
  });

  it('generated keys echoed into 200 answers of every call (single, get/list, batch jobs) reach no msg, status or log', async function () {
    // Each case deploys a flow and makes eight calls: about 100 times a pure check's cost.
    const runs = numRuns(4, 100);
    this.timeout(Math.max(20_000, runs * 5_000));
    await fc.assert(
      fc.asyncProperty(keyArb, escapeModesArb, async (key, modes) => {
        echoModes = modes;
        seen.length = 0;
        outputs.length = 0;
        await load(echoFsUrl, key);
        try {
          const users = await run('user', [
            { payload: { uid: 'u', email: 'a@example.com' } },
            { operation: 'get', payload: { id: '42' } },
            { operation: 'list', payload: { uid: 'u' } },
            { operation: 'delete', payload: { id: '42' } },
          ]);
          assert.deepEqual(users.map((m) => m.error?.code ?? 'ok'), ['ok', 'ok', 'ok', 'ok'], inspect(users.map((m) => m.error)));
          await run('event', [{ payload: { name: 'E' } }]);
          await run('userBatch', [{ payload: [{ uid: 'ok-1' }, { uid: 'bad-1' }], flush: true }]);
          await run('eventBatch', [{ payload: [{ name: 'ok-1' }, { name: 'bad-1' }], flush: true }]);
          assert.ok(outputs.some((o) => /rejected Basic \[redacted\]/.test(JSON.stringify(o))), `a job error message came through, redacted: ${JSON.stringify(outputs.map((o) => o.error))}`);
          assertNothingLeaked(true, [key, bareKey(key)]);
        } finally {
          await helper.unload();
        }
      }),
      { numRuns: runs },
    );
  });

  it('admin endpoints: stored key, typed key, environment key, region', async function () {
    await load(sandbox.url, SECRET);
    assert.equal((await testConnection({ id: 'cfg', apiKey: '__PWRD__', baseUrl: sandbox.url })).result, 'read_write', 'stored key, deployed host');
    assert.equal((await testConnection({ id: 'cfg', apiKey: SECRET, baseUrl: sandbox.url })).result, 'read_write', 'typed key');
    assert.equal((await testConnection({ id: 'cfg', apiKey: WRONG_SECRET, baseUrl: sandbox.url })).result, 'rejected', 'typed wrong key');
    const insecure = await testConnection({ id: 'cfg', apiKey: '__PWRD__', baseUrl: 'http://example.com' });
    assert.equal(insecure.result, 'invalid');
    assert.match(insecure.message, /https/);

    // The stored key (or an environment variable's value) must not be sent to a host the caller picks.
    const before = { echo: 0 };
    echo.on('request', () => before.echo++);
    const redirected = await testConnection({ id: 'cfg', apiKey: '__PWRD__', baseUrl: echoUrl });
    assert.equal(redirected.result, 'invalid');
    assert.match(redirected.message, /type the key/i);
    process.env[ENV_NAME] = SECRET;
    const fromEnv = await testConnection({ id: 'nope', apiKeyEnv: ENV_NAME, baseUrl: echoUrl });
    assert.equal(fromEnv.result, 'invalid');
    assert.equal(before.echo, 0, 'nothing was sent to the other host');
    assert.equal((await testConnection({ id: 'nope', apiKeyEnv: ENV_NAME, baseUrl: sandbox.url })).result, 'invalid', 'not the deployed host of an unknown node either');

    assert.deepEqual(await regionOf('cfg'), { region: 'na1' });
    assert.deepEqual(await regionOf('unknown'), { region: null });
    // A msg so that the output check has something to look at.
    await run('user', [{ payload: { uid: 'admin' } }]);
    assertNothingLeaked();
  });

  it('an insecure host (http:// not loopback) is refused with insecure_host', async function () {
    await load('http://example.com', SECRET);
    const node = helper.getNode('cfg') as unknown as FullStoryConfigNode;
    assert.throws(() => node.client(), (e: { code?: string }) => e.code === 'insecure_host');
    const outs = await run('user', [{ payload: { uid: 'x' } }]);
    assert.equal(outs[0].error!.code, 'insecure_host');
    assert.equal((await run('event', [{ payload: { name: 'E' } }]))[0].error!.code, 'insecure_host');
    // Logged once by the config node (the test helper's RED._ gives the catalog key).
    const logged = (node as unknown as Record<string, Spy>).error.args.flat().map(String);
    assert.deepEqual(logged, ['fullstory-config.log.unusable'], JSON.stringify(logged));
    assertNothingLeaked();
  });

  it('a key pasted into the host field is not echoed in warnings or msgs', async function () {
    await load(SECRET, SECRET);
    const [out] = await run('user', [{ payload: { uid: 'x' } }]);
    assert.equal(out.error!.code, 'insecure_host');
    // The host field is a plain (exported) setting, so the flow itself holds it: leave the export out here.
    const flows = JSON.stringify(internals._redNodes.getFlows());
    assert.ok(flows.includes(SECRET));
    const anyNode = helper.getNode('cfg') as unknown as Record<string, Spy>;
    for (const method of ['status', 'log', 'warn', 'error']) record(`node.${method}`, anyNode[method].args);
    record('Node-RED log', internals.log().args);
    for (const { where, text } of seen) assert.ok(!text.includes('do-not-leak'), `leaked into ${where}`);
  });

  it('TLS verification is on, and no proxy or redirect can take the header elsewhere', function () {
    const client = new FullStoryClient({
      apiKey: SECRET, baseUrl: 'https://api.fullstory.com', timeoutMs: 1000,
      retry: { maxAttempts: 1, budgetMs: 1000, baseDelayMs: 1, maxDelayMs: 1 }, maxConcurrency: 1, maxJobs: 1, requestsPerSecond: 0,
    });
    try {
      const internalsOf = client as unknown as { http: { defaults: { httpsAgent: { options: { rejectUnauthorized?: boolean } }; proxy: unknown; maxRedirects: number } } };
      assert.equal(internalsOf.http.defaults.httpsAgent.options.rejectUnauthorized, true);
      assert.equal(internalsOf.http.defaults.proxy, false);
      assert.equal(internalsOf.http.defaults.maxRedirects, 0);
      assert.equal(process.env.NODE_TLS_REJECT_UNAUTHORIZED, undefined, 'nobody turned verification off for the whole process');
    } finally {
      client.destroy();
    }
  });
});
