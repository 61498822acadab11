// Batch mode, the record side: matching job results back to msgs (similar records, mixed outcomes),
// bulk msgs (payload arrays) split into successes and failures, more than 50,000 records split into
// several jobs, and the config node's limit on jobs in progress across nodes. Against the sandbox
// over real HTTP.

import assert from 'node:assert/strict';
import type { Node } from 'node-red';
import { startSandbox, type SandboxJob } from '../../sandbox';
import { assertEachOnce, completions, send, type Out } from '../support/exits';
import { collect, configFor, dataFlow, dataNode, helper, loadFlow, type Collected, type FlowNode } from '../support/harness';
import { useSandboxSuite } from '../support/sandbox-suite';

type User = { uid: string; id?: string; properties?: Record<string, unknown> };

/** Most jobs the sandbox had PROCESSING at the same instant (from their created/finished times). */
function maxProcessingAtOnce(jobs: SandboxJob[]): number {
  const spans = jobs.map((j) => [Date.parse(j.created), Date.parse(j.finished!)] as const);
  let most = 0;
  for (const [start] of spans) most = Math.max(most, spans.filter(([s, f]) => s <= start && start < f).length);
  return most;
}

describe('batch mode: records, bulk msgs, job splitting and the job limit (sandbox over HTTP)', function () {
  const env = useSandboxSuite({ pollIntervalMs: 20, sandbox: { pageSize: 2 } });

  const userFlow = (extra: Record<string, unknown> = {}, config: Record<string, unknown> = {}) =>
    dataFlow(env.sandbox.url, { type: 'fullstory-user', operation: 'upsert', mode: 'batch', batchSize: 1000, flushInterval: 60, ...extra }, config);
  const byId = (out: Collected, id: string) => [...out.ok, ...out.fail].filter((m) => m._msgid === id) as Out[];
  const userIdOf = (uid: string) => [...env.sandbox.users.values()].find((u) => u.uid === uid)?.id;
  const jobPosts = () => env.sandbox.requests.filter((r) => r.method === 'POST' && /\/batch$/.test(r.path));
  const rejectWhere = (test: (user: User) => boolean, code = 'custom_rejected') => {
    env.sandbox.rejectRecord = (_resource, record) => (test(record as User) ? { code, message: `refused ${(record as User).uid}` } : undefined);
  };

  it('similar records in one job, one of each pair failing: each msg gets its own outcome', async function () {
    await loadFlow(userFlow({ batchSize: 5 }));
    const out = collect();
    rejectWhere((u) => u.properties?.seats !== undefined);
    const payloads = [
      { uid: 'same', properties: { plan: 'pro', seats: 2 } }, // fails
      { uid: 'same', properties: { plan: 'pro' } },
      { uid: 'other', properties: { plan: 'pro' } },
      { uid: 'other', properties: { plan: 'pro', seats: 2 } }, // fails
      { uid: 'third', properties: { plan: 'pro' } },
    ];
    const ids = payloads.map((payload) => send({ payload }));
    await out.waitFor(5);
    const [job] = [...env.sandbox.jobs.values()];
    assert.equal(env.sandbox.jobs.size, 1);
    assert.equal(job.status, 'FAILED');
    assert.deepEqual(ids.map((id) => (out.ok.some((m) => m._msgid === id) ? 'ok' : 'fail')), ['fail', 'ok', 'ok', 'fail', 'ok']);
    assert.deepEqual(byId(out, ids[0])[0].error!.message, `FullStory rejected this record in import job ${job.id}: refused same`);
    assert.equal(byId(out, ids[1])[0].fullstory!.id, userIdOf('same'));
    assert.equal(byId(out, ids[2])[0].fullstory!.id, userIdOf('other'));
    assert.equal(byId(out, ids[4])[0].fullstory!.id, userIdOf('third'));
    assertEachOnce([out], ids);
  });

  it('a record naming the user by FullStory id (or email) is matched to its import: msg.fullstory.id set', async function () {
    await loadFlow(userFlow());
    const out = collect();
    const first = send({ payload: { uid: 'known', email: 'k@example.com' }, flush: true });
    await out.waitFor(1);
    const known = userIdOf('known')!;
    assert.equal((out.ok[0] as Out).fullstory!.id, known);
    // The import result echoes the stored user, uid included: the record's own key is its id.
    const byIdOnly = send({ payload: { id: known, properties: { plan: 'gold' } } });
    const byEmail = send({ payload: { email: 'new@example.com' } });
    const byUid = send({ payload: { uid: 'fresh' }, flush: true });
    await out.waitFor(4);
    assert.equal(out.fail.length, 0);
    assert.equal(byId(out, byIdOnly)[0].fullstory!.id, known);
    assert.equal(byId(out, byEmail)[0].fullstory!.id, [...env.sandbox.users.values()].find((u) => u.email === 'new@example.com')!.id);
    assert.equal(byId(out, byUid)[0].fullstory!.id, userIdOf('fresh'));
    assert.deepEqual(env.sandbox.users.get(known)!.properties, { plan: 'gold' });
    assertEachOnce([out], [first, byIdOnly, byEmail, byUid]);
  });

  it('status after a job with a failed record shows that error, even when the job\'s last record succeeded', async function () {
    await loadFlow(userFlow());
    const node = helper.getNode('n1') as Node & { status: { getCalls(): Array<{ thisValue: unknown; args: unknown[] }> } };
    const out = collect();
    rejectWhere((u) => u.uid === 'first');
    const ids = [send({ payload: { uid: 'first' } }), send({ payload: { uid: 'last' }, flush: true })];
    await out.waitFor(2);
    await new Promise((r) => setTimeout(r, 600));
    const last = node.status.getCalls().filter((c) => c.thisValue === node).at(-1)!.args[0];
    assert.deepEqual(last, { fill: 'red', shape: 'ring', text: 'fullstory-user.status.error' });
    assertEachOnce([out], ids);
  });

  it('bulk msg partly failing: output 1 with the successes (with ids), output 2 a copy with the failures and msg.errors', async function () {
    await loadFlow(userFlow());
    const out = collect();
    rejectWhere((u) => u.uid === 'b1' || u.uid === 'b3');
    const items: User[] = [0, 1, 2, 3, 4].map((i) => ({ uid: `b${i}`, properties: { n: i } }));
    const id = send({ topic: 'import', payload: items, flush: true });
    await out.waitFor(2);
    const [job] = [...env.sandbox.jobs.values()];
    const okMsg = out.ok[0] as Out;
    const failMsg = out.fail[0] as Out;
    assert.equal(okMsg._msgid, id);
    assert.equal(failMsg._msgid, id);
    assert.deepEqual(okMsg.payload, [0, 2, 4].map((i) => ({ uid: `b${i}`, properties: { n: i }, id: userIdOf(`b${i}`) })));
    assert.deepEqual(failMsg.payload, [items[1], items[3]], 'the failed records as they came in');
    assert.deepEqual(failMsg.errors!.map((e) => [e.index, e.code, e.jobId, e.status]), [[1, 'custom_rejected', job.id, 400], [3, 'custom_rejected', job.id, 400]]);
    assert.equal(failMsg.error!.code, 'custom_rejected');
    assert.match(failMsg.error!.message, /^2 of 5 records failed/);
    const summary = { operation: 'upsert', mode: 'batch', jobIds: [job.id], records: 5, succeeded: 3, failed: 2 };
    assert.deepEqual(okMsg.fullstory, summary);
    assert.deepEqual(failMsg.fullstory, summary);
    assert.equal(okMsg.topic, 'import');
    assert.equal(failMsg.topic, 'import');
    assert.equal(okMsg.error, undefined);
    assert.equal(okMsg.errors, undefined);
    // Every record accounted for once.
    const uids = [...(okMsg.payload as User[]), ...(failMsg.payload as User[])].map((u) => u.uid).sort();
    assert.deepEqual(uids, ['b0', 'b1', 'b2', 'b3', 'b4']);
    assertEachOnce([out], [], [id]);

    // A retry loop sends the failed copy back in: now it goes through, and leaves with no stale error.
    delete env.sandbox.rejectRecord;
    completions.clear();
    out.ok.length = 0;
    out.fail.length = 0;
    const again = send({ ...(failMsg as unknown as Record<string, unknown>), flush: true });
    await out.waitFor(1);
    const retried = out.ok[0] as Out;
    assert.deepEqual((retried.payload as User[]).map((u) => u.uid), ['b1', 'b3']);
    assert.equal(retried.error, undefined, 'no stale msg.error');
    assert.equal(retried.errors, undefined, 'no stale msg.errors');
    assert.deepEqual(retried.fullstory, { operation: 'upsert', mode: 'batch', jobIds: [[...env.sandbox.jobs.keys()][1]], records: 2, succeeded: 2, failed: 0 });
    assertEachOnce([out], [again]);
  });

  it('a bulk msg spread over two jobs, between single msgs: one msg out with both job ids', async function () {
    await loadFlow(userFlow({ batchSize: 3 }));
    const out = collect();
    const single1 = send({ payload: { uid: 's1' } });
    const bulk = send({ payload: [{ uid: 'k0' }, { uid: 'k1' }, { uid: 'k2' }, { uid: 'k3' }] });
    const single2 = send({ payload: { uid: 's2' }, flush: true });
    await out.waitFor(3);
    assert.deepEqual(jobPosts().map((r) => (r.body as { requests: User[] }).requests.map((u) => u.uid)), [['s1', 'k0', 'k1'], ['k2', 'k3', 's2']]);
    const jobIds = jobPosts().map((p) => [...env.sandbox.jobs.values()].find((j) => j.idempotencyKey === p.headers['idempotency-key'])!.id);
    const bulkOut = byId(out, bulk)[0];
    assert.deepEqual((bulkOut.fullstory!.jobIds as string[]).slice().sort(), jobIds.slice().sort());
    assert.deepEqual((bulkOut.payload as User[]).map((u) => [u.uid, u.id]), ['k0', 'k1', 'k2', 'k3'].map((uid) => [uid, userIdOf(uid)]));
    assert.equal(byId(out, single1)[0].fullstory!.jobId, jobIds[0]);
    assert.equal(byId(out, single2)[0].fullstory!.jobId, jobIds[1]);
    assertEachOnce([out], [single1, bulk, single2]);
  });

  it('more than 50,000 records are split into jobs of at most 50,000', async function () {
    this.timeout(30_000);
    await env.sandbox.close();
    env.sandbox = await startSandbox({ pageSize: 50_000 });
    await loadFlow(userFlow({ batchSize: 50_000 }));
    const out = collect();
    const count = 50_001;
    const items = Array.from({ length: count }, (_, i) => ({ uid: `x${i}` }));
    const started = performance.now();
    const id = send({ payload: items, flush: true });
    await out.waitFor(1, 25_000);
    const took = performance.now() - started;
    assert.equal(out.fail.length, 0, JSON.stringify((out.fail[0] as Out)?.error));
    // (The sandbox logs a request when it has answered it: the small job may come first.)
    const sent = jobPosts().map((r) => (r.body as { requests: User[] }).requests);
    assert.deepEqual(sent.map((requests) => requests.length).sort((a, b) => b - a), [50_000, 1]);
    assert.equal(new Set(sent.flat().map((u) => u.uid)).size, count, 'every record in exactly one job');
    assert.equal(env.sandbox.jobs.size, 2);
    const msg = out.ok[0] as Out;
    assert.equal((msg.payload as User[]).length, count);
    assert.equal(new Set((msg.payload as User[]).map((u) => u.id)).size, count, 'every record has its own FullStory id');
    assert.equal((msg.payload as User[])[count - 1].id, userIdOf(`x${count - 1}`));
    assert.equal((msg.fullstory!.jobIds as string[]).length, 2);
    assert.equal(env.sandbox.users.size, count);
    assertEachOnce([out], [id]);
    assert.ok(took < 15_000, `took ${Math.round(took)} ms`);
    await env.sandbox.close();
    env.sandbox = await startSandbox({ pageSize: 2 });
  });

  describe('jobs in progress limited by the config node, across the nodes that share it', function () {
    const twoNodes = (maxJobs: number): FlowNode[] => [
      { id: 'f1', type: 'tab', label: 'test' },
      configFor(env.sandbox.url, { maxJobs }),
      dataNode({ id: 'n1', z: 'f1', type: 'fullstory-user', operation: 'upsert', mode: 'batch', batchSize: 2, flushInterval: 60, wires: [['ok1'], ['fail1']] }),
      dataNode({ id: 'n2', z: 'f1', type: 'fullstory-event', mode: 'batch', batchSize: 2, flushInterval: 60, wires: [['ok2'], ['fail2']] }),
      { id: 'ok1', z: 'f1', type: 'helper' },
      { id: 'fail1', z: 'f1', type: 'helper' },
      { id: 'ok2', z: 'f1', type: 'helper' },
      { id: 'fail2', z: 'f1', type: 'helper' },
    ];

    async function run(maxJobs: number): Promise<SandboxJob[]> {
      await loadFlow(twoNodes(maxJobs));
      const users = collect('ok1', 'fail1');
      const events = collect('ok2', 'fail2');
      const ids: string[] = [];
      for (let i = 0; i < 6; i++) {
        ids.push(send({ payload: { uid: `c${i}` } }, 'n1'));
        ids.push(send({ payload: { name: 'Clicked', user: { uid: `c${i}` }, properties: { i } } }, 'n2'));
      }
      await Promise.all([users.waitFor(6), events.waitFor(6)]);
      assert.equal(users.ok.length + events.ok.length, 12, JSON.stringify([...users.fail, ...events.fail].map((m) => (m as Out).error)));
      assertEachOnce([users, events], ids);
      const jobs = [...env.sandbox.jobs.values()];
      assert.deepEqual(jobs.map((j) => j.resource).sort(), ['events', 'events', 'events', 'users', 'users', 'users']);
      return jobs;
    }

    it('maxJobs 1: the sandbox never has two jobs processing at once', async function () {
      const jobs = (await run(1)).sort((a, b) => Date.parse(a.created) - Date.parse(b.created));
      for (let i = 1; i < jobs.length; i++) {
        assert.ok(Date.parse(jobs[i].created) >= Date.parse(jobs[i - 1].finished!), `job ${i} was created before job ${i - 1} finished`);
      }
      assert.equal(maxProcessingAtOnce(jobs), 1);
    });

    it('maxJobs 4: jobs do run side by side, never more than 4 (the measure above can see overlap)', async function () {
      const most = maxProcessingAtOnce(await run(4));
      assert.ok(most >= 2 && most <= 4, `${most} jobs at once`);
    });
  });
});
