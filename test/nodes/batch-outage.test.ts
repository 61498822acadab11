// Batch mode while FullStory cannot be reached: the status says so at the first failed attempt,
// clears when FullStory answers again, and the msgs of a job that cannot be read leave at the job
// timeout (not a retry budget later). And a bulk msg's summary error: retryable only if resending
// everything it covers is safe. Sandbox over real HTTP; fake timers where time is measured.

import assert from 'node:assert/strict';
import sinon from 'sinon';
import type { Node, NodeStatus } from 'node-red';
import { startSandbox, type Sandbox } from '../../sandbox';
import configNode from '../../nodes/fullstory-config/fullstory-config';
import userNode from '../../nodes/fullstory-user/fullstory-user';
import eventNode from '../../nodes/fullstory-event/fullstory-event';
import { assertEachOnce, send, trackDone, untrackDone, type Out } from '../support/exits';
import { ADMIN_KEY, collect, dataFlow, helper, type FlowNode } from '../support/harness';
import { useSandboxSuite } from '../support/sandbox-suite';
import { drive, ioUntil } from '../support/io';
import { loadCatalogs, withRealText } from '../support/real-i18n';

const NODES_WITH_TEXT = [
  withRealText(configNode as never, 'fullstory-config'),
  withRealText(userNode as never, 'fullstory-user'),
  withRealText(eventNode as never, 'fullstory-event'),
];
const DEFAULT_JOB_TIMEOUT_MS = 600_000;

describe('batch mode while FullStory is unreachable', function () {
  let sandbox: Sandbox;
  let clock: sinon.SinonFakeTimers | undefined;

  before(async function () {
    sandbox = await startSandbox();
    await loadCatalogs();
  });
  after(async function () {
    helper.settings({});
    await sandbox.close();
  });
  beforeEach(function (done) {
    sandbox.reset();
    helper.settings({});
    trackDone();
    helper.startServer(done);
  });
  afterEach(async function () {
    clock?.restore();
    clock = undefined;
    sandbox.clearFaults();
    await helper.unload();
    untrackDone();
    await new Promise<void>((r) => helper.stopServer(() => r()));
  });

  const fakeTime = () => (clock = sinon.useFakeTimers({ now: Date.now(), toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] }));
  const load = (flow: FlowNode[]) => helper.load(NODES_WITH_TEXT as never, flow, { cfg: { apiKey: ADMIN_KEY } });
  /** The config node's defaults (5 attempts within 30 s), as a user's flow has them. */
  const defaultsConfig = { timeout: 10, maxAttempts: 5, retryBudget: 30 };
  const statuses = (): NodeStatus[] => {
    const node = helper.getNode('n1') as Node & { status: sinon.SinonSpy };
    return node.status.getCalls().filter((c) => c.thisValue === node).map((c) => c.args[0] as NodeStatus);
  };
  const droppedGets = () => sandbox.requests.filter((r) => r.method === 'GET' && r.status === 0).length;
  const UNREACHABLE = { fill: 'yellow', shape: 'ring', text: 'FullStory unreachable (network_error), retrying' };

  it('polls fail: the status shows it at the first failed attempt; msgs leave with job_timeout right at the job timeout (default 600 s)', async function () {
    const t = fakeTime();
    await load(dataFlow(sandbox.url, { type: 'fullstory-user', operation: 'upsert', mode: 'batch', batchSize: 2, flushInterval: 60, jobTimeout: 600 }, defaultsConfig));
    const left: number[] = [];
    const out = collect();
    (helper.getNode('fail') as Node).on('input', () => void left.push(Date.now()));
    // The sandbox is gone for everything but the job creation: every poll's connection drops.
    sandbox.inject({ match: { method: 'GET' }, times: Infinity, fault: { type: 'drop' } });
    const bulk = send({ payload: [{ uid: 'o1' }, { uid: 'o2' }] });
    await ioUntil(() => sandbox.jobs.size === 1, 'job created');
    const createdAt = Date.now();
    await drive(t, () => droppedGets() >= 1, 100);
    // No fake time has passed since that attempt failed (a debounced update would need 500 ms).
    await ioUntil(() => statuses().some((s) => s.fill === 'yellow'), 'unreachable shown');
    assert.deepEqual(statuses().at(-1), UNREACHABLE);
    assert.ok(Date.now() - createdAt < DEFAULT_JOB_TIMEOUT_MS / 100, 'shown within seconds of the job creation');

    await drive(t, () => out.fail.length === 1, 500, 700_000);
    const latency = left[0] - createdAt;
    // The job may still complete at FullStory, so its records wait for the job timeout; reading
    // the job never runs past that deadline (500 ms: the step of the fake clock).
    assert.ok(latency >= DEFAULT_JOB_TIMEOUT_MS && latency <= DEFAULT_JOB_TIMEOUT_MS + 500, `left ${latency} ms after the job was created`);
    const failed = out.fail[0] as Out;
    assert.deepEqual(failed.errors!.map((e) => [e.code, e.retryable]), [['job_timeout', false], ['job_timeout', false]]);
    assert.equal(failed.error!.code, 'job_timeout', 'the summary has the code all its records share');
    assert.equal(failed.error!.retryable, false);
    await t.tickAsync(500);
    assert.deepEqual(statuses().at(-1), { fill: 'red', shape: 'ring', text: 'error: job_timeout' }, 'no job left: the outage is no longer shown');
    assertEachOnce(out, [bulk]);
  });

  it('a poll that starts just before the deadline does not run past it with its own retries', async function () {
    // Backoff without jitter, so the polls keep a known schedule: a poll starts at 56.4 s (after
    // waits of 2, 3, 4.5, 6.75 and 10.1 s, each poll retrying for 7.5 s within its 30 s budget).
    sinon.stub(Math, 'random').returns(0.999999);
    try {
      const t = fakeTime();
      await load(dataFlow(sandbox.url, { type: 'fullstory-event', mode: 'batch', batchSize: 1, flushInterval: 60, jobTimeout: 57 }, defaultsConfig));
      const left: number[] = [];
      const out = collect();
      (helper.getNode('fail') as Node).on('input', () => void left.push(Date.now()));
      sandbox.inject({ match: { method: 'GET' }, times: Infinity, fault: { type: 'drop' } });
      const id = send({ payload: { name: 'E' } });
      await ioUntil(() => sandbox.jobs.size === 1, 'job created');
      const createdAt = Date.now();
      await drive(t, () => out.fail.length === 1, 100);
      // Without the bound the poll begun at 56.4 s would retry until 63.9 s.
      assert.ok(left[0] - createdAt <= 57_100, `left ${left[0] - createdAt} ms after the job was created`);
      assert.equal((out.fail[0] as Out).error!.code, 'job_timeout');
      assertEachOnce(out, [id]);
    } finally {
      (Math.random as sinon.SinonStub).restore();
    }
  });

  it('single mode too: the ring shows while the client retries, the error code once the msg has failed', async function () {
    const t = fakeTime();
    // Port 1 on loopback: every connection is refused at once.
    await load(dataFlow('http://127.0.0.1:1', { type: 'fullstory-user', operation: 'upsert', mode: 'single' }, { maxAttempts: 3 }));
    const out = collect();
    const id = send({ payload: { uid: 's1' } });
    // The first attempt failed; the retry waits for (fake) time that does not pass.
    await ioUntil(() => statuses().some((s) => s.fill === 'yellow'), 'unreachable shown');
    assert.deepEqual(statuses().at(-1), UNREACHABLE);
    assert.equal(out.fail.length, 0, 'still retrying');
    await drive(t, () => out.fail.length === 1, 100);
    await t.tickAsync(500);
    assert.deepEqual(statuses().at(-1), { fill: 'red', shape: 'ring', text: 'error: network_error' });
    assertEachOnce(out, [id]);
  });

  it('the unreachable status clears when a poll gets an answer again', async function () {
    const t = fakeTime();
    await load(dataFlow(sandbox.url, { type: 'fullstory-user', operation: 'upsert', mode: 'batch', batchSize: 1, flushInterval: 60 }, { maxAttempts: 1 }));
    const out = collect();
    sandbox.stuckJobs = true;
    sandbox.inject({ match: { method: 'GET' }, times: 3, fault: { type: 'drop' } });
    send({ payload: { uid: 'c1' } });
    await ioUntil(() => sandbox.jobs.size === 1, 'job created');
    await drive(t, () => droppedGets() >= 1, 100);
    await ioUntil(() => statuses().some((s) => s.fill === 'yellow'), 'unreachable shown');
    // Three polls fail, the fourth gets PROCESSING: the status goes back to the job count.
    await drive(t, () => sandbox.requests.some((r) => r.method === 'GET' && r.status === 200), 100);
    await t.tickAsync(500);
    assert.deepEqual(statuses().at(-1), { fill: 'blue', shape: 'dot', text: '1 job in progress' });
    assert.equal(out.ok.length + out.fail.length, 0, 'the job is still in progress (a stuck job: it is released at unload)');
  });
});

