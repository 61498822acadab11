// What the server answers, node-level: answers of the wrong shape, null bodies, odd ids and page
// loops that would never end, from a scripted server over loopback HTTP, through deployed nodes
// (node-red-node-test-helper) in single and batch mode. Node configs start from the editor's
// defaults. Each msg must leave exactly once; a wrong answer is never a success.

import assert from 'node:assert/strict';
import sinon from 'sinon';
import fc from 'fast-check';
import { MAX_EMPTY_PAGES_IN_A_ROW, maxPagesFor } from '../../nodes/lib/api/paging';
import { isServerId } from '../../nodes/lib/api/response-checks';
import { startScriptedApi, type ScriptedApi } from '../support/scripted-api';
import { assertEachOnce, send, trackDone, untrackDone, type Out } from '../support/exits';
import { collect, helper, loadFlow, type Collected, type FlowNode } from '../support/harness';
import { editorNode } from '../support/editor-defaults';
import { runtimeSettings } from '../support/sandbox-suite';
import { drive, ioUntil } from '../support/io';
import { numRuns } from '../support/fc-runs';

/** Cases through a deployed node over loopback HTTP (tens of milliseconds a case). */
const NODE_RUNS = numRuns(15, 20);

const job = (id: string, status = 'PROCESSING') => ({ job: { id, status, created: '2026-01-01T00:00:00Z' } });

