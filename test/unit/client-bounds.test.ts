// The HTTP client against a misbehaving server over real loopback HTTP: every attempt ends by its
// deadline (headers and whole body), every answer is read only up to its cap (memory bounded:
// what the client's socket read is checked, not timed), and whatever comes back is redacted.
// Time is sinon's fake clock where a deadline or a pause is involved: assertions are on state
// (codes, fake elapsed time, bytes read), never on wall-clock time.

import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import fc from 'fast-check';
import sinon from 'sinon';
import { FullStoryClient, MIN_ATTEMPT_MS, UPLOAD_BYTES_PER_SECOND, type ApiRequest, type ClientSettings } from '../../nodes/lib/api/client';
import { FullStoryError } from '../../nodes/lib/api/errors';
import { localizeError, type Translate } from '../../nodes/lib/delivery/error-text';
import { RESPONSE_LIMITS } from '../../nodes/lib/api/response-body';
import { getJobStatus, updateUser } from '../../nodes/lib/api/endpoints';
import { MAX_RETRY_AFTER_MS } from '../../nodes/lib/api/retry-policy';
import enUS from '../../nodes/fullstory-config/locales/en-US/fullstory-config.json';
import { numRuns } from '../support/fc-runs';
import { ioSettle, ioUntil } from '../support/io';
import { bareKey, escapeModesArb, jsonEscaped, keyArb } from '../support/key-arbitraries';
import {
  drip, echoHeaders, endless, endlessGzip, endsEarly, json, oversized, pieces, silent, startMisbehavingServer, type MisbehavingServer,
} from '../support/misbehaving-server';

const KEY = 'na1.client-bounds-SECRET-key';
/** Headers and the one chunk that crossed the cap: what a socket may read past a cap. */
const SLACK = 64 * 1024 + 4096;

type Outcome = { ok: true; data: unknown; attempts: number } | { ok: false; error: FullStoryError };

