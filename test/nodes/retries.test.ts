import assert from 'node:assert/strict';
import sinon from 'sinon';
import { collect, dataFlow, inject, loadFlow } from '../support/harness';
import { drive, ioSettle, ioUntil } from '../support/io';
import { useSandboxSuite } from '../support/sandbox-suite';

type Out = { _msgid: string; payload: unknown; error?: { code: string; retryable: boolean; attempts: number; status?: number }; fullstory?: { idempotencyKey?: string; attempts?: number } };

describe('retries and idempotency (sandbox faults over HTTP)', function () {
  let clock: sinon.SinonFakeTimers | undefined;
  // Before the suite's hooks: fake timers are restored before the runtime is unloaded.
  afterEach(function () {
    clock?.restore();
    clock = undefined;
  });
  const env = useSandboxSuite();

  const eventFlow = (config: Record<string, unknown> = {}) => dataFlow(env.sandbox.url, { type: 'fullstory-event' }, config);
  const fakeTime = () => { clock = sinon.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] }); return clock; };
  const posts = () => env.sandbox.requests.filter((r) => r.method === 'POST' && r.path === '/v2/events');

  /**
   * Moves fake time on to `until` in steps of at most 100 ms, letting real I/O settle after each,
   * and fails at the first step after which a second POST has reached the sandbox: a retry due
   * within a step is sent during it and answered before the check that follows.
   */
  async function assertNoRetryUntil(t: sinon.SinonFakeTimers, answeredAt: number, until: number): Promise<void> {
    for (;;) {
      await ioSettle();
      assert.equal(posts().length, 1, `retried by ${t.now - answeredAt} ms after the 429, before its Retry-After had passed`);
      if (t.now >= until) return;
      await t.tickAsync(Math.min(100, until - t.now));
    }
  }

  it('429 with Retry-After in seconds: waits that long, then succeeds with the same key', async function () {
    await loadFlow(eventFlow({ retryBudget: 60 }));
    const out = collect();
    const t = fakeTime();
    env.sandbox.inject({ match: { path: '/v2/events' }, fault: { type: 'status', status: 429, retryAfter: 7 } });
    inject({ payload: { name: 'Rate limited' } });
    await ioUntil(() => posts().length === 1, 'the first POST answered');
    const answeredAt = t.now; // fake time stands still while real I/O runs
    await assertNoRetryUntil(t, answeredAt, answeredAt + 6_999);
    await drive(t, () => posts().length === 2, 10);
    assert.ok(t.now - answeredAt < 7_500, `retried ${t.now - answeredAt} ms after the 429: Retry-After was 7 s`);
    await ioUntil(() => out.ok.length === 1, 'output 1');
    const [first, second] = posts();
    assert.equal(first.status, 429);
    assert.equal(second.status, 200);
    assert.equal(first.headers['idempotency-key'], second.headers['idempotency-key']);
    assert.equal((out.ok[0] as Out).fullstory!.attempts, 2);
    assert.equal(env.sandbox.events.length, 1);
  });

  it('429 with Retry-After as an HTTP-date', async function () {
    await loadFlow(eventFlow({ retryBudget: 60 }));
    const out = collect();
    const t = fakeTime();
    // An HTTP-date has whole seconds: about 10 s from now, on a whole second.
    const retryAt = Math.ceil((Date.now() + 10_000) / 1000) * 1000;
    env.sandbox.inject({ match: { path: '/v2/events' }, fault: { type: 'status', status: 429, retryAfter: new Date(retryAt).toUTCString() } });
    inject({ payload: { name: 'Dated' } });
    await ioUntil(() => posts().length === 1, 'the first POST answered');
    const answeredAt = t.now; // fake time stands still while real I/O runs
    await assertNoRetryUntil(t, answeredAt, retryAt - 1);
    await drive(t, () => out.ok.length === 1, 10);
    assert.ok(t.now < retryAt + 500, `retried ${t.now - retryAt} ms after the Retry-After date`);
    assert.equal(posts().length, 2);
  });

  it('5xx twice, then success; backoff between attempts', async function () {
    await loadFlow(eventFlow({ maxAttempts: 4 }));
    const out = collect();
    const t = fakeTime();
    env.sandbox.inject({ match: { path: '/v2/events' }, times: 2, fault: { type: 'status', status: 503 } });
    inject({ payload: { name: 'Flaky' } });
    await ioUntil(() => posts().length === 1, 'the first POST answered');
    await t.tickAsync(600);
    await ioUntil(() => posts().length === 2, 'the second POST answered');
    await t.tickAsync(1100);
    await ioUntil(() => out.ok.length === 1, 'output 1');
    assert.deepEqual(posts().map((r) => r.status), [503, 503, 200]);
    assert.equal((out.ok[0] as Out).fullstory!.attempts, 3);
  });

  it('400 is never retried', async function () {
    await loadFlow(eventFlow());
    const out = collect();
    env.sandbox.inject({ match: { path: '/v2/events' }, fault: { type: 'status', status: 400, code: 'invalid_argument', message: 'nope' } });
    inject({ payload: { name: 'Bad' } });
    await out.waitFor(1);
    const error = (out.fail[0] as Out).error!;
    assert.deepEqual([error.code, error.status, error.attempts, error.retryable], ['invalid_argument', 400, 1, false]);
    assert.equal(posts().length, 1);
  });

  it('a dropped connection after FullStory applied the event: the retry is replayed, not counted twice', async function () {
    await loadFlow(eventFlow());
    const out = collect();
    env.sandbox.inject({ match: { path: '/v2/events' }, fault: { type: 'dropAfterProcessing' } });
    inject({ payload: { name: 'Once' } });
    await out.waitFor(1);
    assert.equal(out.ok.length, 1, JSON.stringify(out.fail[0]));
    assert.equal(posts().length, 2);
    assert.equal(env.sandbox.events.length, 1);
    assert.equal(env.sandbox.counters.idempotentReplays, 1);
  });

  it('a response slower than the timeout: retried with the same key, recorded once', async function () {
    await loadFlow(eventFlow({ timeout: 1 }));
    const out = collect();
    env.sandbox.inject({ match: { path: '/v2/events' }, fault: { type: 'delayAfterProcessing', ms: 1500 } });
    inject({ payload: { name: 'Slow' } });
    await out.waitFor(1);
    assert.equal(out.ok.length, 1, JSON.stringify(out.fail[0]));
    assert.equal(env.sandbox.events.length, 1);
  });

  it('retries exhausted: output 2, retryable, attempts counted; the flow retry reuses the key', async function () {
    await loadFlow(eventFlow({ maxAttempts: 2 }));
    const out = collect();
    env.sandbox.inject({ match: { path: '/v2/events' }, times: 2, fault: { type: 'dropAfterProcessing' } });
    inject({ payload: { name: 'Flow retry' } });
    await out.waitFor(1);
    const failed = out.fail[0] as Out;
    assert.equal(failed.error!.code, 'network_error');
    assert.equal(failed.error!.retryable, true);
    assert.equal(failed.error!.attempts, 2);
    assert.equal(env.sandbox.events.length, 1, 'FullStory applied it the first time');
    // The flow sends the same msg back in (retry loop from output 2).
    inject(failed as unknown as Record<string, unknown>);
    await out.waitFor(2);
    assert.equal(out.ok.length, 1);
    assert.equal(env.sandbox.events.length, 1, 'the flow retry did not count the event twice');
    const keys = new Set(posts().map((r) => r.headers['idempotency-key']));
    assert.equal(keys.size, 1);
    assert.equal((out.ok[0] as Out).error, undefined, 'a stale msg.error is removed on success');
  });

  it('a changed body gets a new key', async function () {
    await loadFlow(eventFlow());
    const out = collect();
    inject({ payload: { name: 'A' } });
    await out.waitFor(1);
    const msg = out.ok[0] as Out;
    inject({ ...msg, payload: { name: 'B' } } as unknown as Record<string, unknown>);
    await out.waitFor(2);
    const [a, b] = posts();
    assert.notEqual(a.headers['idempotency-key'], b.headers['idempotency-key']);
    assert.equal(env.sandbox.events.length, 2);
  });

  it('malformed JSON from FullStory is a retryable invalid_response', async function () {
    await loadFlow(eventFlow({ maxAttempts: 1 }));
    const out = collect();
    env.sandbox.inject({ match: { path: '/v2/events' }, fault: { type: 'malformed' } });
    inject({ payload: { name: 'Garbled' } });
    await out.waitFor(1);
    assert.equal((out.fail[0] as Out).error!.code, 'invalid_response');
    assert.equal((out.fail[0] as Out).error!.retryable, true);
  });
});
