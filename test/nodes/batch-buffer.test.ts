// Batch mode, the buffer side: what makes a job start (size, interval, msg.flush), msg.reset,
// control msgs, invalid records, the buffer bounds, the node status, and closing with records or
// jobs still held. Every test runs against the sandbox over real HTTP and checks that each msg
// leaves exactly once and that done() is called exactly once for it.

import assert from 'node:assert/strict';
import sinon from 'sinon';
import { drive, ioSettle, ioUntil } from '../support/io';
import type { Node } from 'node-red';
import { assertDoneOnce, assertEachOnce, send, type Out } from '../support/exits';
import { collect, dataFlow, helper, loadFlow, type Collected } from '../support/harness';
import { runtimeSettings, useSandboxSuite } from '../support/sandbox-suite';
import { countJournalSyncs } from '../support/journal-syncs';

// ---- done() bookkeeping: Node-RED runs the onComplete hook each time a node calls done(msg) ----

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('batch mode: buffer, flush triggers, reset, bounds, status, close (sandbox over HTTP)', function () {
  let clock: sinon.SinonFakeTimers | undefined;
  // Before the suite's hooks: fake timers are restored before the runtime is unloaded.
  afterEach(function () {
    clock?.restore();
    clock = undefined;
  });
  // Fast polling where the timing itself is not under test (the runtime setting is read at deploy).
  const env = useSandboxSuite({ pollIntervalMs: 20 });

  const userFlow = (extra: Record<string, unknown> = {}, config: Record<string, unknown> = {}) =>
    dataFlow(env.sandbox.url, { type: 'fullstory-user', operation: 'upsert', mode: 'batch', batchSize: 1000, flushInterval: 60, ...extra }, config);
  const fakeTime = () => {
    clock = sinon.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
    return clock;
  };
  const jobPosts = () => env.sandbox.requests.filter((r) => r.method === 'POST' && r.path === '/v2/users/batch');
  const jobUids = () => jobPosts().map((r) => (r.body as { requests: Array<{ uid: string }> }).requests.map((u) => u.uid));
  const byId = (out: Collected, id: string) => [...out.ok, ...out.fail].filter((m) => m._msgid === id) as Out[];
  const userIdOf = (uid: string) => [...env.sandbox.users.values()].find((u) => u.uid === uid)?.id;

  it('creates a job each time batchSize records are buffered; the rest waits for a flush', async function () {
    await loadFlow(userFlow({ batchSize: 3 }));
    const out = collect();
    const ids = Array.from({ length: 7 }, (_, i) => send({ payload: { uid: `s${i}`, properties: { n: i } } }));
    await out.waitFor(6);
    assert.deepEqual(jobUids(), [['s0', 's1', 's2'], ['s3', 's4', 's5']]);
    await sleep(100);
    assert.equal(out.ok.length + out.fail.length, 6, 'the 7th record waits in the buffer');
    // A control msg: no record (payload is not an object), just flush.
    const control = send({ payload: 'go', flush: true });
    await out.waitFor(8);
    assert.deepEqual(jobUids(), [['s0', 's1', 's2'], ['s3', 's4', 's5'], ['s6']]);
    assert.equal(out.fail.length, 0, JSON.stringify(out.fail.map((m) => (m as Out).error)));
    const controlOut = byId(out, control)[0];
    assert.deepEqual(controlOut.fullstory, { control: 'flush', records: 1 });
    assert.equal(controlOut.payload, 'go');
    assert.ok(out.ok.includes(controlOut), 'a control msg leaves on output 1');
    const jobIds = [...env.sandbox.jobs.keys()];
    assert.equal(jobIds.length, 3);
    ids.forEach((id, i) => {
      const msg = byId(out, id)[0];
      assert.deepEqual(msg.fullstory, { operation: 'upsert', mode: 'batch', jobId: jobIds[Math.floor(i / 3)], id: userIdOf(`s${i}`) });
      assert.equal(msg.error, undefined);
    });
    // Every job carried an Idempotency-Key of its own.
    const keys = jobPosts().map((r) => r.headers['idempotency-key']);
    assert.equal(new Set(keys).size, 3);
    for (const key of keys) assert.match(String(key), /^[0-9a-f-]{36}$/);
    assertEachOnce(out, [...ids, control]);
  });

  it('creates a job when the flush interval has passed since the first buffered record (fake timers)', async function () {
    await loadFlow(userFlow({ flushInterval: 5 }));
    const out = collect();
    const t = fakeTime();
    const first = [send({ payload: { uid: 'i1' } }), send({ payload: { uid: 'i2' } })];
    await t.tickAsync(4000);
    const third = send({ payload: { uid: 'i3' } });
    await t.tickAsync(999);
    await ioSettle();
    assert.equal(jobPosts().length, 0, 'no job before the interval');
    await t.tickAsync(1);
    await ioUntil(() => jobPosts().length === 1, 'job after 5 s');
    assert.deepEqual(jobUids(), [['i1', 'i2', 'i3']]);
    await drive(t, () => out.ok.length + out.fail.length === 3);
    assert.equal(out.ok.length, 3);
    // A new record starts a new interval of its own.
    const late = send({ payload: { uid: 'i4' } });
    await t.tickAsync(4999);
    await ioSettle();
    assert.equal(jobPosts().length, 1);
    await t.tickAsync(1);
    await ioUntil(() => jobPosts().length === 2, 'second job');
    await drive(t, () => out.ok.length + out.fail.length === 4);
    assert.deepEqual(jobUids(), [['i1', 'i2', 'i3'], ['i4']]);
    assertEachOnce(out, [...first, third, late]);
  });

  it('msg.flush on a record msg sends the buffer with that record at once; a flush of an empty buffer sends nothing', async function () {
    await loadFlow(userFlow());
    const out = collect();
    const empty = send({ flush: true });
    await out.waitFor(1);
    assert.deepEqual((out.ok[0] as Out).fullstory, { control: 'flush', records: 0 });
    const a = send({ payload: { uid: 'f1' } });
    const b = send({ payload: { uid: 'f2' }, flush: true });
    await out.waitFor(3);
    assert.deepEqual(jobUids(), [['f1', 'f2']]);
    assert.equal(out.ok.length, 3);
    // An empty bulk msg is not a job either.
    const none = send({ payload: [] });
    const flushAgain = send({ flush: true });
    await out.waitFor(5);
    assert.equal(jobPosts().length, 1, 'no empty job was ever created');
    assert.deepEqual(byId(out, none)[0].fullstory, { operation: 'upsert', mode: 'batch', records: 0, succeeded: 0, failed: 0, jobIds: [] });
    assert.ok(!env.sandbox.requests.some((r) => r.method === 'POST' && r.status === 400), 'the sandbox never refused a job');
    assertEachOnce(out, [empty, a, b, none, flushAgain]);
  });

  it('msg.reset empties the buffer: those msgs leave on output 2 with code reset; nothing is sent', async function () {
    await loadFlow(userFlow());
    const out = collect();
    const dropped = [send({ payload: { uid: 'r1' } }), send({ payload: { uid: 'r2' } }), send({ payload: [{ uid: 'r3' }, { uid: 'r4' }] })];
    const reset = send({ reset: true });
    await out.waitFor(4);
    assert.equal(jobPosts().length, 0);
    assert.equal(out.fail.length, 3);
    for (const id of dropped) {
      const [msg] = byId(out, id);
      assert.ok(out.fail.includes(msg));
      assert.equal(msg.error!.code, 'reset');
      assert.equal(msg.error!.retryable, true);
    }
    // The bulk msg: one msg on output 2 with every record, one error per record.
    const bulk = byId(out, dropped[2])[0];
    assert.deepEqual(bulk.payload, [{ uid: 'r3' }, { uid: 'r4' }]);
    assert.deepEqual(bulk.errors!.map((e) => [e.index, e.code]), [[0, 'reset'], [1, 'reset']]);
    assert.deepEqual(byId(out, reset)[0].fullstory, { control: 'reset', records: 4 }, 'records, not msgs');
    // reset on a record msg: what was buffered is dropped, the msg's own record is kept.
    const before = send({ payload: { uid: 'r5' } });
    const kept = send({ payload: { uid: 'r6' }, reset: true });
    await out.waitFor(5);
    assert.equal(byId(out, before)[0].error!.code, 'reset');
    const flush = send({ flush: true });
    await out.waitFor(7);
    assert.deepEqual(jobUids(), [['r6']]);
    assert.equal(byId(out, kept)[0].fullstory!.id, userIdOf('r6'));
    assert.deepEqual(byId(out, flush)[0].fullstory, { control: 'flush', records: 1 });
    assertEachOnce(out, [...dropped, reset, before, kept, flush]);
  });

  it('only upserts are buffered: get, update and delete go out at once as single requests', async function () {
    await loadFlow(userFlow());
    const out = collect();
    const first = send({ payload: { uid: 'op1' }, flush: true });
    await out.waitFor(1);
    const id = byId(out, first)[0].fullstory!.id as string;
    const buffered = send({ payload: { uid: 'op2' } });
    const get = send({ operation: 'get', payload: { id } });
    const update = send({ operation: 'update', payload: { id, display_name: 'Op' } });
    await out.waitFor(3);
    const remove = send({ operation: 'delete', payload: { uid: 'op1' } });
    await out.waitFor(4);
    assert.equal(out.fail.length, 0, JSON.stringify(out.fail.map((m) => (m as Out).error)));
    assert.deepEqual([get, update, remove].map((m) => [byId(out, m)[0].fullstory!.operation, byId(out, m)[0].fullstory!.mode]), [['get', 'single'], ['update', 'single'], ['delete', 'single']]);
    assert.equal((byId(out, get)[0].payload as { id: string }).id, id);
    assert.equal(jobPosts().length, 1, 'the buffered upsert is still waiting');
    const flush = send({ flush: true });
    await out.waitFor(6);
    assert.deepEqual(jobUids(), [['op1'], ['op2']]);
    assertEachOnce(out, [first, buffered, get, update, remove, flush]);
  });

  it('invalid records fail at once on output 2 and never reach a job', async function () {
    await loadFlow(userFlow());
    const out = collect();
    const bad = send({ payload: { uid: 'bad', properties: { 'plan-name': 'x' } } });
    const notObject = send({ payload: [42] });
    await out.waitFor(2);
    assert.equal(byId(out, bad)[0].error!.code, 'invalid_property_name');
    assert.equal(byId(out, notObject)[0].error!.code, 'invalid_payload');
    assert.equal(jobPosts().length, 0, 'failed before anything was sent');
    const good = send({ payload: { uid: 'good' } });
    const bulk = send({ payload: [{ uid: 'b0' }, { uid: 'b1', email: 42 }, { uid: 'b2' }], flush: true });
    await out.waitFor(5);
    assert.deepEqual(jobUids(), [['good', 'b0', 'b2']]);
    const [okPart, failPart] = [out.ok.find((m) => m._msgid === bulk) as Out, out.fail.find((m) => m._msgid === bulk) as Out];
    assert.deepEqual((okPart.payload as Array<{ uid: string }>).map((u) => u.uid), ['b0', 'b2']);
    assert.deepEqual(failPart.payload, [{ uid: 'b1', email: 42 }]);
    assert.deepEqual(failPart.errors!.map((e) => [e.index, e.code]), [[1, 'invalid_field']]);
    assertEachOnce(out, [bad, notObject, good], [bulk]);
  });

  it('a full buffer (maxBuffered) refuses msgs at once with buffer_full, all of a bulk msg or none', async function () {
    await loadFlow(userFlow({ maxBuffered: 3 }));
    const out = collect();
    const a = send({ payload: { uid: 'm1' } });
    const b = send({ payload: { uid: 'm2' } });
    const bulk = send({ payload: [{ uid: 'm3' }, { uid: 'm4' }] });
    await out.waitFor(1);
    const refused = byId(out, bulk)[0];
    assert.equal(refused.error!.code, 'buffer_full');
    assert.equal(refused.error!.retryable, true);
    assert.deepEqual(refused.payload, [{ uid: 'm3' }, { uid: 'm4' }], 'a refused bulk msg leaves whole');
    const c = send({ payload: { uid: 'm5' } });
    const d = send({ payload: { uid: 'm6' } });
    await out.waitFor(2);
    assert.equal(byId(out, d)[0].error!.code, 'buffer_full');
    const flush = send({ flush: true });
    await out.waitFor(6);
    assert.deepEqual(jobUids(), [['m1', 'm2', 'm5']]);
    assert.equal(out.ok.length, 4);
    // Room again once the records are in a job.
    const e = send({ payload: { uid: 'm7' }, flush: true });
    await out.waitFor(7);
    assert.ok(byId(out, e)[0].fullstory!.id);
    assertEachOnce(out, [a, b, bulk, c, d, flush, e]);
  });

  it("Node-RED's nodeMessageBufferMaxLength bounds the buffer too", async function () {
    runtimeSettings({ fullstory: { pollIntervalMs: 20 }, nodeMessageBufferMaxLength: 2 });
    await loadFlow(userFlow({ maxBuffered: 100 }));
    const out = collect();
    const ids = [send({ payload: { uid: 'n1' } }), send({ payload: { uid: 'n2' } }), send({ payload: { uid: 'n3' } })];
    await out.waitFor(1);
    assert.equal(byId(out, ids[2])[0].error!.code, 'buffer_full');
    const flush = send({ flush: true });
    await out.waitFor(4);
    assert.deepEqual(jobUids(), [['n1', 'n2']]);
    assertEachOnce(out, [...ids, flush]);
  });

  it('status: queued records, jobs in progress, last error, ok; debounced 500 ms (fake timers)', async function () {
    await loadFlow(userFlow({ jobTimeout: 5 }));
    const node = helper.getNode('n1') as Node & { status: sinon.SinonSpy };
    const statuses = () => node.status.getCalls().filter((c) => c.thisValue === node).map((c) => c.args[0] as { fill?: string; shape?: string; text?: string });
    const out = collect();
    const t = fakeTime();
    const syncs = countJournalSyncs();
    const ids = [send({ payload: { uid: 'st1' } }), send({ payload: { uid: 'st2' } })];
    // Queued means on disk: the records count once the journal's group commit has finished.
    await ioUntil(() => syncs.count >= 1, 'journal group commit');
    await t.tickAsync(499);
    assert.deepEqual(statuses(), [{}], 'only the clear of a new instance before the debounce');
    await t.tickAsync(1);
    assert.deepEqual(statuses(), [{}, { fill: 'blue', shape: 'dot', text: 'fullstory-user.status.queued' }]);
    // A job that never ends, and records queued behind it.
    env.sandbox.stuckJobs = true;
    ids.push(send({ flush: true }));
    await ioUntil(() => jobPosts().length === 1, 'job created');
    await ioSettle();
    const synced = syncs.count;
    ids.push(send({ payload: { uid: 'st3' } }));
    await ioUntil(() => syncs.count > synced, 'journal group commit');
    syncs.restore();
    await t.tickAsync(500);
    assert.deepEqual(statuses().at(-1), { fill: 'blue', shape: 'dot', text: 'fullstory-user.status.queuedAndJobs' });
    ids.push(send({ reset: true }));
    await t.tickAsync(500);
    assert.deepEqual(statuses().at(-1), { fill: 'red', shape: 'dot', text: 'fullstory-user.status.jobs' }, 'the reset record failed: red');
    // The job times out: its records fail, the last error shows.
    await drive(t, () => out.fail.length === 3, 100);
    await t.tickAsync(500);
    assert.deepEqual(statuses().at(-1), { fill: 'red', shape: 'ring', text: 'fullstory-user.status.error' });
    assert.deepEqual(out.fail.map((m) => (m as Out).error!.code).sort(), ['job_timeout', 'job_timeout', 'reset']);
    // Then a success.
    env.sandbox.stuckJobs = false;
    ids.push(send({ payload: { uid: 'st4' }, flush: true }));
    await drive(t, () => out.ok.length === 3, 20);
    await t.tickAsync(500);
    assert.deepEqual(statuses().at(-1), { fill: 'green', shape: 'dot', text: 'fullstory-user.status.ok' });
    // Debounced: far fewer updates than changes (every record, job and result is a change).
    assert.ok(statuses().length <= 8, `${statuses().length} status updates`);
    assertEachOnce(out, ids);
  });

  // With the journal on (the default), a restart or redeploy keeps what is left for the next
  // instance (batch-journal.test.ts); with it off, closing works as below.
  describe('closing with the journal off (redeploy / stop)', function () {
    const userFlow = (extra: Record<string, unknown> = {}, config: Record<string, unknown> = {}) =>
      dataFlow(env.sandbox.url, { type: 'fullstory-user', operation: 'upsert', mode: 'batch', batchSize: 1000, flushInterval: 60, ...extra }, { journal: false, ...config });

    /** node.warn texts of n1, also those logged while closing (the helper restores its spies before stopping). */
    function captureWarnings(nodeId = 'n1'): string[] {
      const warnings: string[] = [];
      const node = helper.getNode(nodeId) as Node & { warn: (text: unknown) => void };
      node.warn = (text: unknown) => void warnings.push(String(text));
      return warnings;
    }

    it('buffered records are sent as a final job, not dropped; done() is called for each held msg', async function () {
      await loadFlow(userFlow());
      const out = collect();
      const warnings = captureWarnings();
      const ids = [send({ payload: { uid: 'c1' } }), send({ payload: { uid: 'c2' } }), send({ payload: [{ uid: 'c3' }, { uid: 'c4' }] })];
      await sleep(50);
      assert.equal(jobPosts().length, 0);
      const started = performance.now();
      await helper.unload();
      assert.ok(performance.now() - started < 5000, 'closed well inside the close timeout');
      assert.deepEqual(jobUids(), [['c1', 'c2', 'c3', 'c4']]);
      const [jobId] = [...env.sandbox.jobs.keys()];
      assert.equal(env.sandbox.jobs.get(jobId)!.requestCount, 4);
      await sleep(60); // the sandbox works a job off 30 ms after creation
      assert.deepEqual([...env.sandbox.users.values()].map((u) => u.uid).sort(), ['c1', 'c2', 'c3', 'c4'], 'FullStory imported every record');
      assert.equal(out.ok.length + out.fail.length, 0, 'the flow is stopping: the msgs do not leave');
      assertDoneOnce(ids);
      assert.equal(warnings.length, 1, warnings.join('\n'));
      assert.ok(warnings[0].includes(jobId), 'the id of the final job is logged');
    });

    it('msgs that arrive while the node is closing are sent too, and released', async function () {
      await loadFlow(userFlow());
      const out = collect();
      const warnings = captureWarnings();
      const node = helper.getNode('n1') as Node;
      const early = send({ payload: { uid: 'e1' } });
      const unloading = helper.unload();
      // Node-RED removes a node's input handler only once its close has finished.
      const late = [send({ payload: { uid: 'l1' } }, node), send({ payload: [{ uid: 'l2' }, { uid: 'l3' }] }, node)];
      const started = performance.now();
      await unloading;
      assert.ok(performance.now() - started < 5000);
      assert.deepEqual(jobUids().flat().sort(), ['e1', 'l1', 'l2', 'l3']);
      assert.equal(out.ok.length + out.fail.length, 0);
      assertDoneOnce([early, ...late]);
      for (const jobId of env.sandbox.jobs.keys()) assert.ok(warnings.join('\n').includes(jobId), `job ${jobId} is logged`);
    });

    // The config node closes in the same stop as the data node: it must wait for the final job
    // instead of dropping the sockets under its first attempt (with maxAttempts 1 that would lose it).
    it('the final job does not depend on a retry: the config node waits for it (maxAttempts 1)', async function () {
      await loadFlow(userFlow({}, { maxAttempts: 1 }));
      collect();
      const warnings = captureWarnings();
      const ids = [send({ payload: { uid: 'a1' } }), send({ payload: { uid: 'a2' } })];
      await helper.unload();
      assert.deepEqual(warnings.filter((w) => /could not be created/.test(w)), [], 'final job created');
      assert.deepEqual(jobUids(), [['a1', 'a2']]);
      assertDoneOnce(ids);
    });

    it('jobs still polling and batches waiting for a job slot: created or logged with their ids, done() for every msg', async function () {
      // maxJobs 1: the first job polls forever; the second batch waits for the slot; one record stays buffered.
      await loadFlow(userFlow({ batchSize: 2 }, { maxJobs: 1 }));
      const out = collect();
      const warnings = captureWarnings();
      env.sandbox.stuckJobs = true;
      const ids = [1, 2, 3, 4, 5].map((i) => send({ payload: { uid: `p${i}` } }));
      await ioUntil(() => env.sandbox.requests.some((r) => r.method === 'GET'), 'first job polled');
      assert.deepEqual(jobUids(), [['p1', 'p2']], 'the second batch waits for the job slot');
      await helper.unload();
      assert.deepEqual(jobUids().flat().sort(), ['p1', 'p2', 'p3', 'p4', 'p5'], 'every record reached FullStory');
      assert.equal(jobPosts().length, 3);
      assert.equal(out.ok.length + out.fail.length, 0);
      assertDoneOnce(ids);
      assert.equal(warnings.length, 1, warnings.join('\n'));
      for (const jobId of env.sandbox.jobs.keys()) assert.ok(warnings[0].includes(jobId), `job ${jobId} is named in the warning`);
      const polls = env.sandbox.requests.filter((r) => r.method === 'GET').length;
      await sleep(100);
      assert.equal(env.sandbox.requests.filter((r) => r.method === 'GET').length, polls, 'polling stopped');
    });
  });
});
