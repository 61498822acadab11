import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { FullStoryClient } from '../../nodes/shared/client';
import { jobBody, runImportJob } from '../../nodes/shared/batch-job';

/** A scripted server for job shapes the sandbox never produces (it always blames records). */
async function scripted(routes: Record<string, unknown>): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    const body = routes[`${req.method} ${path}`];
    req.resume();
    res.writeHead(body === undefined ? 404 : 200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body ?? { code: 'not_found', message: 'no' }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

const client = (baseUrl: string) =>
  new FullStoryClient({ apiKey: 'k', baseUrl, timeoutMs: 1000, retry: { maxAttempts: 1, budgetMs: 1000, baseDelayMs: 1, maxDelayMs: 1 }, maxConcurrency: 2, maxJobs: 1, requestsPerSecond: 0 });

describe('batch import job', function () {
  it('joins pre-serialised records into the job body', function () {
    assert.equal(jobBody([{ json: '{"uid":"a"}' }, { json: '{"uid":"b"}' }]), '{"requests":[{"uid":"a"},{"uid":"b"}]}');
  });

  it('a job FAILED with nothing imported and nobody blamed fails every record with job_failed (retryable)', async function () {
    const server = await scripted({
      'POST /v2/users/batch': { job: { id: 'J1', status: 'PROCESSING', created: '2026-01-01T00:00:00Z' } },
      'GET /v2/users/batch/J1': { job: { id: 'J1', status: 'FAILED', created: '2026-01-01T00:00:00Z' } },
      'GET /v2/users/batch/J1/imports': { results: [], total_records: '0' },
      'GET /v2/users/batch/J1/errors': { results: [], total_records: '0' },
    });
    const c = client(server.url);
    try {
      const report = await runImportJob([{ json: '{"uid":"a"}' }, { json: '{"uid":"b"}' }], {
        client: c, resource: 'users', pollIntervalMs: 5, maxPollIntervalMs: 10, timeoutMs: 5000,
      });
      assert.equal(report.status, 'FAILED');
      assert.deepEqual(report.outcomes.map((o) => !o.ok && [o.error.code, o.error.retryable, o.error.jobId]), [
        ['job_failed', true, 'J1'],
        ['job_failed', true, 'J1'],
      ]);
    } finally {
      c.destroy();
      await server.close();
    }
  });

  it('a job answer without an id is an invalid_response for every record', async function () {
    const server = await scripted({ 'POST /v2/events/batch': { job: {} } });
    const c = client(server.url);
    try {
      const report = await runImportJob([{ json: '{"name":"a"}' }], { client: c, resource: 'events', pollIntervalMs: 5, maxPollIntervalMs: 10, timeoutMs: 1000 });
      assert.equal(report.jobId, undefined);
      assert.equal(!report.outcomes[0].ok && report.outcomes[0].error.code, 'invalid_response');
    } finally {
      c.destroy();
      await server.close();
    }
  });
});
