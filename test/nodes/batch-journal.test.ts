// The batch journal seen from a flow: a redeploy hands jobs in progress and buffered records to the
// new instance, which reports them as recovered msgs; a job planned but never answered is created
// again with the same Idempotency-Key (the sandbox answers with the same job); a directory that
// cannot be written refuses batch msgs with journal_unavailable; a damaged journal never stops the
// node; a node removed from the flow settles its store and deletes it.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import sinon from 'sinon';
import type { NodeMessage } from 'node-red';
import nodeRedUtil from '@node-red/util';
import { Journal } from '../../nodes/lib/batch/journal';
import { BatchBuffer } from '../../nodes/lib/batch/buffer';
import { journalFile, JOURNAL_DIR_NAME } from '../../nodes/lib/runtime/node-journal';
import { ADMIN_KEY, collect, dataFlow, freshUserDir, helper, loadFlow, pinUserDir, tick, type FlowNode } from '../support/harness';
import { assertDoneOnce, send, type Out } from '../support/exits';
import { ioUntil } from '../support/io';
import { useSandboxSuite } from '../support/sandbox-suite';
import { holdJournalSyncs, type SyncHolder } from '../support/journal-syncs';

/** The runtime's event bus (node-status events: what the editor is told). */
const events = (nodeRedUtil as unknown as { events: import('node:events').EventEmitter }).events;

type Recovered = Out & { fullstory: { recovered?: boolean; acceptedAt?: string; jobId?: string; operation?: string; mode?: string } };

