// FullStory's official Node SDK (@fullstory/server-api-client, a devDependency) against the
// sandbox over HTTP: what FullStory accepts from its own client, the sandbox must accept too.
//
// Pointing the SDK elsewhere: it has no base-URL option. Each of its API classes reads
// process.env.FS_API_HOST in its constructor, and only when NODE_ENV is 'development' or 'test'
// (node_modules/@fullstory/server-api-client/lib/api/*/…Api.js). init() constructs the single-call
// APIs and batchCreate() the batch ones, so both run inside withSandboxHost().
//
// What the SDK sends that our nodes do not: no Content-Type on its POSTs (its bodies go out
// chunked, with only `accept: application/json`), which the sandbox refused before issue 11.

import assert from 'node:assert/strict';
import {
  init, type BatchCreateEventsResponse, type BatchUserImportResponse, type FailedEventsImport, type FailedUserImport, type FullStoryClient,
} from '@fullstory/server-api-client';
import { startSandbox, type Sandbox } from '../../sandbox';

const ADMIN = 'na1.admin-key';

/** Runs `build` with the SDK's dev-only host override pointing at `url`, then restores the env. */
function withSandboxHost<T>(url: string, build: () => T): T {
  const saved = { NODE_ENV: process.env.NODE_ENV, FS_API_HOST: process.env.FS_API_HOST };
  process.env.NODE_ENV = 'test';
  process.env.FS_API_HOST = url;
  try {
    return build();
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

interface JobLike<I, F> {
  on(type: 'done', cb: (imported: I[], failed: F[]) => void): unknown;
  on(type: 'abort', cb: (errors: Error[]) => void): unknown;
  execute(): void;
}

/** The job's outcome, from its own callbacks: 'done' (imports or failures) or 'abort'. */
function outcome<I, F>(job: JobLike<I, F>): Promise<{ imported: I[]; failed: F[] }> {
  return new Promise((resolve, reject) => {
    job.on('done', (imported, failed) => resolve({ imported, failed }));
    job.on('abort', (errors) => reject(new Error(`the SDK aborted the job: ${errors.map((e) => e.message).join('; ')}`)));
    job.execute();
  });
}

describe('the official FullStory Node SDK against the sandbox', function () {
  let sb: Sandbox;
  let fs: FullStoryClient;
  // The SDK polls with setInterval; a job left running by a failed test must not keep mocha alive.
  const jobs: Array<{ stopPolling?: () => void }> = [];

  before(async function () {
    sb = await startSandbox({ adminKeys: [ADMIN], jobProcessingMs: 20, pageSize: 2 });
    fs = withSandboxHost(sb.url, () => init({ apiKey: ADMIN, integrationSource: 'node-red-contrib-fullstory-tests' }));
  });
  beforeEach(function () {
    sb.reset();
  });
  afterEach(function () {
    for (const job of jobs.splice(0)) job.stopPolling?.();
  });
  after(async function () {
    await sb.close();
  });

  it('really talks to the sandbox, without a Content-Type on its POSTs', async function () {
    await fs.users.create({ body: { uid: 'probe' } });
    const post = sb.requests.find((r) => r.method === 'POST' && r.path === '/v2/users');
    assert.ok(post, 'the request reached the sandbox');
    assert.equal(post.headers['content-type'], undefined);
    assert.equal(post.headers.authorization, `Basic ${ADMIN}`);
    assert.equal(post.headers['integration-source'], 'node-red-contrib-fullstory-tests');
    assert.equal(post.status, 200);
  });

  it('creates, gets, lists, updates and deletes a user', async function () {
    const created = await fs.users.create({
      body: { uid: 'sdk-1', display_name: 'Ann SDK', email: 'ann@example.com', properties: { plan: 'pro', seats: 3 }, schema: { properties: { seats: 'int' } } },
      idempotencyKey: 'sdk-create-1',
    });
    assert.equal(created.httpStatusCode, 200);
    const id = created.body?.id;
    assert.ok(id, 'an id');
    const again = await fs.users.create({
      body: { uid: 'sdk-1', display_name: 'Ann SDK', email: 'ann@example.com', properties: { plan: 'pro', seats: 3 }, schema: { properties: { seats: 'int' } } },
      idempotencyKey: 'sdk-create-1',
    });
    assert.equal(again.body?.id, id, 'the same key replays');
    assert.equal(sb.counters.idempotentReplays, 1);

    const got = await fs.users.get({ id, includeSchema: true });
    assert.equal(got.httpStatusCode, 200);
    assert.equal(got.body?.uid, 'sdk-1');
    assert.equal(got.body?.display_name, 'Ann SDK');
    assert.deepEqual(got.body?.properties, { plan: 'pro', seats: 3 });
    assert.equal(got.body?.is_being_deleted, false);

    const listed = await fs.users.list({ uid: 'sdk-1' });
    assert.equal(listed.body?.total_records, '1');
    assert.deepEqual(listed.body?.results?.map((u) => u.id), [id]);

    const updated = await fs.users.update({ id, body: { display_name: 'Ann B. SDK' } });
    assert.equal(updated.body?.id, id);
    assert.equal(sb.users.get(id)?.display_name, 'Ann B. SDK');

    const deleted = await fs.users.delete({ id });
    assert.equal(deleted.httpStatusCode, 200);
    assert.equal(sb.users.get(id)?.is_being_deleted, true);

    await fs.users.create({ body: { uid: 'sdk-2' } });
    const byUid = await fs.users.delete({ uid: 'sdk-2' });
    assert.equal(byUid.httpStatusCode, 200);
    assert.equal((await fs.users.list({ uid: 'sdk-2' })).body?.total_records, '0');
  });

  it('sends an event', async function () {
    await fs.users.create({ body: { uid: 'sdk-ev' } });
    const sent = await fs.events.create({
      body: { name: 'Order Completed', timestamp: '2026-11-27T10:00:00Z', properties: { total: 42.5 }, user: { uid: 'sdk-ev' }, session: { use_most_recent: true } },
      idempotencyKey: 'sdk-event-1',
    });
    assert.equal(sent.httpStatusCode, 200);
    assert.equal(sb.events.length, 1);
    const [event] = sb.events;
    assert.equal(event?.name, 'Order Completed');
    assert.deepEqual(event?.properties, { total: 42.5 });
    assert.equal(sb.users.get(event?.userId as string)?.uid, 'sdk-ev');
  });

  it('imports users with the SDK\'s own batch job (create, poll, page the imports)', async function () {
    const requests = Array.from({ length: 5 }, (_, i) => ({ uid: `sdk-batch-${i}`, email: `b${i}@example.com`, properties: { n: i } }));
    const job = withSandboxHost(sb.url, () => fs.users.batchCreate({ body: { requests: [] } }, { pollInterval: 20 }));
    jobs.push(job as unknown as { stopPolling?: () => void });
    job.add(...requests);
    const { imported, failed } = await outcome<BatchUserImportResponse, FailedUserImport>(job);
    assert.equal(failed.length, 0);
    assert.deepEqual(imported.map((u) => u.uid), requests.map((r) => r.uid), 'every import, across 3 pages of 2');
    assert.ok(imported.every((u) => typeof u.id === 'string' && sb.users.get(u.id)?.uid === u.uid));
    const id = job.getId();
    assert.ok(id);
    assert.equal(sb.jobs.get(id)?.status, 'COMPLETED');
  });

  it('imports events with the SDK\'s own batch job; a bad record comes back as a failed import', async function () {
    const job = withSandboxHost(sb.url, () => fs.events.batchCreate({ body: { requests: [] } }, { pollInterval: 20 }));
    jobs.push(job as unknown as { stopPolling?: () => void });
    job.add(
      { name: 'Viewed', user: { uid: 'sdk-batch-ev' }, properties: { page: 'home' } },
      { name: 'Viewed', user: { uid: 'sdk-batch-ev' }, properties: { 'bad-name': 1 } },
    );
    const { failed } = await outcome<BatchCreateEventsResponse, FailedEventsImport>(job);
    assert.equal(failed.length, 1);
    assert.equal(failed[0]?.code, 'invalid_argument');
    assert.deepEqual(failed[0]?.event?.properties, { 'bad-name': 1 });
    assert.equal(sb.jobs.get(job.getId() as string)?.status, 'FAILED');
    assert.equal(sb.events.length, 1, 'the good record was imported');
  });
});
