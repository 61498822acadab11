// Batch mode, the job side: create (Idempotency-Key) → poll (2 s, backing off, 429-aware, bounded by
// the job timeout) → page /imports and, when FAILED, /errors → one outcome per msg. Against the
// sandbox over real HTTP; fake timers where the timing itself is under test.

import assert from 'node:assert/strict';
import sinon from 'sinon';
import { drive, ioSettle, ioUntil } from '../support/io';
import type { Node } from 'node-red';
import type { RecordedRequest } from '../../sandbox';
import { assertEachOnce, send, type Out } from '../support/exits';
import { collect, dataFlow, helper, loadFlow, type Collected } from '../support/harness';
import { runtimeSettings, useSandboxSuite } from '../support/sandbox-suite';

/** A fake timer due exactly `delay` ms from now (the job's next poll once it is scheduled). */
function timerDueIn(clock: sinon.SinonFakeTimers, delay: number): boolean {
  const timers = (clock as unknown as { timers?: Map<number, { callAt: number }> }).timers;
  return [...(timers?.values() ?? [])].some((t) => t.callAt === clock.now + delay);
}

describe('batch mode: import jobs (create, poll, page) against the sandbox', function () {
  let clock: sinon.SinonFakeTimers | undefined;
  /** Every request with the (possibly fake) time it was answered. */
  const log: Array<RecordedRequest & { at: number }> = [];
  // Before the suite's hooks: fake timers are restored before the runtime is unloaded.
  afterEach(function () {
    clock?.restore();
    clock = undefined;
  });
  // Small pages so that imports and errors both take several pages.
  const env = useSandboxSuite({ pollIntervalMs: 20, sandbox: { pageSize: 2, onRequest: (entry) => log.push({ ...entry, at: Date.now() }) } });
  beforeEach(function () { log.length = 0; });

  const userFlow = (extra: Record<string, unknown> = {}, config: Record<string, unknown> = {}) =>
    dataFlow(env.sandbox.url, { type: 'fullstory-user', operation: 'upsert', mode: 'batch', batchSize: 1000, flushInterval: 60, ...extra }, config);
  const fakeTime = () => {
    clock = sinon.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
    return clock;
  };
  const byId = (out: Collected, id: string) => [...out.ok, ...out.fail].filter((m) => m._msgid === id) as Out[];
  const userIdOf = (uid: string) => [...env.sandbox.users.values()].find((u) => u.uid === uid)?.id;
  const onlyJob = () => {
    const jobs = [...env.sandbox.jobs.values()];
    assert.equal(jobs.length, 1);
    return jobs[0];
  };
  const jobPath = (resource: string, jobId: string) => `/v2/${resource}/batch/${encodeURIComponent(jobId)}`;
  const gets = (path: string) => log.filter((r) => r.method === 'GET' && r.path === path);
  const rejectUids = (uids: string[]) => {
    env.sandbox.rejectRecord = (_resource, record) => {
      const uid = (record as { uid?: string }).uid;
      return uid !== undefined && uids.includes(uid) ? { code: 'custom_rejected', message: `refused ${uid}` } : undefined;
    };
  };

  it('COMPLETED: one POST with an Idempotency-Key, polls on the encoded job id, pages /imports, never /errors', async function () {
    await loadFlow(userFlow({ batchSize: 3 }));
    const out = collect();
    const ids = [
      send({ payload: { uid: 'a', email: 'a@example.com', properties: { plan: 'pro' } } }),
      send({ payload: { uid: 'b', display_name: 'Bea' } }),
      send({ payload: { uid: 'c', properties: { seats: 3 } } }),
    ];
    await out.waitFor(3);
    assert.equal(out.fail.length, 0, JSON.stringify(out.fail.map((m) => (m as Out).error)));
    const job = onlyJob();
    assert.equal(job.status, 'COMPLETED');
    const [post] = log.filter((r) => r.method === 'POST');
    assert.equal(post.path, '/v2/users/batch');
    assert.deepEqual(post.body, {
      requests: [
        { uid: 'a', email: 'a@example.com', properties: { plan: 'pro' } },
        { uid: 'b', display_name: 'Bea' },
        { uid: 'c', properties: { seats: 3 } },
      ],
    });
    assert.match(String(post.headers['idempotency-key']), /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(job.idempotencyKey, post.headers['idempotency-key']);
    const polls = gets(jobPath('users', job.id));
    assert.ok(polls.length >= 1 && polls.every((r) => r.status === 200), 'polled on the URL-encoded job id');
    // 3 imports, 2 per page: two pages, the second asked for with the token of the first.
    const imports = gets(`${jobPath('users', job.id)}/imports`);
    assert.deepEqual(imports.map((r) => [r.status, r.query.page_token === undefined]), [[200, true], [200, false]]);
    assert.equal(gets(`${jobPath('users', job.id)}/errors`).length, 0);
    ids.forEach((id, i) => {
      assert.deepEqual(byId(out, id)[0].fullstory, { operation: 'upsert', mode: 'batch', jobId: job.id, id: userIdOf('abc'[i]) });
    });
    assertEachOnce(out, ids);
  });

  it('FAILED with partial errors: /imports and /errors both paged to the end; each msg gets its own outcome', async function () {
    await loadFlow(userFlow({ batchSize: 9 }));
    const out = collect();
    const rejected = ['u1', 'u4', 'u6', 'u7'];
    rejectUids(rejected);
    const ids = Array.from({ length: 9 }, (_, i) => send({ payload: { uid: `u${i}`, properties: { n: i } } }));
    await out.waitFor(9);
    const job = onlyJob();
    assert.equal(job.status, 'FAILED');
    assert.deepEqual([job.importsCount, job.errorsCount], [5, 4]);
    // 4 errors and 5 imports, 2 per page.
    assert.deepEqual(gets(`${jobPath('users', job.id)}/errors`).map((r) => r.query.page_token === undefined), [true, false]);
    assert.deepEqual(gets(`${jobPath('users', job.id)}/imports`).map((r) => r.query.page_token === undefined), [true, false, false]);
    ids.forEach((id, i) => {
      const uid = `u${i}`;
      const [msg] = byId(out, id);
      if (rejected.includes(uid)) {
        assert.ok(out.fail.includes(msg), `${uid} on output 2`);
        assert.equal(msg.error!.code, 'custom_rejected');
        assert.match(msg.error!.message, new RegExp(`refused ${uid}$`));
        assert.deepEqual([msg.error!.status, msg.error!.retryable, msg.error!.jobId], [400, false, job.id]);
        assert.deepEqual(msg.fullstory, { operation: 'upsert', mode: 'batch', jobId: job.id });
      } else {
        assert.ok(out.ok.includes(msg), `${uid} on output 1: ${JSON.stringify(msg.error)}`);
        assert.deepEqual(msg.fullstory, { operation: 'upsert', mode: 'batch', jobId: job.id, id: userIdOf(uid) });
        assert.ok(msg.fullstory!.id);
      }
    });
    assert.equal(out.fail.length, 4);
    assertEachOnce(out, ids);
  });

  it('202 from /imports and /errors after the job ended: waits and asks again', async function () {
    await loadFlow(userFlow({ batchSize: 3 }));
    const out = collect();
    env.sandbox.processingResponsesFor202 = 3;
    rejectUids(['w2']);
    const ids = ['w1', 'w2', 'w3'].map((uid) => send({ payload: { uid } }));
    await out.waitFor(3);
    const job = onlyJob();
    const pages = log.filter((r) => r.method === 'GET' && /\/(imports|errors)$/.test(r.path));
    assert.deepEqual(pages.slice(0, 3).map((r) => r.status), [202, 202, 202]);
    assert.ok(pages.slice(3).every((r) => r.status === 200));
    assert.equal(gets(`${jobPath('users', job.id)}/imports`).filter((r) => r.status === 200).length, 1);
    assert.equal(gets(`${jobPath('users', job.id)}/errors`).filter((r) => r.status === 200).length, 1);
    assert.deepEqual(ids.map((id) => (out.ok.some((m) => m._msgid === id) ? 'ok' : 'fail')), ['ok', 'fail', 'ok']);
    assert.equal(byId(out, ids[1])[0].error!.code, 'custom_rejected');
    assertEachOnce(out, ids);
  });

  it('429 on create: retried after Retry-After with the same Idempotency-Key; one job', async function () {
    await loadFlow(userFlow({ batchSize: 2 }));
    const out = collect();
    env.sandbox.inject({ match: { method: 'POST', path: '/v2/users/batch' }, times: 2, fault: { type: 'status', status: 429, retryAfter: '0.05' } });
    const ids = [send({ payload: { uid: 'k1' } }), send({ payload: { uid: 'k2' } })];
    await out.waitFor(2);
    const posts = log.filter((r) => r.method === 'POST');
    assert.deepEqual(posts.map((r) => r.status), [429, 429, 200]);
    assert.equal(new Set(posts.map((r) => r.headers['idempotency-key'])).size, 1);
    assert.ok(posts[2].at - posts[1].at >= 50 && posts[1].at - posts[0].at >= 50, 'waited Retry-After each time');
    const job = onlyJob();
    assert.equal(out.ok.length, 2);
    for (const id of ids) assert.equal(byId(out, id)[0].fullstory!.jobId, job.id);
    assertEachOnce(out, ids);
  });

  it('429 while polling: the next poll waits exactly Retry-After, also past the retry budget (fake timers)', async function () {
    // Fake time from before the deploy: the config node's 429 gate reads the clock it was built with.
    const t = fakeTime();
    await loadFlow(userFlow({ batchSize: 1 }, { retryBudget: 10 }));
    const out = collect();
    const status = /^\/v2\/users\/batch\/[^/]+$/;
    // First poll: 429, wait 3 s (within the 10 s retry budget: the client's own retry).
    env.sandbox.inject({ match: { method: 'GET', path: status }, fault: { type: 'status', status: 429, retryAfter: 3 } });
    const first = send({ payload: { uid: 'q1' } });
    await ioUntil(() => log.some((r) => r.method === 'POST'), 'job created');
    const created = log.find((r) => r.method === 'POST')!.at;
    await ioUntil(() => timerDueIn(t, 20), 'first poll scheduled');
    await t.tickAsync(20);
    await ioUntil(() => log.some((r) => r.status === 429), 'first poll answered 429');
    const polls = () => log.filter((r) => r.method === 'GET' && status.test(r.path));
    const limited = polls()[0].at;
    assert.equal(limited - created, 20, 'first poll after pollIntervalMs');
    await ioUntil(() => timerDueIn(t, 3000), 'retry scheduled');
    await t.tickAsync(2999);
    await ioSettle();
    assert.equal(polls().length, 1, 'no poll before Retry-After');
    await t.tickAsync(1);
    await ioUntil(() => out.ok.length === 1, 'done after the retried poll');
    assert.equal(polls()[1].at - limited, 3000);
    // Second job: 429 with Retry-After 30 s, past the 10 s retry budget: polling goes on, and the
    // shared 429 pause still holds every request back until then.
    env.sandbox.inject({ match: { method: 'GET', path: status }, fault: { type: 'status', status: 429, retryAfter: 30 } });
    const second = send({ payload: { uid: 'q2' } });
    await ioUntil(() => log.filter((r) => r.method === 'POST').length === 2 && timerDueIn(t, 20), 'second job polled soon');
    await t.tickAsync(20);
    await ioUntil(() => log.filter((r) => r.status === 429).length === 2, 'second 429');
    const limited2 = log.filter((r) => r.status === 429)[1].at;
    await drive(t, () => out.ok.length === 2, 250);
    const after = log.filter((r) => r.at > limited2);
    // (drive steps 250 ms: the answer is logged in the step that sent the request or a later one.)
    assert.ok(after[0].at - limited2 >= 30_000 && after[0].at - limited2 <= 31_000, `first request ${after[0].at - limited2} ms after the 429`);
    assert.equal(polls().filter((r) => r.at > limited2).length, 1, 'one poll after the wait: the job was done');
    assertEachOnce(out, [first, second]);
  });

  it('429 while paging /imports and /errors: retried, nothing lost', async function () {
    await loadFlow(userFlow({ batchSize: 3 }));
    const out = collect();
    rejectUids(['g2']);
    env.sandbox.inject({ match: { method: 'GET', path: /\/imports$/ }, times: 2, fault: { type: 'status', status: 429, retryAfter: '0.02' } });
    env.sandbox.inject({ match: { method: 'GET', path: /\/errors$/ }, fault: { type: 'status', status: 429, retryAfter: '0.02' } });
    const ids = ['g1', 'g2', 'g3'].map((uid) => send({ payload: { uid } }));
    await out.waitFor(3);
    const job = onlyJob();
    assert.deepEqual(gets(`${jobPath('users', job.id)}/imports`).map((r) => r.status), [429, 429, 200]);
    assert.deepEqual(gets(`${jobPath('users', job.id)}/errors`).map((r) => r.status), [429, 200]);
    assert.deepEqual(ids.map((id) => (out.ok.some((m) => m._msgid === id) ? 'ok' : 'fail')), ['ok', 'fail', 'ok']);
    assert.equal(byId(out, ids[0])[0].fullstory!.id, userIdOf('g1'));
    assert.equal(byId(out, ids[2])[0].fullstory!.id, userIdOf('g3'));
    assertEachOnce(out, ids);
  });

  it('a job that never ends: polled from 2 s backing off ×1.5, then job_timeout with the job id (fake timers)', async function () {
    runtimeSettings({}); // the real default poll interval
    await loadFlow(userFlow({ batchSize: 2, jobTimeout: 60 }));
    const out = collect();
    const t = fakeTime();
    env.sandbox.stuckJobs = true;
    const ids = [send({ payload: { uid: 't1' } }), send({ payload: { uid: 't2' } })];
    await ioUntil(() => log.some((r) => r.method === 'POST'), 'job created');
    const created = log.find((r) => r.method === 'POST')!.at;
    const polls = () => log.filter((r) => r.method === 'GET');
    const waits = [2000, 3000, 4500, 6750, 10125, 15188];
    for (const [i, wait] of waits.entries()) {
      await ioUntil(() => timerDueIn(t, wait), `poll ${i + 1} scheduled ${wait} ms ahead`);
      await t.tickAsync(wait - 1);
      await ioSettle(50);
      assert.equal(polls().length, i, `no poll ${i + 1} early`);
      await t.tickAsync(1);
      await ioUntil(() => polls().length === i + 1, `poll ${i + 1}`);
    }
    assert.deepEqual(polls().map((r) => r.at - created), [2000, 5000, 9500, 16250, 26375, 41563]);
    // The next wait is cut to the deadline, 60 s after creation.
    await ioUntil(() => timerDueIn(t, 60_000 - 41_563), 'last wait ends at the deadline');
    await t.tickAsync(60_000 - 41_563);
    await ioUntil(() => out.fail.length === 2, 'job_timeout');
    assert.equal(polls().length, 6, 'no poll at the deadline');
    const job = onlyJob();
    for (const id of ids) {
      const [msg] = byId(out, id);
      assert.equal(msg.error!.code, 'job_timeout');
      assert.equal(msg.error!.jobId, job.id);
      assert.equal(msg.error!.retryable, false);
      assert.ok(msg.error!.message.includes(job.id));
      assert.equal(msg.fullstory!.jobId, job.id);
    }
    assert.equal(log.filter((r) => /imports|errors/.test(r.path)).length, 0);
    assertEachOnce(out, ids);
  });

  it("a job whose status cannot be read fails its msgs with outcome_unknown and the job id", async function () {
    await loadFlow(userFlow({ batchSize: 2 }));
    const out = collect();
    env.sandbox.inject({ match: { method: 'GET', path: /^\/v2\/users\/batch\/[^/]+$/ }, fault: { type: 'status', status: 404, code: 'resource_not_found', message: 'gone' } });
    const ids = [send({ payload: { uid: 'o1' } }), send({ payload: { uid: 'o2' } })];
    await out.waitFor(2);
    const job = onlyJob();
    for (const id of ids) {
      const { error } = byId(out, id)[0];
      assert.deepEqual([error!.code, error!.status, error!.jobId, error!.retryable], ['outcome_unknown', 404, job.id, false]);
    }
    assertEachOnce(out, ids);
  });

  it('a job FullStory refuses (400 on create): every msg fails with its code, sent once, status shows the error', async function () {
    await loadFlow(userFlow({ batchSize: 2 }));
    const node = helper.getNode('n1') as Node & { status: sinon.SinonSpy };
    const out = collect();
    env.sandbox.inject({ match: { method: 'POST', path: '/v2/users/batch' }, fault: { type: 'status', status: 400, code: 'invalid_argument', message: 'no' } });
    const ids = [send({ payload: { uid: 'x1' } }), send({ payload: { uid: 'x2' } })];
    await out.waitFor(2);
    for (const id of ids) {
      const { error, fullstory } = byId(out, id)[0];
      assert.deepEqual([error!.code, error!.status, error!.attempts, error!.jobId], ['invalid_argument', 400, 1, undefined]);
      assert.deepEqual(fullstory, { operation: 'upsert', mode: 'batch', jobId: undefined });
    }
    assert.equal(log.filter((r) => r.method === 'POST').length, 1);
    assert.equal(env.sandbox.jobs.size, 0);
    await new Promise((r) => setTimeout(r, 600));
    const last = node.status.getCalls().filter((c) => c.thisValue === node).at(-1)!.args[0];
    assert.deepEqual(last, { fill: 'red', shape: 'ring', text: 'fullstory-user.status.error' });
    assertEachOnce(out, ids);
  });

  it('events: POST /v2/events/batch; a failed event among similar ones is matched by content', async function () {
    await loadFlow(dataFlow(env.sandbox.url, { type: 'fullstory-event', mode: 'batch', batchSize: 4, flushInterval: 60 }));
    const out = collect();
    env.sandbox.rejectRecord = (resource, record) =>
      resource === 'events' && (record as { properties?: { n?: number } }).properties?.n === 2 ? { code: 'bad_event', message: 'n=2 refused' } : undefined;
    const event = (n: number) => ({ name: 'Order Placed', timestamp: '2026-01-02T03:04:05.000Z', user: { uid: 'same-user' }, properties: { n } });
    const ids = [3, 2, 1, 4].map((n) => send({ payload: event(n) }));
    await out.waitFor(4);
    const job = onlyJob();
    assert.equal(job.resource, 'events');
    const post = log.find((r) => r.method === 'POST')!;
    assert.equal(post.path, '/v2/events/batch');
    assert.deepEqual((post.body as { requests: Array<{ properties: { n: number } }> }).requests.map((e) => e.properties.n), [3, 2, 1, 4]);
    assert.deepEqual(ids.map((id) => (out.ok.some((m) => m._msgid === id) ? 'ok' : 'fail')), ['ok', 'fail', 'ok', 'ok']);
    const failed = byId(out, ids[1])[0];
    assert.deepEqual([failed.error!.code, failed.error!.jobId], ['bad_event', job.id]);
    assert.deepEqual(byId(out, ids[0])[0].fullstory, { operation: 'event', mode: 'batch', jobId: job.id });
    assert.equal(env.sandbox.events.length, 3);
    assertEachOnce(out, ids);
  });
});
