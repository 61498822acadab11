// One import job against a scripted server: answers of the wrong shape, odd job ids, and page
// loops that would never end, over real loopback HTTP.

import assert from 'node:assert/strict';
import fc from 'fast-check';
import sinon from 'sinon';
import { FullStoryClient } from '../../nodes/lib/api/client';
import { jobBody, jobDeadline, MAX_RESULT_PAGES_PER_JOB, RESUMED_JOB_GRACE_MS, runImportJob, type ImportJobOptions, type JobReport } from '../../nodes/lib/batch/job';
import { MAX_EMPTY_PAGES_IN_A_ROW } from '../../nodes/lib/api/paging';
import type { BatchResource } from '../../nodes/lib/api/types';
import type { JobRecord } from '../../nodes/lib/batch/outcomes';
import { startScriptedApi, type ScriptedApi } from '../support/scripted-api';
import { drive } from '../support/io';
import { numRuns } from '../support/fc-runs';

const client = (baseUrl: string) =>
  new FullStoryClient({ apiKey: 'k', baseUrl, timeoutMs: 1000, retry: { maxAttempts: 1, budgetMs: 1000, baseDelayMs: 1, maxDelayMs: 1 }, maxConcurrency: 2, maxJobs: 1, requestsPerSecond: 0 });

const CREATED = '2026-01-01T00:00:00Z';
const job = (id: string, status = 'PROCESSING') => ({ job: { id, status, created: CREATED } });
const users = (n: number) => Array.from({ length: n }, (_, i) => ({ json: JSON.stringify({ uid: `u${i}` }), importKey: `u${i}` }));