describe('batch journal: restart, redeploy, damage, removal (sandbox over HTTP)', function () {
  let clock: sinon.SinonFakeTimers | undefined;
  let syncs: SyncHolder | undefined;
  let jobSpy: sinon.SinonStub | undefined;
  afterEach(function () {
    clock?.restore();
    clock = undefined;
    syncs?.restore();
    syncs = undefined;
    jobSpy?.restore();
    jobSpy = undefined;
    pinUserDir(undefined);
  });
  // Polls come every 20 ms of real time; a job ends 30 ms after its creation by the sandbox's clock
  // (Date: faked where a job must still run at the redeploy).
  const env = useSandboxSuite({ pollIntervalMs: 20 });

  const userFlow = (extra: Record<string, unknown> = {}, config: Record<string, unknown> = {}) =>
    dataFlow(env.sandbox.url, { type: 'fullstory-user', operation: 'upsert', mode: 'batch', batchSize: 2, flushInterval: 60, ...extra }, config);
  const jobPosts = () => env.sandbox.requests.filter((r) => r.method === 'POST' && r.path === '/v2/users/batch');
  const internals = helper as unknown as {
    _redNodes: { setFlows(flows: FlowNode[], creds: unknown, type: string): Promise<unknown> };
    _events: import('node:events').EventEmitter;
  };
  /** A full deploy of `flow` (the editor's Deploy button); resolves once the flows run again. */
  async function deploy(flow: FlowNode[]): Promise<void> {
    const started = new Promise<void>((resolve) => internals._events.once('flows:started', () => resolve()));
    await internals._redNodes.setFlows(flow, { cfg: { apiKey: ADMIN_KEY } }, 'full');
    await started;
  }
  const journalOf = (userDir: string, nodeId = 'n1') => journalFile(path.join(userDir, JOURNAL_DIR_NAME), nodeId);
  const sorted = (msgs: NodeMessage[]) => [...msgs].sort((a, b) => String((a.payload as { uid: string }).uid).localeCompare(String((b.payload as { uid: string }).uid)));

  it('a redeploy hands the job in progress and the buffered record to the new instance; their outcomes leave there as recovered msgs, once', async function () {
    const userDir = freshUserDir();
    pinUserDir(userDir);
    clock = sinon.useFakeTimers({ now: Date.now(), toFake: ['Date'] });
    const flow = userFlow();
    await loadFlow(flow);
    const before = collect();
    // r3's payload is not its record (v1 displayName becomes display_name): it is journaled beside it.
    const ids = [send({ payload: { uid: 'r1', properties: { n: 1 } } }), send({ payload: { uid: 'r2' } }), send({ payload: { uid: 'r3', displayName: 'Given As Is' } })];
    await ioUntil(() => env.sandbox.jobs.size === 1, 'the job of r1 and r2 created');
    // Its id journaled (without it the new instance would create it again with the same key:
    // the next test), and r3 written.
    await ioUntil(() => fs.readFileSync(journalOf(userDir)).includes('"t":"i"'), 'the job id journaled');
    await ioUntil(() => fs.readFileSync(journalOf(userDir)).includes('"uid":"r3"'), 'r3 written to the journal');
    const [jobId] = [...env.sandbox.jobs.keys()];
    const journaled = fs.readFileSync(journalOf(userDir), 'utf8');
    assert.equal(journaled.split('"p":').length - 1, 1, 'only r3 has its payload as given beside its record');

    await deploy(flow);
    assert.equal(before.ok.length + before.fail.length, 0, 'the old instance reported nothing');
    assertDoneOnce(ids);
    const after = collect();
    // The new instance polls the old job by id and sends r3 in a job of its own; then the
    // sandbox's clock moves on and both jobs end.
    await ioUntil(() => env.sandbox.jobs.size === 2, 'r3 sent by the new instance');
    clock.tick(1000);
    await after.waitFor(3);
    assert.equal(after.fail.length, 0, JSON.stringify(after.fail.map((m) => (m as Out).error)));
    const out = sorted(after.ok) as Recovered[];
    assert.deepEqual(out.map((m) => m.payload), [{ uid: 'r1', properties: { n: 1 } }, { uid: 'r2' }, { uid: 'r3', displayName: 'Given As Is' }], 'payload: the record as it was given');
    for (const m of out) {
      assert.equal(m.fullstory.recovered, true);
      assert.match(m.fullstory.acceptedAt!, /^\d{4}-\d\d-\d\dT/);
      assert.equal(m.fullstory.operation, 'upsert');
      assert.ok(!ids.includes(m._msgid as string), 'a new msg');
    }
    assert.equal(out[0].fullstory.jobId, jobId);
    assert.equal(out[1].fullstory.jobId, jobId);
    assert.notEqual(out[2].fullstory.jobId, jobId, 'r3 went in a job of the new instance');
    assert.equal(jobPosts().length, 2, 'the job in progress was polled, not created again');
    assert.equal(env.sandbox.users.size, 3);
    // Nothing is owed any more: a copy of the store, opened, holds nothing to send or report. (The
    // marks are written in the immediate after the msgs' deliveries: one more turn.)
    await tick();
    fs.copyFileSync(journalOf(userDir), `${journalOf(userDir)}.copy`);
    const reopened = Journal.open(`${journalOf(userDir)}.copy`);
    await reopened.journal.close();
    assert.equal(reopened.state.records.size, 0, 'every record reported');
    assert.equal(reopened.state.jobs.size, 0);
  });

  it('a redeploy while a group commit is on its way to the disk still releases the msgs of the job in progress', async function () {
    // The close waits for that group before it closes the journal. The job in progress, aborted by
    // the close, ends in the meantime: its msgs must still be released (done() once), not lost
    // with it. The soak saw whole jobs' msgs (those of stuck jobs) never done on a loaded machine.
    const userDir = freshUserDir();
    pinUserDir(userDir);
    clock = sinon.useFakeTimers({ now: Date.now(), toFake: ['Date'] });
    const runs: Array<Promise<void>> = [];
    const proto = BatchBuffer.prototype as unknown as { runJob: (...args: unknown[]) => Promise<void> };
    const runJob = proto.runJob;
    jobSpy = sinon.stub(proto, 'runJob').callsFake(function (this: unknown, ...args: unknown[]) {
      const run = runJob.apply(this, args);
      runs.push(run);
      return run;
    });
    const flow = userFlow();
    await loadFlow(flow);
    const ids = [send({ payload: { uid: 'g1' } }), send({ payload: { uid: 'g2' } })];
    await ioUntil(() => env.sandbox.jobs.size === 1, 'the job of g1 and g2 created');
    await ioUntil(() => fs.readFileSync(journalOf(userDir)).includes('"t":"i"'), 'the job id journaled (it is being polled)');
    syncs = holdJournalSyncs();
    ids.push(send({ payload: { uid: 'g3' } }));
    await syncs.held();
    const oldJob = runs[0]!;

    const deployed = deploy(flow);
    await oldJob;
    syncs.releaseAll();
    await deployed;
    assertDoneOnce(ids);
    // Nothing lost on the way: the new instance reports all three as recovered msgs.
    const after = collect();
    await ioUntil(() => env.sandbox.jobs.size === 2, 'g3 sent by the new instance');
    clock.tick(1000);
    await after.waitFor(3);
    assert.deepEqual(sorted(after.ok).map((m) => m.payload), [{ uid: 'g1' }, { uid: 'g2' }, { uid: 'g3' }]);
  });

  it('a job in progress at a redeploy keeps the job timeout it had from its creation: job_timeout on the new instance then, not a whole timeout later', async function () {
    const userDir = freshUserDir();
    pinUserDir(userDir);
    clock = sinon.useFakeTimers({ now: Date.now(), toFake: ['Date'] });
    env.sandbox.stuckJobs = true; // the job stays PROCESSING
    const flow = userFlow({ jobTimeout: 600 });
    await loadFlow(flow);
    const ids = [send({ payload: { uid: 't1' } }), send({ payload: { uid: 't2' } })];
    await ioUntil(() => fs.readFileSync(journalOf(userDir)).includes('"t":"i"'), 'the job created and its id journaled');
    clock.tick(550_000);
    await deploy(flow);
    assertDoneOnce(ids);
    const after = collect();
    const polls = () => env.sandbox.requests.filter((r) => r.method === 'GET' && /^\/v2\/users\/batch\/[^/]+$/.test(r.path)).length;
    const atDeploy = polls();
    await ioUntil(() => polls() > atDeploy, 'the new instance polls the job');
    // 580 s after the creation: still within its 600 s.
    clock.tick(30_000);
    const resumed = polls();
    await ioUntil(() => polls() >= resumed + 2, 'the new instance goes on polling');
    assert.equal(after.fail.length + after.ok.length, 0, 'no outcome yet');
    // 611 s after the creation (61 s after the redeploy): past its timeout and the minute of grace.
    clock.tick(31_000);
    await after.waitFor(2);
    const out = after.fail as Recovered[];
    assert.deepEqual(out.map((m) => [m.error!.code, m.fullstory.recovered]), [['job_timeout', true], ['job_timeout', true]]);
  });

  it('a job planned but never answered is created again with the same Idempotency-Key: the sandbox answers with the same job, no second one', async function () {
    const userDir = freshUserDir();
    // What a crash right after the POST leaves: the records and the planned job in the journal, the
    // job at FullStory, its id nowhere.
    const file = journalOf(userDir);
    const { journal } = Journal.open(file);
    const a = journal.accept('{"uid":"k1"}', '{"uid":"k1"}', Date.now() - 5000);
    const b = journal.accept('{"uid":"k2"}', '{"uid":"k2","given":"as is"}', Date.now() - 5000);
    const key = 'f1d0c7a2-0000-4000-8000-000000000001';
    await journal.planJob([a, b], key);
    await journal.close();
    const first = await post(`${env.sandbox.url}/v2/users/batch`, '{"requests":[{"uid":"k1"},{"uid":"k2"}]}', key);
    assert.equal(first.status, 200);
    const jobId = (JSON.parse(first.text) as { job: { id: string } }).job.id;

    pinUserDir(userDir);
    await loadFlow(userFlow());
    const out = collect();
    await out.waitFor(2);
    assert.equal(env.sandbox.jobs.size, 1, 'no second job');
    const resent = jobPosts().filter((r) => r.headers['idempotency-key'] === key);
    assert.equal(resent.length, 2, 'the journal\'s key was sent again');
    const msgs = sorted(out.ok) as Recovered[];
    assert.deepEqual(msgs.map((m) => [m.payload, m.fullstory.jobId, m.fullstory.recovered]), [
      [{ uid: 'k1' }, jobId, true],
      [{ uid: 'k2', given: 'as is' }, jobId, true],
    ]);
    assert.deepEqual(logged('error'), []);
  });

  it('events of a job planned more than 23 hours ago are not sent again (FullStory may have forgotten the key): outcome_unknown, as recovered msgs', async function () {
    const userDir = freshUserDir();
    const file = journalOf(userDir);
    const dayAgo = sinon.useFakeTimers({ now: Date.now() - 24 * 60 * 60 * 1000, toFake: ['Date'] });
    try {
      const { journal } = Journal.open(file);
      const seq = journal.accept('{"name":"Old","user":{"uid":"o1"}}', '{"name":"Old","uid":"o1"}', Date.now());
      await journal.planJob([seq], 'an-old-key');
      await journal.close();
    } finally {
      dayAgo.restore();
    }
    pinUserDir(userDir);
    await loadFlow(dataFlow(env.sandbox.url, { type: 'fullstory-event', mode: 'batch', batchSize: 2, flushInterval: 60 }));
    const out = collect();
    await out.waitFor(1);
    const [msg] = out.fail as Recovered[];
    assert.deepEqual([msg.error!.code, msg.error!.retryable, msg.fullstory.recovered, msg.payload], ['outcome_unknown', false, true, { name: 'Old', uid: 'o1' }]);
    assert.equal(env.sandbox.requests.length, 0, 'nothing was sent');
  });

  it('a journal directory that cannot be written: status and one log line; batch msgs leave on output 2 with journal_unavailable (retryable)', async function () {
    const blocker = path.join(freshUserDir(), 'not-a-directory');
    fs.writeFileSync(blocker, '');
    const flow = userFlow({}, { journalDir: path.join(blocker, 'journals') });
    const statuses: unknown[] = [];
    const record = (e: { id: string; status?: unknown }) => void (e.id === 'n1' && statuses.push(e.status));
    events.on('node-status', record);
    try {
      await loadFlow(flow);
    } finally {
      events.off('node-status', record);
    }
    const errors = logged('error');
    const out = collect();
    const ids = [send({ payload: { uid: 'u1' } }), send({ payload: [{ uid: 'u2' }, { uid: 'u3' }] })];
    await out.waitFor(2);
    assert.equal(out.ok.length, 0);
    for (const m of out.fail as Out[]) {
      assert.equal(m.error!.code, 'journal_unavailable');
      assert.equal(m.error!.retryable, true);
      assert.match(m.error!.message, /ENOTDIR/);
    }
    assert.equal(errors.length, 1, errors.join('\n'));
    assert.match(errors[0], /ENOTDIR/);
    assert.deepEqual(statuses.at(-1), { fill: 'red', shape: 'ring', text: 'fullstory-user.status.journalUnavailable' });
    assert.equal(jobPosts().length, 0);
    assertDoneOnce(ids);
  });

  it('a garbage journal is moved aside and the node starts empty; a torn last write is cut and the good records are sent', async function () {
    const userDir = freshUserDir();
    const file = journalOf(userDir);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, 'garbage, not a journal');
    const other = journalOf(userDir, 'n2');
    const { journal } = Journal.open(other);
    journal.accept('{"uid":"t1"}', '{"uid":"t1"}', Date.now());
    await journal.close();
    fs.appendFileSync(other, Buffer.from([40, 0, 0, 0, 1, 2])); // a frame header cut short
    pinUserDir(userDir);
    const flow = [...userFlow(), { ...userFlow()[2], id: 'n2', wires: [['ok'], ['fail']] }] as FlowNode[];
    await loadFlow(flow);
    const errors = logged('error', 'n1');
    const warnings = logged('warn', 'n2');
    const out = collect();
    await out.waitFor(1);
    assert.deepEqual(out.ok.map((m) => [m.payload, (m as Recovered).fullstory.recovered]), [[{ uid: 't1' }, true]], 'the good record of n2 was sent');
    const aside = fs.readdirSync(path.dirname(file)).filter((f) => f.startsWith('n1.journal.unreadable-'));
    assert.equal(aside.length, 1, 'the garbage was moved aside');
    assert.equal(fs.readFileSync(path.join(path.dirname(file), aside[0])).toString(), 'garbage, not a journal');
    assert.equal(errors.length, 1, errors.join('\n'));
    assert.ok(errors[0].includes(aside[0]), 'the log says where it went');
    assert.equal(warnings.length, 1, warnings.join('\n'));
    // n1 works.
    const id = send({ payload: { uid: 'after' }, flush: true });
    await out.waitFor(2);
    assert.ok(out.ok.some((m) => m._msgid === id));
  });

  it('a node removed from the flow sends what it holds and deletes its store', async function () {
    const userDir = freshUserDir();
    pinUserDir(userDir);
    const flow = userFlow({ batchSize: 100 });
    await loadFlow(flow);
    collect();
    send({ payload: { uid: 'd1' } });
    send({ payload: { uid: 'd2' } });
    await ioUntil(() => fs.readFileSync(journalOf(userDir)).includes('"uid":"d2"'), 'records journaled');
    await deploy(flow.filter((n) => n.id !== 'n1'));
    assert.deepEqual(jobPosts().map((r) => (r.body as { requests: Array<{ uid: string }> }).requests.map((u) => u.uid)), [['d1', 'd2']]);
    assert.equal(fs.existsSync(journalOf(userDir)), false, 'the store is gone');
  });

  it('with the journal off nothing is written', async function () {
    const userDir = freshUserDir();
    pinUserDir(userDir);
    await loadFlow(userFlow({}, { journal: false }));
    const out = collect();
    send({ payload: { uid: 'o1' } });
    send({ payload: { uid: 'o2' } });
    await out.waitFor(2);
    assert.equal(fs.existsSync(path.join(userDir, JOURNAL_DIR_NAME)), false);
  });
});

/** What the nodes logged at `level` (every node.warn / node.error lands in the runtime log). */
function logged(level: 'warn' | 'error', nodeId = 'n1'): string[] {
  const LEVEL = level === 'warn' ? 30 : 20;
  return (helper.log() as sinon.SinonSpy).args
    .map((a) => a[0] as { id?: string; level?: number; msg?: unknown })
    .filter((e) => e.id === nodeId && e.level === LEVEL)
    .map((e) => String(e.msg));
}

function post(url: string, body: string, key: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', headers: { authorization: `Basic ${ADMIN_KEY}`, 'content-type': 'application/json', 'idempotency-key': key } }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}