describe('client bounds (misbehaving server over HTTP)', function () {
  let server: MisbehavingServer;
  let clock: sinon.SinonFakeTimers | undefined;
  const clients: FullStoryClient[] = [];

  before(async function () { server = await startMisbehavingServer(); });
  after(async function () { await server.close(); });
  afterEach(function () {
    clock?.restore();
    clock = undefined;
    for (const c of clients.splice(0)) c.destroy();
    server.reset();
  });

  function client(over: Partial<Omit<ClientSettings, 'retry'>> & { retry?: Partial<ClientSettings['retry']> } = {}, apiKey = KEY): FullStoryClient {
    const c = new FullStoryClient({
      apiKey,
      baseUrl: server.url,
      timeoutMs: 1000,
      maxConcurrency: 4,
      maxJobs: 1,
      requestsPerSecond: 0,
      ...over,
      retry: { maxAttempts: 5, budgetMs: 3000, baseDelayMs: 500, maxDelayMs: 8000, ...over.retry },
    });
    clients.push(c);
    return c;
  }

  const fakeTime = (): sinon.SinonFakeTimers => {
    clock = sinon.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
    return clock;
  };

  /** Starts a request and records how it ends, and when (Date.now(): fake time under a fake clock). */
  function start(c: FullStoryClient, req: ApiRequest): { outcome: () => Outcome | undefined; endedAt: () => number } {
    let outcome: Outcome | undefined;
    let endedAt = Number.NaN;
    c.request(req).then(
      (r) => { outcome = { ok: true, data: r.data, attempts: r.attempts }; },
      (error: FullStoryError) => { outcome = { ok: false, error }; },
    ).finally(() => { endedAt = Date.now(); });
    return { outcome: () => outcome, endedAt: () => endedAt };
  }

  /** Fake time moves in small steps while real I/O runs, until the request has ended. */
  async function driveUntilSettled(t: sinon.SinonFakeTimers, run: ReturnType<typeof start>, stepMs = 25, maxMs = 120_000): Promise<Outcome> {
    for (let elapsed = 0; !run.outcome(); elapsed += stepMs) {
      if (elapsed > maxMs) throw new Error('the request did not end in fake time');
      await ioSettle(10);
      if (!run.outcome()) await t.tickAsync(stepMs);
    }
    return run.outcome()!;
  }

  async function failure(c: FullStoryClient, req: ApiRequest): Promise<FullStoryError> {
    try {
      await c.request(req);
    } catch (err) {
      assert.ok(err instanceof FullStoryError, String(err));
      return err;
    }
    assert.fail('the request should have failed');
  }

  const english: Translate = (key, vars) => {
    let node: unknown = enUS;
    for (const part of key.slice(key.indexOf(':') + 1).split('.')) node = (node as Record<string, unknown> | undefined)?.[part];
    return typeof node === 'string' ? node.replace(/__(.+?)__/g, (_, name: string) => String(vars?.[name] ?? '')) : key;
  };
  /** A new error text comes from the catalog, and the en-US catalog says what the English says. */
  function assertCatalogued(error: FullStoryError): void {
    assert.ok(error.i18n, `no catalog key for: ${error.message}`);
    assert.equal(localizeError(english, error), error.message);
  }

  describe('deadline per attempt', function () {
    it('a body dripping a byte every 300 ms: each attempt ends at the 1 s timeout, the msg by the 3 s budget', async function () {
      const c = client();
      server.answer(drip(200, `{"id":"${'x'.repeat(500)}"}`, 300));
      const t = fakeTime();
      const startedAt = Date.now();
      const run = start(c, { method: 'POST', path: '/v2/users', body: { uid: 'u' }, idempotencyKey: 'k1' });
      const outcome = await driveUntilSettled(t, run);
      assert.ok(!outcome.ok, 'the drip never completes within the deadline');
      const error = outcome.error;
      assert.equal(error.code, 'timeout');
      assert.equal(error.retryable, true);
      assert.equal(error.maybeApplied, true, 'the request reached the server: it may have acted');
      assert.ok(error.attempts >= 2, `retried within the budget (${error.attempts} attempts)`);
      assert.ok(run.endedAt() - startedAt <= 3000, `left after ${run.endedAt() - startedAt} ms of fake time, past the 3 s budget`);
      assert.equal(server.exchanges.length, error.attempts);
      await ioUntil(() => server.exchanges.every((e) => e.finished), 'server sees every attempt end');
      for (const e of server.exchanges) assert.ok(e.closedByClient && e.bytesWritten < 10, `attempt cut off after ${e.bytesWritten} bytes`);
      assertCatalogued(error);
    });

    it('headers that never come: timeout within the deadline, the socket is dropped', async function () {
      const c = client({ timeoutMs: 2000, retry: { maxAttempts: 1 } });
      server.answer(silent());
      const t = fakeTime();
      const startedAt = Date.now();
      const run = start(c, { method: 'GET', path: '/v2/users/1' });
      const outcome = await driveUntilSettled(t, run);
      assert.ok(!outcome.ok);
      assert.equal(outcome.error.code, 'timeout');
      assert.equal(outcome.error.attempts, 1);
      assert.equal(run.endedAt() - startedAt, 2000, 'ended at the 2 s deadline');
      await ioUntil(() => server.exchanges[0]?.finished === true, 'the server sees the client hang up');
      assert.equal(server.exchanges[0].closedByClient, true);
    });

    it('an attempt never runs past the retry budget (timeout 10 s, budget 3 s)', async function () {
      const c = client({ timeoutMs: 10_000, retry: { budgetMs: 3000 } });
      server.answer(silent());
      const t = fakeTime();
      const startedAt = Date.now();
      const run = start(c, { method: 'GET', path: '/v2/users/1' });
      const outcome = await driveUntilSettled(t, run);
      assert.ok(!outcome.ok);
      assert.equal(outcome.error.code, 'timeout');
      assert.equal(run.endedAt() - startedAt, 3000, 'the attempt was cut to the budget');
      assert.equal(outcome.error.attempts, 1, 'no retry: too little budget would be left for it');
      assert.ok(MIN_ATTEMPT_MS <= 1000);
    });

    it('a large request body (a batch job) gets its upload time on top of the timeout', async function () {
      const c = client({ timeoutMs: 1000, retry: { maxAttempts: 1, budgetMs: 60_000 } });
      server.answer(silent());
      const t = fakeTime();
      const startedAt = Date.now();
      const body = `{"requests":["${'r'.repeat(3 * UPLOAD_BYTES_PER_SECOND)}"]}`;
      const run = start(c, { method: 'POST', path: '/v2/events/batch', body, idempotencyKey: 'k6' });
      await ioUntil(() => server.exchanges.length === 1, 'the job is uploaded');
      const outcome = await driveUntilSettled(t, run, 100);
      assert.ok(!outcome.ok);
      assert.equal(outcome.error.code, 'timeout');
      const expected = 1000 + Math.ceil(((body.length - UPLOAD_BYTES_PER_SECOND) * 1000) / UPLOAD_BYTES_PER_SECOND);
      assert.equal(run.endedAt() - startedAt, expected, 'the deadline: 1 s plus about 2 s for the 1.5 MB past the first 0.5 MB');
    });
  });

  describe('size cap per answer', function () {
    it('an endless 200 body: invalid_response (retryable for a GET), each socket read at most the cap and a chunk', async function () {
      const c = client({ retry: { maxAttempts: 2 } });
      server.answer(endless(200, 'x'.repeat(16 * 1024)));
      const cap = 1024 * 1024;
      const error = await failure(c, { method: 'GET', path: '/v2/users', maxResponseBytes: cap });
      assert.equal(error.code, 'invalid_response');
      assert.equal(error.status, 200);
      assert.equal(error.retryable, true);
      assert.equal(error.attempts, 2);
      assert.match(error.message, /larger than 1 MiB/);
      assertCatalogued(error);
      await ioUntil(() => server.exchanges.length === 2 && server.exchanges.every((e) => e.finished), 'both answers cut off');
      assert.ok(server.exchanges.every((e) => e.closedByClient));
      const read = server.clientBytesRead();
      assert.ok(read.length >= 1 && read.every((n) => n <= cap + SLACK), `client sockets read ${read.join(', ')} bytes for a ${cap}-byte cap`);
    });

    it('the cap a call declares fits what FullStory sends for it (job status: small)', async function () {
      const c = client({ retry: { maxAttempts: 1 } });
      server.answer(endless(200, 'x'.repeat(4096)));
      const error = await failure(c, { ...getJobStatus('users', 'job1').request });
      assert.equal(error.code, 'invalid_response');
      const read = server.clientBytesRead();
      assert.ok(read.every((n) => n <= RESPONSE_LIMITS.small + SLACK), `read ${read.join(', ')}`);
    });

    it('a compressed answer is counted after decompression (a zip bomb stops at the cap)', async function () {
      const c = client({ retry: { maxAttempts: 1 } });
      server.answer(endlessGzip(200));
      const error = await failure(c, { method: 'GET', path: '/v2/users/1', maxResponseBytes: 2 * 1024 * 1024 });
      assert.equal(error.code, 'invalid_response');
      await ioUntil(() => server.exchanges[0]?.finished === true, 'the answer is cut off');
      assert.equal(server.exchanges[0].closedByClient, true);
    });

    it('an oversized complete 200: retryable only when repeating is safe; FullStory may have acted', async function () {
      const c = client({ retry: { baseDelayMs: 1, maxDelayMs: 1 } });
      server.answer(oversized(200, RESPONSE_LIMITS.small + 1));
      const keyed = await failure(c, { method: 'POST', path: '/v2/events', body: { name: 'E' }, idempotencyKey: 'k2' });
      assert.deepEqual([keyed.code, keyed.retryable, keyed.maybeApplied], ['invalid_response', true, true]);
      assert.ok(keyed.attempts > 1, 'retried with the same key');
      const update = await failure(c, { ...updateUser('123', { email: 'a@example.com' }).request });
      assert.deepEqual([update.code, update.retryable, update.maybeApplied], ['invalid_response', true, true], 'an update is idempotent by nature (the call says so)');
      const undeclared = await failure(c, { method: 'POST', path: '/v2/users/123', body: { email: 'a@example.com' } });
      assert.equal(undeclared.retryable, false, 'the transport does not guess from the path');
      server.reset();
      const unkeyed = await failure(c, { method: 'POST', path: '/v2/events', body: { name: 'E' } });
      assert.deepEqual([unkeyed.code, unkeyed.retryable, unkeyed.maybeApplied, unkeyed.attempts], ['invalid_response', false, true, 1]);
      assert.equal(server.exchanges.length, 1, 'a create without an Idempotency-Key is not sent again');
    });

    it('an answer just within the cap is read whole', async function () {
      const c = client();
      const body = JSON.stringify({ id: 'x'.repeat(RESPONSE_LIMITS.small - 9) });
      assert.equal(body.length, RESPONSE_LIMITS.small);
      server.answer(json(200, body));
      const response = await c.request<{ id: string }>({ method: 'POST', path: '/v2/users', body: {}, idempotencyKey: 'k3' });
      assert.equal(response.data.id.length, RESPONSE_LIMITS.small - 9);
    });

    it('a huge error page is cut at 64 KiB: the status still decides, nothing more is read', async function () {
      const c = client({ retry: { maxAttempts: 1 } });
      server.answer(endless(503, '<html>'.repeat(4096)));
      const error = await failure(c, { method: 'GET', path: '/v2/users' });
      assert.equal(error.status, 503);
      assert.equal(error.code, 'http_503');
      assert.equal(error.retryable, true);
      assert.ok(error.message.length < 400);
      const read = server.clientBytesRead();
      assert.ok(read.every((n) => n <= RESPONSE_LIMITS.small + SLACK), `read ${read.join(', ')}`);
    });

    it('a body that ends early (connection dropped mid-answer): network_error, retryable, maybe applied', async function () {
      const c = client({ retry: { maxAttempts: 1 } });
      server.answer(endsEarly(200, '{"id":"12', 1000));
      const error = await failure(c, { method: 'POST', path: '/v2/users', body: {}, idempotencyKey: 'k4' });
      assert.equal(error.code, 'network_error');
      assert.equal(error.retryable, true);
      assert.equal(error.maybeApplied, true);
    });

    it('malformed JSON: invalid_response from the catalog', async function () {
      const c = client({ retry: { maxAttempts: 1 } });
      server.answer(json(200, '{"id": nope'));
      const error = await failure(c, { method: 'GET', path: '/v2/users/1' });
      assert.equal(error.code, 'invalid_response');
      assertCatalogued(error);
    });
  });

  describe('nothing from the server reaches a caller unredacted', function () {
    const where = fc.constantFrom('value', 'name', 'message', 'deep', 'top');
    const bodyWith = (echo: string, place: string, filler: unknown): string => {
      const slot = '\u0001slot\u0001';
      const shapes: Record<string, unknown> = {
        value: { id: '42', uid: slot, filler },
        name: { id: '42', properties: { [slot]: filler } },
        message: { code: 'invalid_argument', message: `rejected "Authorization: Basic ${slot}"`, filler },
        deep: { results: [{ user: { properties: { h: [[{ authorization: slot }]] } } }], filler },
        top: slot,
      };
      return JSON.stringify(shapes[place]).split(JSON.stringify(slot).slice(1, -1)).join(echo);
    };

    it('generated keys echoed anywhere in a 2xx or error body (escaped, split across TCP writes)', async function () {
      await fc.assert(
        fc.asyncProperty(
          keyArb, fc.boolean(), where, fc.jsonValue({ maxDepth: 2 }), escapeModesArb, fc.array(fc.nat(), { maxLength: 4 }),
          fc.constantFrom(200, 400, 500),
          async (key, bare, place, filler, modes, cuts, status) => {
            const text = bodyWith(jsonEscaped(bare ? bareKey(key) : key, modes), place, filler);
            const points = [...new Set(cuts.map((n) => n % (text.length + 1)))].sort((a, b) => a - b);
            const parts = [0, ...points, text.length].slice(1).map((end, i, ends) => text.slice(i === 0 ? 0 : ends[i - 1], end));
            server.answer(pieces(status, parts));
            const c = client({ retry: { maxAttempts: 1 } }, key);
            let shown: string;
            try {
              const response = await c.request({ method: 'GET', path: '/v2/users/1' });
              shown = `${JSON.stringify(response.data)}\n${inspect(response, { depth: 20 })}`;
            } catch (err) {
              assert.ok(err instanceof FullStoryError, String(err));
              shown = `${JSON.stringify(err.toMsgError())}\n${err.stack}\n${inspect(err, { depth: 8, showHidden: true })}`;
            }
            for (const needle of [key, bareKey(key)]) assert.ok(!shown.includes(needle), `${needle} in ${shown.slice(0, 400)}`);
          },
        ),
        { numRuns: numRuns(40) },
      );
    });

    it('a debug endpoint echoing the request headers into a 200: the Authorization value is redacted', async function () {
      const c = client();
      server.answer(echoHeaders());
      const response = await c.request<{ headers: Record<string, string> }>({ method: 'POST', path: '/v2/users', body: {}, idempotencyKey: 'k5' });
      assert.equal(response.data.headers.authorization, 'Basic [redacted]');
      assert.equal(response.data.headers['idempotency-key'], 'k5', 'everything else is left as it came');
      assert.equal(server.exchanges[0].headers.authorization, `Basic ${KEY}`, 'the key did go out, in the header');
    });
  });

  describe('Retry-After', function () {
    it('one absurd Retry-After pauses the config for 5 minutes at most; then requests flow again', async function () {
      const c = client({ retry: { budgetMs: 30_000 } });
      server.answer(json(429, { code: 'too_many_requests', message: 'slow down' }, { 'retry-after': '1000000000' }));
      const t = fakeTime();
      const first = await failure(c, { method: 'GET', path: '/v2/users/1' });
      assert.equal(first.code, 'too_many_requests');
      server.answer(json(200, { id: '1' }));
      const refused = await failure(c, { method: 'GET', path: '/v2/users/2' });
      assert.equal(refused.code, 'too_many_requests', 'another node of the config waits too');
      assert.equal(refused.attempts, 0, 'and sends nothing');
      assertCatalogued(refused);
      assert.equal(server.exchanges.length, 1);
      await t.tickAsync(MAX_RETRY_AFTER_MS);
      const run = start(c, { method: 'GET', path: '/v2/users/3' });
      await ioUntil(() => run.outcome() !== undefined, 'the request after the pause ends');
      assert.equal(run.outcome()!.ok, true, 'after the capped pause, requests flow again');
    });

    it('generated Retry-After values: the retry waits at most the cap, nothing throws', async function () {
      const header = fc.oneof(
        fc.constant('60'), // once hidden by the deadline timer's own 60 s
        fc.stringMatching(/^\d{1,30}$/),
        fc.stringMatching(/^\d{1,6}\.\d{1,6}$/),
        fc.stringMatching(/^-\d{1,12}$/),
        fc.date({ min: new Date(0), max: new Date(8.64e15), noInvalidDate: true }).map((d) => d.toUTCString()),
        fc.string({ unit: 'grapheme-ascii', maxLength: 40 }),
      );
      // An attempt's deadline beyond the cap: fake time moves in 1 s steps and the loop below
      // gives up after the cap, so the deadline never fires, and its timer is the one wait longer
      // than any legal Retry-After (a 60 s deadline hid the wait of a generated "60").
      const deadlineMs = 2 * MAX_RETRY_AFTER_MS;
      const c = client({ timeoutMs: deadlineMs, retry: { budgetMs: 3_600_000, maxAttempts: 2 } });
      const t = fakeTime();
      // Every wait the client starts (its retry sleep, the shared pause), the deadline timer aside.
      const waits: number[] = [];
      const fakeSetTimeout = globalThis.setTimeout;
      globalThis.setTimeout = ((fn: () => void, ms?: number) => {
        if (ms !== deadlineMs) waits.push(ms ?? 0);
        return fakeSetTimeout(fn, ms);
      }) as typeof setTimeout;
      try {
        await fc.assert(
          fc.asyncProperty(header, async (value) => {
            server.reset();
            waits.length = 0;
            server.answer((req, res, exchange) => {
              const script = server.exchanges.length === 1 ? json(429, { code: 'too_many_requests', message: 'x' }, { 'retry-after': value }) : json(200, { id: '1' });
              script(req, res, exchange);
            });
            const run = start(c, { method: 'GET', path: '/v2/users/1' });
            for (let step = 0; run.outcome() === undefined; step++) {
              assert.ok(step <= MAX_RETRY_AFTER_MS / 1000 + 10, 'the retry came within the cap');
              await ioSettle(20);
              if (run.outcome() === undefined && server.exchanges.length !== 1) continue; // in flight
              if (run.outcome() === undefined) await t.tickAsync(1000);
            }
            assert.equal(run.outcome()!.ok, true, JSON.stringify(run.outcome()));
            assert.equal(server.exchanges.length, 2);
            assert.ok(waits.length > 0 && waits.every((ms) => ms >= 0 && ms <= MAX_RETRY_AFTER_MS), `waits ${waits.join(', ')} for Retry-After ${JSON.stringify(value)}`);
            await t.tickAsync(MAX_RETRY_AFTER_MS); // the shared pause is over for the next case
          }),
          { numRuns: numRuns(25) },
        );
      } finally {
        globalThis.setTimeout = fakeSetTimeout;
      }
    });
  });
});