describe('batch import job (scripted server)', function () {
  let api: ScriptedApi;
  let c: FullStoryClient;
  before(async function () { api = await startScriptedApi(); });
  after(async function () { await api.close(); });
  beforeEach(function () { api.reset(); c = client(api.url); });
  afterEach(function () { c.destroy(); });

  const run = (records: JobRecord[], extra: Partial<ImportJobOptions> = {}, resource: BatchResource = 'users'): Promise<JobReport> =>
    runImportJob(records, { client: c, resource, pollIntervalMs: 5, maxPollIntervalMs: 10, timeoutMs: 5000, ...extra });
  const codes = (report: JobReport) => report.outcomes.map((o) => (o.ok ? 'ok' : [o.error.code, o.error.retryable, o.error.jobId]));
  const completedJob = (id: string) => {
    api.on('POST', '/v2/users/batch', { body: job(id) });
    api.on('GET', `/v2/users/batch/${encodeURIComponent(id)}`, { body: job(id, 'COMPLETED') });
  };

  it('joins pre-serialised records into the job body', function () {
    assert.equal(jobBody([{ json: '{"uid":"a"}' }, { json: '{"uid":"b"}' }]), '{"requests":[{"uid":"a"},{"uid":"b"}]}');
  });

  it('a job FAILED with nothing imported and nobody blamed fails every record with job_failed (retryable)', async function () {
    api.on('POST', '/v2/users/batch', { body: job('J1') });
    api.on('GET', '/v2/users/batch/J1', { body: { job: { id: 'J1', status: 'FAILED', created: CREATED } } });
    api.on('GET', '/v2/users/batch/J1/imports', { body: { results: [], total_records: '0' } });
    api.on('GET', '/v2/users/batch/J1/errors', { body: { results: [], total_records: '0' } });
    const report = await run(users(2));
    assert.equal(report.status, 'FAILED');
    assert.deepEqual(codes(report), [['job_failed', true, 'J1'], ['job_failed', true, 'J1']]);
  });

  describe('a creation answer of the wrong shape, or with an id that is no plain id', function () {
    const answers: Array<[string, unknown]> = [
      ['null', null], ['a list', []], ['text', 'J1'], ['a number', 42], ['no job', {}], ['job null', { job: null }],
      ['job a list', { job: ['J1'] }], ['no id', { job: { status: 'PROCESSING' } }], ['id a number', { job: { id: 5 } }],
      ['id null', { job: { id: null } }], ['id empty', { job: { id: '' } }], ['id "."', { job: { id: '.' } }],
      ['id ".."', { job: { id: '..' } }], ['id "%2e%2e"', { job: { id: '%2e%2e' } }], ['id "../x"', { job: { id: '../x' } }],
      ['id 257 characters', { job: { id: 'a'.repeat(257) } }], ['id with a line break', { job: { id: 'J\n1' } }],
      ['id with a space', { job: { id: 'J 1' } }], ['id with "?"', { job: { id: 'J?x=1' } }], ['status a number', { job: { id: 'J1', status: 7 } }],
    ];
    for (const [what, body] of answers) {
      it(`${what}: users fail as invalid_response (retryable: an upsert job may be sent again); nothing is polled`, async function () {
        api.on('POST', '/v2/users/batch', { body });
        const report = await run(users(2));
        assert.equal(report.jobId, undefined);
        assert.deepEqual(codes(report), [['invalid_response', true, undefined], ['invalid_response', true, undefined]]);
        const error = !report.outcomes[0].ok ? report.outcomes[0].error : assert.fail();
        assert.equal(error.status, 200);
        assert.match(error.message, /^FullStory's answer to POST \/v2\/users\/batch does not match the API: body/);
        assert.equal(report.creationMaybeApplied, true);
        assert.deepEqual(api.requests.map((r) => r.method), ['POST']);
      });
    }

    it('events: outcome_unknown, not retryable (the job may exist; a resend could count the events twice)', async function () {
      api.on('POST', '/v2/events/batch', { body: { job: { id: '..' } } });
      const report = await run([{ json: '{"name":"a"}' }], {}, 'events');
      assert.equal(report.jobId, undefined);
      assert.deepEqual(codes(report), [['outcome_unknown', false, undefined]]);
      assert.deepEqual(api.requests.map((r) => r.method), ['POST']);
    });
  });

  it('an id with "/" (base64) is a plain id: every URL of the job holds it encoded as one path segment', async function () {
    const id = 'a/b+c=';
    completedJob(id);
    api.on('GET', `/v2/users/batch/${encodeURIComponent(id)}/imports`, { body: { results: [{ id: '101', uid: 'u0' }] } });
    const report = await run(users(1));
    assert.deepEqual(report.outcomes, [{ ok: true, id: '101' }]);
    assert.deepEqual(api.requests.map((r) => `${r.method} ${r.path}`), [
      'POST /v2/users/batch',
      'GET /v2/users/batch/a%2Fb%2Bc%3D',
      'GET /v2/users/batch/a%2Fb%2Bc%3D/imports',
    ]);
  });

  describe('a status answer of the wrong shape: outcome_unknown with the job id, asked once', function () {
    const answers: Array<[string, unknown]> = [
      ['null', null], ['a list', [job('J1', 'COMPLETED')]], ['no job', { imports: 1 }], ['no status', { job: { id: 'J1' } }],
      ['an unknown status', { job: { id: 'J1', status: 'DONE' } }], ['status a number', { job: { id: 'J1', status: 2 } }],
      ['no job id', { job: { status: 'COMPLETED' } }], ['imports negative', { imports: -1, job: { id: 'J1', status: 'COMPLETED' } }],
      ['errors as text', { errors: '2', job: { id: 'J1', status: 'FAILED' } }], ['imports fractional', { imports: 1.5, job: { id: 'J1', status: 'COMPLETED' } }],
    ];
    for (const [what, body] of answers) {
      it(what, async function () {
        api.on('POST', '/v2/users/batch', { body: job('J1') });
        api.on('GET', '/v2/users/batch/J1', { body });
        const report = await run(users(2));
        assert.deepEqual(codes(report), [['outcome_unknown', false, 'J1'], ['outcome_unknown', false, 'J1']]);
        const error = !report.outcomes[0].ok ? report.outcomes[0].error : assert.fail();
        assert.match(error.message, /GET \/v2\/users\/batch\/\{job_id\} does not match the API/);
        assert.equal(api.count('GET', '/v2/users/batch/J1'), 1, 'a wrong answer is not asked for again');
        assert.equal(api.requests.length, 2);
      });
    }
  });

  describe('a page of /imports of the wrong shape: outcome_unknown with the job id', function () {
    const answers: Array<[string, unknown]> = [
      ['null', null], ['a list', [{ id: '1', uid: 'u0' }]], ['no results', { total_records: '1' }], ['results null', { results: null }],
      ['results an object', { results: { 0: { id: '1' } } }], ['an item null', { results: [null] }], ['an item without id', { results: [{ uid: 'u0' }] }],
      ['an id a number', { results: [{ id: 1, uid: 'u0' }] }], ['an id ".."', { results: [{ id: '..', uid: 'u0' }] }],
      ['a uid a number', { results: [{ id: '1', uid: 7 }] }], ['the token a number', { results: [{ id: '1', uid: 'u0' }], next_page_token: 2 }],
      ['the token with a line break', { results: [{ id: '1', uid: 'u0' }], next_page_token: 'a\nb' }],
      ['total_records a number', { results: [{ id: '1', uid: 'u0' }], total_records: 1 }],
    ];
    for (const [what, body] of answers) {
      it(what, async function () {
        completedJob('J1');
        api.on('GET', '/v2/users/batch/J1/imports', { body });
        const report = await run(users(1));
        assert.deepEqual(codes(report), [['outcome_unknown', false, 'J1']]);
        assert.equal(api.count('GET', '/v2/users/batch/J1/imports'), 1);
      });
    }

    it('an errors item without its code', async function () {
      api.on('POST', '/v2/users/batch', { body: job('J1') });
      api.on('GET', '/v2/users/batch/J1', { body: { errors: 1, job: { id: 'J1', status: 'FAILED', created: CREATED } } });
      api.on('GET', '/v2/users/batch/J1/imports', { body: { results: [] } });
      api.on('GET', '/v2/users/batch/J1/errors', { body: { results: [{ message: 'no', user: { uid: 'u0' } }] } });
      assert.deepEqual(codes(await run(users(1))), [['outcome_unknown', false, 'J1']]);
    });

    it('liberal where the spec allows: null optional fields, unknown fields and an empty last token are fine', async function () {
      completedJob('J1');
      api.on('GET', '/v2/users/batch/J1/imports', {
        body: { results: [{ id: '7', uid: 'u0', email: null, properties: null, schema: null, type_conflicts: null, extra: { x: 1 } }], next_page_token: '', total_records: null },
      });
      assert.deepEqual((await run(users(1))).outcomes, [{ ok: true, id: '7' }]);
    });
  });

  describe('pages that never end', function () {
    it(`empty pages, each with a fresh token: ${MAX_EMPTY_PAGES_IN_A_ROW + 1} pages read, then outcome_unknown with the job id`, async function () {
      completedJob('J1');
      api.on('GET', '/v2/users/batch/J1/imports', (_req, n) => ({ body: { results: [], next_page_token: `fresh-${n}` } }));
      const started = performance.now();
      const report = await run(users(3), { timeoutMs: 60_000 });
      assert.ok(performance.now() - started < 10_000, 'ended long before the job timeout');
      assert.deepEqual(codes(report), Array(3).fill(['outcome_unknown', false, 'J1']));
      assert.equal(api.count('GET', '/v2/users/batch/J1/imports'), MAX_EMPTY_PAGES_IN_A_ROW + 1);
      const error = !report.outcomes[0].ok ? report.outcomes[0].error : assert.fail();
      assert.match(error.message, /pages in a row with no results but a new page token/);
    });

    it('one result a page, forever: stops once the pages list more results than the job has records', async function () {
      completedJob('J1');
      api.on('GET', '/v2/users/batch/J1/imports', (_req, n) => ({ body: { results: [{ id: String(n), uid: `other${n}` }], next_page_token: `t${n}` } }));
      const report = await run(users(5));
      assert.deepEqual(codes(report), Array(5).fill(['outcome_unknown', false, 'J1']));
      assert.equal(api.count('GET', '/v2/users/batch/J1/imports'), 6);
    });

    it(`a large job: never more than ${MAX_RESULT_PAGES_PER_JOB} pages of /imports`, async function () {
      this.timeout(60_000);
      completedJob('J1');
      // Two results a page: a job of 50,000 records would take 25,000 pages.
      api.on('GET', '/v2/users/batch/J1/imports', (_req, n) => ({ body: { results: [{ id: `${n}a`, uid: `x${n}a` }, { id: `${n}b`, uid: `x${n}b` }], next_page_token: `t${n}` } }));
      const report = await run(users(50_000), { timeoutMs: 120_000 });
      assert.equal(api.count('GET', '/v2/users/batch/J1/imports'), MAX_RESULT_PAGES_PER_JOB);
      assert.ok(!report.outcomes[0].ok && report.outcomes[0].error.code === 'outcome_unknown');
      assert.match(!report.outcomes[0].ok ? report.outcomes[0].error.message : '', /went on for more than 503 pages/);
    });

    it('paging that outlasts the job deadline stops there: outcome_unknown (fake clock)', async function () {
      const clock = sinon.useFakeTimers({ toFake: ['Date'] });
      try {
        completedJob('J1');
        // Each page "takes" 4 s; the job may take 10 s.
        api.on('GET', '/v2/users/batch/J1/imports', (_req, n) => {
          clock.tick(4000);
          return { body: { results: [{ id: String(n), uid: `u${n - 1}` }], next_page_token: `t${n}` } };
        });
        const report = await run(users(10), { timeoutMs: 10_000, pollIntervalMs: 1, maxPollIntervalMs: 1 });
        assert.deepEqual(codes(report), Array(10).fill(['outcome_unknown', false, 'J1']));
        assert.equal(api.count('GET', '/v2/users/batch/J1/imports'), 3, 'pages asked at 0, 4 and 8 s; none at 12 s');
        assert.match(!report.outcomes[0].ok ? report.outcomes[0].error.message : '', /still not complete when the time for it ran out/);
      } finally {
        clock.restore();
      }
    });

    it('202 "still processing" from /imports forever: asked after each wait, job_timeout at the deadline (fake timers)', async function () {
      const clock = sinon.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
      try {
        completedJob('J1');
        api.on('GET', '/v2/users/batch/J1/imports', { status: 202, body: {} });
        const started = Date.now();
        let report: JobReport | undefined;
        void run(users(2), { timeoutMs: 60_000, pollIntervalMs: 2000, maxPollIntervalMs: 30_000 }).then((r) => (report = r));
        await drive(clock, () => report !== undefined, 250);
        assert.deepEqual(codes(report!), [['job_timeout', false, 'J1'], ['job_timeout', false, 'J1']]);
        assert.ok(Date.now() - started >= 60_000 && Date.now() - started <= 60_250, `ended ${Date.now() - started} ms after the start`);
        // The poll at 2 s says COMPLETED; /imports is asked at once, then after each wait (3, 4.5,
        // 6.75, 10.1, 15.2 s): at 2, 5, 9.5, 16.3, 26.4 and 41.6 s. The next wait would end past 60 s.
        assert.equal(api.count('GET', '/v2/users/batch/J1'), 1);
        assert.equal(api.count('GET', '/v2/users/batch/J1/imports'), 6);
      } finally {
        clock.restore();
      }
    });
  });
  describe('a job resumed after a restart: its timeout counts from when it was planned', function () {
    it('the deadline, for any plan time and timeout: from the plan, never before one more grace, a new job from now', function () {
      fc.assert(
        fc.property(fc.integer({ min: 0, max: 2e12 }), fc.integer({ min: 10_000, max: 86_400_000 }), fc.option(fc.integer({ min: -1e10, max: 1e10 }), { nil: undefined }), (now, timeoutMs, offset) => {
          const plannedAt = offset === undefined ? undefined : now + offset;
          const deadline = jobDeadline(now, timeoutMs, plannedAt);
          const grace = Math.min(timeoutMs, RESUMED_JOB_GRACE_MS);
          if (plannedAt === undefined || plannedAt > now) {
            assert.equal(deadline, now + timeoutMs, 'a job of this life (or a plan time ahead of the clock): its whole timeout from now');
            return;
          }
          assert.ok(deadline >= now + grace, 'always read once more');
          assert.ok(deadline <= Math.max(plannedAt + timeoutMs, now + grace), 'never a whole timeout again');
          if (plannedAt + timeoutMs >= now + grace) assert.equal(deadline, plannedAt + timeoutMs);
        }),
        { numRuns: numRuns(300) },
      );
    });

    it('a job that stays PROCESSING, planned 500 s before the restart (timeout 600 s): job_timeout 100 s after it, not 600 s (fake timers)', async function () {
      const clock = sinon.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
      try {
        api.on('GET', '/v2/users/batch/J1', { body: job('J1') });
        const restart = Date.now();
        let report: JobReport | undefined;
        void run(users(2), { jobId: 'J1', plannedAt: restart - 500_000, timeoutMs: 600_000, pollIntervalMs: 2000, maxPollIntervalMs: 30_000 }).then((r) => (report = r));
        await drive(clock, () => report !== undefined, 1000, 700_000);
        assert.deepEqual(codes(report!), [['job_timeout', false, 'J1'], ['job_timeout', false, 'J1']]);
        const after = Date.now() - restart;
        assert.ok(after >= 100_000 && after <= 101_000, `ended ${after} ms after the restart`);
      } finally {
        clock.restore();
      }
    });

    it('planned long before the restart: polled once more, and its outcome reported when FullStory has one', async function () {
      completedJob('J2');
      api.on('GET', '/v2/users/batch/J2/imports', { body: { results: [{ id: '101', uid: 'u0' }, { id: '102', uid: 'u1' }] } });
      const report = await run(users(2), { jobId: 'J2', plannedAt: Date.now() - 86_400_000, timeoutMs: 600_000 });
      assert.deepEqual(report.outcomes, [{ ok: true, id: '101' }, { ok: true, id: '102' }]);
      assert.equal(api.count('POST', '/v2/users/batch'), 0, 'not created again');
    });
  });
});
