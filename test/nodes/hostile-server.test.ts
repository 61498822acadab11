// Data nodes against a misbehaving server (test/support/misbehaving-server.ts) over real loopback
// HTTP: a msg is never held past its retry budget by a dripping or silent server, an endless
// answer ends in `invalid_response` with the client's memory bounded, and one absurd Retry-After
// pauses the nodes sharing a config for at most MAX_RETRY_AFTER_MS. Time is sinon's fake clock:
// assertions are on state (codes, fake elapsed time, bytes read), never on wall-clock time.

import assert from 'node:assert/strict';
import sinon from 'sinon';
import { FullStoryClient } from '../../nodes/lib/api/client';
import { RESPONSE_LIMITS } from '../../nodes/lib/api/response-body';
import { MAX_RETRY_AFTER_MS } from '../../nodes/lib/api/retry-policy';
import { collect, configFor, dataNode, helper, loadFlow, type FlowNode } from '../support/harness';
import { drive, ioSettle, ioUntil } from '../support/io';
import { drip, endless, json, silent, startMisbehavingServer, type MisbehavingServer } from '../support/misbehaving-server';
import { send, type Out } from '../support/exits';

describe('data nodes against a misbehaving server (over HTTP)', function () {
  let server: MisbehavingServer;
  let clock: sinon.SinonFakeTimers | undefined;
  before(async function () { server = await startMisbehavingServer(); });
  after(async function () { await server.close(); });
  beforeEach(function (done) { server.reset(); helper.startServer(done); });
  afterEach(async function () {
    clock?.restore();
    clock = undefined;
    sinon.restore();
    await helper.unload();
    await new Promise<void>((r) => helper.stopServer(() => r()));
  });

  /** An event node (n1) and a user node (n2) sharing one config, each wired to ok / fail. */
  function flow(config: Record<string, unknown>, user: Record<string, unknown> = {}): FlowNode[] {
    return [
      { id: 'f1', type: 'tab', label: 'hostile' },
      configFor(server.url, config),
      dataNode({ id: 'n1', z: 'f1', type: 'fullstory-event', wires: [['ok'], ['fail']] }),
      dataNode({ id: 'n2', z: 'f1', type: 'fullstory-user', operation: 'upsert', wires: [['ok'], ['fail']], ...user }),
      { id: 'ok', z: 'f1', type: 'helper' },
      { id: 'fail', z: 'f1', type: 'helper' },
    ];
  }

  const fakeTime = (): sinon.SinonFakeTimers => {
    clock = sinon.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
    return clock;
  };
  const errorOf = (m: unknown) => (m as Out).error!;

  /** Fake times at which the client's requests ended (resolved or rejected): the msg leaves right
   * after, by I/O alone, so this is when the node knew the outcome. */
  function requestEnds(): number[] {
    const ends: number[] = [];
    const request = FullStoryClient.prototype.request;
    sinon.stub(FullStoryClient.prototype, 'request').callsFake(async function (this: FullStoryClient, ...args: Parameters<FullStoryClient['request']>) {
      try {
        return await request.apply(this, args);
      } finally {
        ends.push(Date.now());
      }
    });
    return ends;
  }

  it('a body dripping a byte every 300 ms (timeout 1 s, budget 3 s): the msg leaves with timeout within 3 s', async function () {
    await loadFlow(flow({ timeout: 1, retryBudget: 3, maxAttempts: 5 }));
    const out = collect();
    server.answer(drip(200, `{${' '.repeat(200)}}`, 300));
    const ends = requestEnds();
    const t = fakeTime();
    const startedAt = Date.now();
    send({ payload: { name: 'Dripped' } });
    await ioUntil(() => server.exchanges.length === 1, 'the request reaches the server');
    await drive(t, () => out.ok.length + out.fail.length === 1, 25);
    assert.equal(out.fail.length, 1);
    const error = errorOf(out.fail[0]);
    assert.equal(error.code, 'timeout');
    assert.equal(error.retryable, true);
    assert.ok(ends[0] - startedAt <= 3000, `the msg was held ${ends[0] - startedAt} ms of fake time`);
    assert.ok(error.attempts >= 2);
    assert.match(error.message, /did not answer within 1 s/);
  });

  it('headers that never come: the msg leaves with timeout by the budget, even with a longer timeout', async function () {
    await loadFlow(flow({ timeout: 30, retryBudget: 5, maxAttempts: 5 }));
    const out = collect();
    server.answer(silent());
    const ends = requestEnds();
    const t = fakeTime();
    const startedAt = Date.now();
    send({ payload: { name: 'Silent' } });
    // Fake time stands still until the request is out, so the client started at `startedAt`.
    await ioUntil(() => server.exchanges.length === 1, 'the request reaches the server');
    await drive(t, () => out.ok.length + out.fail.length === 1, 50);
    assert.equal(errorOf(out.fail[0]).code, 'timeout');
    assert.ok(ends[0] - startedAt <= 5000, `held ${ends[0] - startedAt} ms`);
    await ioUntil(() => server.exchanges.every((e) => e.finished), 'the server sees each attempt dropped');
    assert.ok(server.exchanges.every((e) => e.closedByClient));
  });

  it('an endless answer to a user get: invalid_response, and no client socket read more than the cap and a chunk', async function () {
    await loadFlow(flow({ maxAttempts: 1 }, { operation: 'get' }));
    const out = collect();
    server.answer(endless(200, 'x'.repeat(64 * 1024)));
    send({ payload: { id: '42' } }, 'n2');
    await out.waitFor(1);
    const error = errorOf(out.fail[0]);
    assert.equal(error.code, 'invalid_response');
    assert.equal(error.retryable, true, 'a GET may be asked again');
    assert.equal(error.attempts, 1);
    const read = server.clientBytesRead();
    assert.ok(read.length > 0 && read.every((n) => n <= RESPONSE_LIMITS.user + 128 * 1024), `sockets read ${read.join(', ')} bytes`);
  });

  it('one 429 with Retry-After 1000000000: every node of the config pauses, for 5 minutes at most', async function () {
    await loadFlow(flow({ retryBudget: 30 }));
    const out = collect();
    server.answer(json(429, { code: 'too_many_requests', message: 'slow down' }, { 'retry-after': '1000000000' }));
    const t = fakeTime();
    send({ payload: { name: 'First' } });
    await ioUntil(() => out.fail.length === 1, 'the 429 leaves');
    assert.equal(errorOf(out.fail[0]).code, 'too_many_requests');
    server.answer(json(200, { id: '7' }));
    // The user node shares the config: it waits too, and sends nothing (the pause outlasts its budget).
    send({ payload: { uid: 'u1' } }, 'n2');
    await ioUntil(() => out.fail.length === 2, 'the paused msg leaves');
    assert.equal(errorOf(out.fail[1]).code, 'too_many_requests');
    assert.equal(server.exchanges.length, 1, 'nothing was sent during the pause');
    await t.tickAsync(MAX_RETRY_AFTER_MS - 1000);
    // One second before the cap, the pause fits the budget: the msg waits it out, unsent.
    send({ payload: { name: 'Waits' } });
    await ioSettle(200);
    assert.equal(server.exchanges.length, 1, 'not sent before the capped pause ends');
    await t.tickAsync(1000);
    await ioUntil(() => out.ok.length === 1, 'sent once the capped pause has ended');
    send({ payload: { uid: 'u2' } }, 'n2');
    await ioUntil(() => out.ok.length === 2, 'requests flow again for every node of the config');
    assert.equal(server.exchanges.length, 3);
    assert.ok(server.exchanges[1].at - server.exchanges[0].at <= MAX_RETRY_AFTER_MS, 'the pause lasted at most the cap');
  });
});