describe('the summary msg.error of a partly failed bulk msg', function () {
  const env = useSandboxSuite();

  const load = (flow: FlowNode[]) => helper.load(NODES_WITH_TEXT as never, flow, { cfg: { apiKey: ADMIN_KEY } });
  const batchFlow = () => dataFlow(env.sandbox.url, { type: 'fullstory-user', operation: 'upsert', mode: 'batch', batchSize: 1000, flushInterval: 60 }, { maxAttempts: 1 });
  const refuseJobs = () => env.sandbox.inject({ match: { method: 'POST', path: '/v2/users/batch' }, times: Infinity, fault: { type: 'status', status: 503 } });

  it('records that may be resent and records that may not: partial_failure, not retryable (was: retryable)', async function () {
    await load(batchFlow());
    const out = collect();
    refuseJobs();
    const bulk = send({ payload: [{ uid: 'a' }, { uid: 'b', email: 42 }, { uid: 'c' }], flush: true });
    await out.waitFor(1);
    const failed = out.fail[0] as Out;
    assert.deepEqual(failed.errors!.map((e) => [e.index, e.code, e.retryable]), [
      [0, 'service_unavailable', true],
      [1, 'invalid_field', false],
      [2, 'service_unavailable', true],
    ]);
    assert.equal(failed.error!.code, 'partial_failure');
    assert.equal(failed.error!.retryable, false, 'resending all three would resend the invalid one: the records say which may go again');
    assert.match(failed.error!.message, /^3 of 3 records failed: /);
    assertEachOnce(out, [bulk]);
  });

  it('every record may be resent: the shared code, retryable', async function () {
    await load(batchFlow());
    const out = collect();
    refuseJobs();
    const bulk = send({ payload: [{ uid: 'a' }, { uid: 'b' }], flush: true });
    await out.waitFor(1);
    const failed = out.fail[0] as Out;
    assert.deepEqual(failed.errors!.map((e) => e.retryable), [true, true]);
    assert.equal(failed.error!.code, 'service_unavailable');
    assert.equal(failed.error!.retryable, true);
    assert.match(failed.error!.message, /^2 of 2 records failed \(service_unavailable\): /);
    assertEachOnce(out, [bulk]);
  });
});