describe('what the server answers: wrong shapes, null bodies, endless paging, odd ids (scripted server over HTTP)', function () {
  let api: ScriptedApi;
  let clock: sinon.SinonFakeTimers | undefined;

  before(async function () { api = await startScriptedApi(); });
  after(async function () {
    helper.settings({});
    await api.close();
  });
  beforeEach(function (done) {
    api.reset();
    trackDone();
    helper.startServer(done);
  });
  afterEach(async function () {
    clock?.restore();
    clock = undefined;
    await helper.unload();
    untrackDone();
    await new Promise<void>((r) => helper.stopServer(() => r()));
    runtimeSettings({});
  });

  /** A user node (n1) and an event node (n2) sharing one config node that points at the scripted server. */
  function flow(user: Record<string, unknown> = {}, event: Record<string, unknown> = {}, config: Record<string, unknown> = {}): FlowNode[] {
    return [
      { id: 'f1', type: 'tab', label: 'test' },
      editorNode('fullstory-config', { id: 'cfg', baseUrl: api.url, ...config }),
      editorNode('fullstory-user', { id: 'n1', z: 'f1', server: 'cfg', ...user, wires: [['ok'], ['fail']] }),
      editorNode('fullstory-event', { id: 'n2', z: 'f1', server: 'cfg', ...event, wires: [['ok2'], ['fail2']] }),
      { id: 'ok', z: 'f1', type: 'helper' },
      { id: 'fail', z: 'f1', type: 'helper' },
      { id: 'ok2', z: 'f1', type: 'helper' },
      { id: 'fail2', z: 'f1', type: 'helper' },
    ];
  }

  /** Sends one msg and waits for it to leave; returns where it went and as what. */
  async function outcome(out: Collected, msg: Record<string, unknown>, node = 'n1'): Promise<{ port: 'ok' | 'fail'; msg: Out }> {
    const before = out.ok.length + out.fail.length;
    const id = send(msg, node);
    await out.waitFor(before + 1);
    const ok = out.ok.find((m) => m._msgid === id);
    return ok ? { port: 'ok', msg: ok as Out } : { port: 'fail', msg: out.fail.find((m) => m._msgid === id) as Out };
  }

  function assertInvalidResponse(result: { port: string; msg: Out }, call: string, what: string): void {
    assert.equal(result.port, 'fail', `${what}: a wrong answer must not be a success (${JSON.stringify(result.msg.fullstory)})`);
    const error = result.msg.error!;
    assert.equal(error.code, 'invalid_response', `${what}: ${error.message}`);
    assert.equal(error.status, 200, what);
    assert.equal(error.retryable, true, `${what}: a read, an upsert or a keyed create may be sent again`);
    assert.ok(error.message.startsWith(`FullStory's answer to ${call} does not match the API: body`), `${what}: ${error.message}`);
    assert.equal(result.msg.fullstory?.id, undefined, `${what}: no id taken from a wrong answer`);
  }

  const ODD_IDS: Array<[string, unknown]> = [
    ['a number', 5], ['null', null], ['a list', ['1']], ['an object', { id: '1' }], ['true', true], ['empty', ''], ['"."', '.'], ['".."', '..'],
    ['"%2e%2e"', '%2e%2e'], ['"../x"', '../x'], ['257 characters', 'a'.repeat(257)], ['a NUL', 'a\u0000b'], ['a line break', '1\n2'],
    ['a space', '1 2'], ['"?"', '1?x=2'], ['"#"', '1#x'], ['non-ASCII', 'ü1'],
  ];
  const NOT_OBJECTS: Array<[string, unknown]> = [['null', null], ['a list', []], ['text', 'ok'], ['a number', 42], ['true', true]];

  describe('single mode: an answer of the wrong shape leaves on output 2 as invalid_response', function () {
    const single: Array<{ title: string; msg: Record<string, unknown>; node?: string; route: [string, string]; call: string; bodies: Array<[string, unknown]> }> = [
      {
        title: 'upsert (POST /v2/users)', msg: { payload: { uid: 'u1' } }, route: ['POST', '/v2/users'], call: 'POST /v2/users',
        bodies: [...NOT_OBJECTS, ['no id', {}], ...ODD_IDS.map(([what, id]): [string, unknown] => [`id ${what}`, { id }])],
      },
      {
        title: 'update (POST /v2/users/{id})', msg: { operation: 'update', payload: { id: '42', email: 'a@example.com' } }, route: ['POST', '/v2/users/42'], call: 'POST /v2/users/{id}',
        bodies: [...NOT_OBJECTS, ['id a number', { id: 42 }], ['id ".."', { id: '..' }], ['id "a/../b"', { id: 'a/../b' }]],
      },
      {
        title: 'get (GET /v2/users/{id})', msg: { operation: 'get', payload: { id: '42' } }, route: ['GET', '/v2/users/42'], call: 'GET /v2/users/{id}',
        bodies: [
          ...NOT_OBJECTS, ['no id', { uid: 'u1' }], ['id a number', { id: 42 }], ['id "."', { id: '.' }], ['email a number', { id: '42', email: 5 }],
          ['uid an object', { id: '42', uid: {} }], ['is_being_deleted text', { id: '42', is_being_deleted: 'no' }], ['properties a list', { id: '42', properties: [] }],
        ],
      },
      {
        title: 'list (GET /v2/users)', msg: { operation: 'list', payload: { email: 'a@example.com' } }, route: ['GET', '/v2/users'], call: 'GET /v2/users',
        bodies: [
          ...NOT_OBJECTS, ['no results', { total_records: '0' }], ['results null', { results: null }], ['results an object', { results: {} }],
          ['results text', { results: 'none' }], ['a user null', { results: [null] }], ['a user without id', { results: [{ uid: 'u1' }] }],
          ['a user id a number', { results: [{ id: 1 }] }], ['a user id ".."', { results: [{ id: '..' }] }],
          ['the token a number', { results: [], next_page_token: 5 }], ['the token with a CR', { results: [], next_page_token: 'a\rb' }],
          ['the token 5000 characters', { results: [], next_page_token: 'a'.repeat(5000) }], ['total_records a number', { results: [], total_records: 3 }],
        ],
      },
      { title: 'delete by id (DELETE /v2/users/{id})', msg: { operation: 'delete', payload: { id: '42' } }, route: ['DELETE', '/v2/users/42'], call: 'DELETE /v2/users/{id}', bodies: NOT_OBJECTS },
      { title: 'delete by uid (DELETE /v2/users?uid=)', msg: { operation: 'delete', payload: { uid: 'u1' } }, route: ['DELETE', '/v2/users'], call: 'DELETE /v2/users?uid=', bodies: NOT_OBJECTS },
      { title: 'event (POST /v2/events)', node: 'n2', msg: { payload: { name: 'Clicked' } }, route: ['POST', '/v2/events'], call: 'POST /v2/events', bodies: NOT_OBJECTS },
    ];
    for (const c of single) {
      it(`${c.title}: ${c.bodies.length} wrong answers`, async function () {
        await loadFlow(flow());
        const out = c.node === 'n2' ? collect('ok2', 'fail2') : collect();
        const ids: string[] = [];
        for (const [what, body] of c.bodies) {
          api.reset();
          api.on(c.route[0], c.route[1], { body });
          const result = await outcome(out, c.msg, c.node);
          ids.push(result.msg._msgid);
          assertInvalidResponse(result, c.call, what);
          assert.equal(api.requests.length, 1, `${what}: asked once (a wrong 2xx answer is not retried by the client)`);
        }
        assertEachOnce(out, ids);
      });
    }

    it('a null body is invalid_response, not internal_error (the bug this fixes)', async function () {
      await loadFlow(flow());
      const out = collect();
      api.on('POST', '/v2/users', { raw: 'null' });
      const result = await outcome(out, { payload: { uid: 'u1' } });
      assertInvalidResponse(result, 'POST /v2/users', 'null');
      assert.match(result.msg.error!.message, /body should be an object, but it is null\. Nothing was read from it\.$/);
    });

    it('liberal where the spec allows: null optional fields and unknown fields pass; an update without id keeps the id sent; an event answer is any object', async function () {
      await loadFlow(flow());
      const out = collect();
      const events = collect('ok2', 'fail2');
      const user = { id: '42', uid: null, email: null, display_name: 'Ann', is_being_deleted: null, properties: null, schema: null, type_conflicts: null, app_url: null, future_field: [1, { x: 2 }] };
      api.on('GET', '/v2/users/42', { body: user });
      api.on('POST', '/v2/users/42', { body: {} });
      api.on('GET', '/v2/users', { body: { results: [user], next_page_token: null, total_records: null, app_url: 'https://app.fullstory.com/x' } });
      api.on('POST', '/v2/events', (_req, n) => ({ body: n === 1 ? {} : { anything: ['goes'] } }));
      const got = await outcome(out, { operation: 'get', payload: { id: '42' } });
      assert.deepEqual([got.port, got.msg.payload, got.msg.fullstory!.id], ['ok', user, '42']);
      const updated = await outcome(out, { operation: 'update', payload: { id: '42', email: 'a@example.com' } });
      assert.deepEqual([updated.port, updated.msg.fullstory!.id], ['ok', '42']);
      const listed = await outcome(out, { operation: 'list', payload: {} });
      assert.deepEqual([listed.port, listed.msg.payload], ['ok', [user]]);
      for (let i = 0; i < 2; i++) assert.equal((await outcome(events, { payload: { name: 'Clicked' } }, 'n2')).port, 'ok');
    });

    it('an id with "/" (base64) from a create is passed on, and a later get sends it encoded as one path segment', async function () {
      await loadFlow(flow());
      const out = collect();
      api.on('POST', '/v2/users', { body: { id: 'a/b+c=' } });
      api.on('GET', '/v2/users/a%2Fb%2Bc%3D', { body: { id: 'a/b+c=' } });
      const created = await outcome(out, { payload: { uid: 'u1' } });
      assert.deepEqual([created.port, created.msg.fullstory!.id], ['ok', 'a/b+c=']);
      const got = await outcome(out, { operation: 'get', payload: { id: created.msg.fullstory!.id } });
      assert.equal(got.port, 'ok');
      assert.deepEqual(api.requests.map((r) => `${r.method} ${r.rawPath}`), ['POST /v2/users', 'GET /v2/users/a%2Fb%2Bc%3D']);
    });
  });

  describe('single mode: a user list always ends, and soon', function () {
    const user = (n: number) => ({ id: String(n), uid: `u${n}` });

    it(`empty pages, each with a fresh token: ${MAX_EMPTY_PAGES_IN_A_ROW + 1} requests, then invalid_response`, async function () {
      await loadFlow(flow());
      const out = collect();
      api.on('GET', '/v2/users', (_req, n) => ({ body: { results: [], next_page_token: `fresh-${n}` } }));
      const result = await outcome(out, { operation: 'list', payload: { email: 'a@example.com' } });
      assert.equal(result.port, 'fail');
      assert.deepEqual([result.msg.error!.code, result.msg.error!.attempts], ['invalid_response', MAX_EMPTY_PAGES_IN_A_ROW + 1]);
      assert.match(result.msg.error!.message, /GET \/v2\/users sent 4 pages in a row with no results but a new page token/);
      assert.equal(api.requests.length, MAX_EMPTY_PAGES_IN_A_ROW + 1);
      // Every page asks with the same filter and the token of the page before.
      assert.deepEqual(api.requests.map((r) => [r.query.get('email'), r.query.get('page_token')]), [
        ['a@example.com', null], ['a@example.com', 'fresh-1'], ['a@example.com', 'fresh-2'], ['a@example.com', 'fresh-3'],
      ]);
    });

    it(`one user a page, forever: at most ${maxPagesFor(10_000)} requests, then invalid_response`, async function () {
      await loadFlow(flow());
      const out = collect();
      api.on('GET', '/v2/users', (_req, n) => ({ body: { results: [user(n)], next_page_token: `t${n}` } }));
      const result = await outcome(out, { operation: 'list', payload: {} });
      assert.equal(result.port, 'fail');
      assert.equal(result.msg.error!.code, 'invalid_response');
      assert.match(result.msg.error!.message, /went on for more than 103 pages/);
      assert.equal(api.requests.length, maxPagesFor(10_000));
    });

    it('pages that outlast the retry budget: no page is asked for after it (fake clock)', async function () {
      clock = sinon.useFakeTimers({ toFake: ['Date'] });
      await loadFlow(flow());
      const out = collect();
      // Each page "takes" 8 s; the list shares the 30 s retry budget.
      api.on('GET', '/v2/users', (_req, n) => {
        clock!.tick(8000);
        return { body: { results: [user(n)], next_page_token: `t${n}` } };
      });
      const result = await outcome(out, { operation: 'list', payload: {} });
      assert.equal(result.port, 'fail');
      assert.match(result.msg.error!.message, /still not complete when the time for it ran out \(4 pages read\)/);
      assert.equal(api.requests.length, 4, 'pages asked at 0, 8, 16 and 24 s; none at 32 s');
    });

    it('10,000 users are the cap: truncated: true when FullStory has more, false when that was all', async function () {
      await loadFlow(flow());
      const out = collect();
      const page = (n: number, last: boolean) => ({ results: Array.from({ length: 1000 }, (_, i) => user(n * 1000 + i)), ...(last ? {} : { next_page_token: `t${n}` }) });
      api.on('GET', '/v2/users', (req) => {
        const n = req.query.has('page_token') ? Number(req.query.get('page_token')!.slice(1)) + 1 : 0;
        return { body: page(n, req.query.get('email') === 'all' && n === 9) };
      });
      const more = await outcome(out, { operation: 'list', payload: {} });
      assert.deepEqual([more.port, (more.msg.payload as unknown[]).length, more.msg.fullstory!.truncated], ['ok', 10_000, true]);
      assert.equal(api.requests.length, 10);
      api.requests.length = 0;
      const all = await outcome(out, { operation: 'list', payload: { email: 'all' } });
      assert.deepEqual([all.port, (all.msg.payload as unknown[]).length, all.msg.fullstory!.truncated], ['ok', 10_000, false]);
    });
  });

  describe('batch mode', function () {
    beforeEach(function () {
      runtimeSettings({ fullstory: { pollIntervalMs: 10 } });
    });
    const batchUser = { mode: 'batch', batchSize: 2 };

    it('a creation answer of the wrong shape or with an odd job id: users fail with invalid_response, events with outcome_unknown; nothing is polled', async function () {
      await loadFlow(flow(batchUser, { mode: 'batch', batchSize: 2 }));
      const users = collect();
      const events = collect('ok2', 'fail2');
      const bodies: unknown[] = [null, [], 'J1', {}, { job: null }, { job: { id: 5 } }, { job: { id: '..' } }, { job: { id: '.' } }, { job: { id: '%2e%2e' } }, { job: { id: 'x'.repeat(300) } }];
      const ids: string[] = [];
      const eventIds: string[] = [];
      for (const body of bodies) {
        api.reset();
        api.on('POST', /^\/v2\/(users|events)\/batch$/, { body });
        ids.push(send({ payload: { uid: 'a' } }), send({ payload: { uid: 'b' } }));
        eventIds.push(send({ payload: { name: 'E', user: { uid: 'a' } } }, 'n2'), send({ payload: { name: 'E', user: { uid: 'b' } } }, 'n2'));
        await Promise.all([users.waitFor(ids.length), events.waitFor(eventIds.length)]);
        assert.deepEqual(api.requests.map((r) => r.method), ['POST', 'POST'], `${JSON.stringify(body)}: never polled`);
      }
      for (const m of users.fail as Out[]) assert.deepEqual([m.error!.code, m.error!.retryable, m.error!.jobId, m.fullstory!.jobId], ['invalid_response', true, undefined, undefined]);
      for (const m of events.fail as Out[]) assert.deepEqual([m.error!.code, m.error!.retryable, m.error!.jobId], ['outcome_unknown', false, undefined]);
      assert.equal(users.ok.length + events.ok.length, 0);
      assertEachOnce([users, events], [...ids, ...eventIds]);
    });

    it('an imports page whose user ids are no plain ids: outcome_unknown with the job id; no msg carries such an id', async function () {
      await loadFlow(flow(batchUser));
      const out = collect();
      api.on('POST', '/v2/users/batch', { body: job('J1') });
      api.on('GET', '/v2/users/batch/J1', { body: job('J1', 'COMPLETED') });
      api.on('GET', '/v2/users/batch/J1/imports', { body: { results: [{ id: '..', uid: 'a' }, { id: '7', uid: 'b' }] } });
      const ids = [send({ payload: { uid: 'a' } }), send({ payload: { uid: 'b' } })];
      await out.waitFor(2);
      for (const m of out.fail as Out[]) assert.deepEqual([m.error!.code, m.error!.jobId, m.fullstory!.id], ['outcome_unknown', 'J1', undefined]);
      assert.match((out.fail[0] as Out).error!.message, /body\.results\[0\]\.id should be a plain id/);
      assertEachOnce(out, ids);
    });

    it('empty /imports pages with fresh tokens forever: the msgs leave with outcome_unknown and the job id, long before the job timeout', async function () {
      await loadFlow(flow(batchUser));
      const out = collect();
      api.on('POST', '/v2/users/batch', { body: job('J1') });
      api.on('GET', '/v2/users/batch/J1', { body: job('J1', 'COMPLETED') });
      api.on('GET', '/v2/users/batch/J1/imports', (_req, n) => ({ body: { results: [], next_page_token: `fresh-${n}` } }));
      const ids = [send({ payload: { uid: 'a' } }), send({ payload: { uid: 'b' } })];
      await out.waitFor(2, 10_000);
      for (const m of out.fail as Out[]) assert.deepEqual([m.error!.code, m.error!.retryable, m.error!.jobId], ['outcome_unknown', false, 'J1']);
      assert.equal(api.count('GET', '/v2/users/batch/J1/imports'), MAX_EMPTY_PAGES_IN_A_ROW + 1);
      assert.equal(api.requests.length, 1 + 1 + MAX_EMPTY_PAGES_IN_A_ROW + 1, 'create, one poll, the pages');
      assertEachOnce(out, ids);
    });

    it('202 from /imports forever: job_timeout at the job deadline, one request per wait (fake timers)', async function () {
      runtimeSettings({}); // the default 2 s first poll
      clock = sinon.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
      await loadFlow(flow({ ...batchUser, jobTimeout: 60 }));
      const out = collect();
      api.on('POST', '/v2/users/batch', { body: job('J1') });
      api.on('GET', '/v2/users/batch/J1', { body: job('J1', 'COMPLETED') });
      api.on('GET', '/v2/users/batch/J1/imports', { status: 202, body: {} });
      const started = Date.now();
      const ids = [send({ payload: { uid: 'a' } }), send({ payload: { uid: 'b' } })];
      // The job is created once both records are in the journal (real I/O; fake time stands still).
      await ioUntil(() => api.count('POST', '/v2/users/batch') === 1, 'job created');
      await drive(clock, () => out.fail.length === 2, 250);
      const took = Date.now() - started;
      assert.ok(took >= 60_000 && took <= 60_500, `left ${took} ms after they came in`);
      for (const m of out.fail as Out[]) assert.deepEqual([m.error!.code, m.error!.jobId], ['job_timeout', 'J1']);
      // Poll at 2 s (COMPLETED), then /imports at 2, 5, 9.5, 16.3, 26.4 and 41.6 s.
      assert.deepEqual([api.count('GET', '/v2/users/batch/J1'), api.count('GET', '/v2/users/batch/J1/imports')], [1, 6]);
      assertEachOnce(out, ids);
    });
  });

  it('Test connection: a host that answers 200 but not as FullStory does is "invalid"', async function () {
    await loadFlow(flow());
    for (const body of [null, [], { results: null }, { results: [{ id: 5 }] }]) {
      api.reset();
      api.on('GET', '/v2/users', { body });
      const res = await helper.request().post('/fullstory/test-connection').send({ id: 'cfg', apiKey: '__PWRD__', baseUrl: api.url }).expect(200);
      assert.equal((res.body as { result: string }).result, 'invalid', JSON.stringify(body));
      assert.match((res.body as { message: string }).message, /^FullStory's answer to GET \/v2\/users does not match the API/);
    }
    api.reset();
    api.on('GET', '/v2/users', { body: { results: [], total_records: '0' } });
    const ok = await helper.request().post('/fullstory/test-connection').send({ id: 'cfg', apiKey: '__PWRD__', baseUrl: api.url }).expect(200);
    assert.equal((ok.body as { result: string }).result, 'read_write');
  });

  describe('generated answers (fast-check)', function () {
    /** Answers near the right shape: a valid one with one field replaced by any JSON value, or dropped. */
    const nearly = (valid: Record<string, unknown>, keys: string[]) =>
      fc.oneof(
        fc.jsonValue(),
        fc.record({ key: fc.constantFrom(...keys), value: fc.oneof(fc.jsonValue(), fc.string(), fc.constant(undefined)) }).map(({ key, value }) => ({ ...valid, [key]: value })),
      );

    it(`an upsert's answer: a success only with a plain id in msg.fullstory.id, else invalid_response (${NODE_RUNS} runs)`, async function () {
      this.timeout(60_000);
      await loadFlow(flow());
      const out = collect();
      const ids: string[] = [];
      const idLike = fc.oneof(fc.string(), fc.constantFrom('.', '..', 'a/b', '%2e%2e', 'x'.repeat(257), '12345', 'abd123='), fc.stringMatching(/^[A-Za-z0-9+/=_-]{1,8}$/));
      await fc.assert(
        fc.asyncProperty(fc.oneof(nearly({ id: '1' }, ['id']), idLike.map((id) => ({ id }))), async (body) => {
          api.reset();
          api.on('POST', '/v2/users', { body: body === undefined ? null : body });
          const result = await outcome(out, { payload: { uid: 'u1' } });
          ids.push(result.msg._msgid);
          if (result.port === 'ok') {
            assert.ok(isServerId(result.msg.fullstory!.id), `a success carries a plain id: ${JSON.stringify(result.msg.fullstory!.id)}`);
          } else {
            assert.equal(result.msg.error!.code, 'invalid_response', result.msg.error!.message);
          }
        }),
        { numRuns: NODE_RUNS },
      );
      assertEachOnce(out, ids);
    });

    it(`a users job's /imports page: each msg leaves once, with a plain id or none, or outcome_unknown with the job id (${NODE_RUNS} runs)`, async function () {
      this.timeout(60_000);
      runtimeSettings({ fullstory: { pollIntervalMs: 10 } });
      await loadFlow(flow({ mode: 'batch', batchSize: 2 }));
      const out = collect();
      const ids: string[] = [];
      const id = fc.oneof(fc.constantFrom('1', '2', 'a/b'), fc.constantFrom('..', '.', '%2e%2e', 'a b', '', 'x'.repeat(300)), fc.string(), fc.jsonValue());
      const item = fc.oneof(
        { arbitrary: fc.record({ id, uid: fc.constantFrom('a', 'b', 'c') }, { requiredKeys: ['uid'] }), weight: 4 },
        { arbitrary: fc.jsonValue(), weight: 1 },
      );
      const page = fc.oneof(
        { arbitrary: fc.record({ results: fc.array(item, { minLength: 1, maxLength: 3 }), next_page_token: fc.option(fc.constantFrom('', 'x'), { nil: undefined }) }, { requiredKeys: ['results'] }), weight: 4 },
        { arbitrary: fc.jsonValue(), weight: 1 },
      );
      let jobs = 0;
      await fc.assert(
        fc.asyncProperty(page, async (body) => {
          api.reset();
          const jobId = `J${++jobs}`;
          api.on('POST', '/v2/users/batch', { body: job(jobId) });
          api.on('GET', `/v2/users/batch/${jobId}`, { body: job(jobId, 'COMPLETED') });
          api.on('GET', `/v2/users/batch/${jobId}/imports`, (req) => ({ body: req.query.has('page_token') ? { results: [] } : body === undefined ? null : body }));
          const before = out.ok.length + out.fail.length;
          const sent = [send({ payload: { uid: 'a' } }), send({ payload: { uid: 'b' } })];
          ids.push(...sent);
          await out.waitFor(before + 2);
          for (const m of [...out.ok, ...out.fail].filter((x) => sent.includes(x._msgid as string)) as Out[]) {
            if (out.ok.includes(m)) {
              assert.ok(m.fullstory!.id === undefined || isServerId(m.fullstory!.id), `only plain ids reach a msg: ${JSON.stringify(m.fullstory!.id)}`);
            } else {
              assert.deepEqual([m.error!.code, m.error!.jobId], ['outcome_unknown', jobId], m.error!.message);
            }
          }
        }),
        { numRuns: NODE_RUNS },
      );
      assertEachOnce(out, ids);
    });
  });
});
