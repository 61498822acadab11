// The sandbox's read-only views for people: GET /sandbox/state (JSON) and GET /sandbox/ (HTML).

import assert from 'node:assert/strict';
import http from 'node:http';
import { startSandbox, type Sandbox } from '../../sandbox';

const ADMIN = 'na1.admin-key';

async function post(sb: Sandbox, path: string, body: unknown): Promise<{ status: number; body: { id?: string; job?: { id: string } } }> {
  const res = await fetch(sb.url + path, {
    method: 'POST',
    headers: { authorization: `Basic ${ADMIN}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as { id?: string; job?: { id: string } } };
}

/** A GET with a Host header of our choice (fetch does not let a caller set Host). */
function getWithHost(sb: Sandbox, path: string, host: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: sb.port, path, headers: { host } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end();
  });
}

interface State {
  users: { total: number; items: Array<{ id: string; uid?: string; email?: string; properties: Record<string, unknown>; schema?: unknown }> };
  events: { total: number; items: Array<{ name: string; userId?: string }> };
  jobs: { total: number; items: Array<{ id: string; status: string; requestCount: number }> };
  counters: { requests: number };
  faults: Array<{ fault: { type: string; status?: number }; probability: number; remaining: number | null }>;
  query: { limit: number; uid?: string };
}

describe('sandbox views: /sandbox/state and /sandbox/', function () {
  let sb: Sandbox;

  before(async function () {
    sb = await startSandbox({ jobProcessingMs: 0 });
  });
  beforeEach(function () {
    sb.reset();
  });
  after(async function () {
    await sb.close();
  });

  async function state(query = ''): Promise<State> {
    const res = await fetch(`${sb.url}/sandbox/state${query}`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'application/json');
    assert.equal(res.headers.get('cache-control'), 'no-store');
    return (await res.json()) as State;
  }

  it('shows the users, events and jobs it holds, newest first, without a key', async function () {
    const ann = await post(sb, '/v2/users', { uid: 'ann', email: 'ann@example.com', properties: { plan: 'pro' } });
    await post(sb, '/v2/users', { uid: 'bob' });
    await post(sb, '/v2/events', { name: 'Signed Up', user: { uid: 'ann' } });
    const job = await post(sb, '/v2/events/batch', { requests: [{ name: 'Viewed', user: { uid: 'bob' } }, { name: 'Viewed', user: { uid: 'ann' } }] });
    const s = await state();
    assert.deepEqual(s.users.items.map((u) => u.uid), ['bob', 'ann']);
    assert.equal(s.users.total, 2);
    const shownAnn = s.users.items[1];
    assert.equal(shownAnn?.id, ann.body.id);
    assert.equal(shownAnn?.email, 'ann@example.com');
    assert.deepEqual(shownAnn?.properties, { plan: 'pro' });
    assert.equal(shownAnn?.schema, undefined, 'the inferred schema stays out of the view');
    assert.deepEqual(s.events.items.map((e) => e.name), ['Viewed', 'Viewed', 'Signed Up'], 'the batch job was processed');
    assert.deepEqual(s.jobs.items.map((j) => [j.id, j.status, j.requestCount]), [[job.body.job?.id, 'COMPLETED', 2]]);
    assert.equal(s.counters.requests, 4, 'views are not counted as API requests');
    assert.deepEqual(s.faults, []);
    assert.equal(sb.requests.length, 4, 'views are not recorded');
  });

  it('filters by uid and limits the lists', async function () {
    for (let i = 0; i < 5; i++) await post(sb, '/v2/users', { uid: `u${i}` });
    await post(sb, '/v2/events', { name: 'a', user: { uid: 'u1' } });
    await post(sb, '/v2/events', { name: 'b', user: { uid: 'u2' } });
    const one = await state('?uid=u1');
    assert.deepEqual(one.users.items.map((u) => u.uid), ['u1']);
    assert.equal(one.users.total, 1);
    assert.deepEqual(one.events.items.map((e) => e.name), ['a']);
    assert.deepEqual(one.query, { limit: 100, uid: 'u1' });
    const two = await state('?limit=2');
    assert.deepEqual(two.users.items.map((u) => u.uid), ['u4', 'u3']);
    assert.equal(two.users.total, 5);
    for (const bad of ['0', '1001', 'x', '1.5']) {
      const res = await fetch(`${sb.url}/sandbox/state?limit=${bad}`);
      assert.equal(res.status, 400, bad);
    }
  });

  it('lists the faults armed, and is never hit by them', async function () {
    sb.inject({ times: Infinity, probability: 1, fault: { type: 'status', status: 503 } });
    const s = await state();
    assert.deepEqual(s.faults, [{ fault: { type: 'status', status: 503 }, probability: 1, remaining: null }]);
    const api = await fetch(`${sb.url}/v2/users`, { headers: { authorization: `Basic ${ADMIN}` } });
    assert.equal(api.status, 503, 'the API is');
  });

  it('the page shows the same, with user content escaped', async function () {
    await post(sb, '/v2/users', { uid: '<script>alert(1)</script>', properties: { note: '"quoted" & <b>' } });
    const res = await fetch(`${sb.url}/sandbox/`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'text/html; charset=utf-8');
    assert.match(res.headers.get('content-security-policy') ?? '', /default-src 'none'/);
    const html = await res.text();
    assert.match(html, /<h1>FullStory sandbox<\/h1>/);
    assert.match(html, /Users \(1\)/);
    assert.ok(html.includes('&#60;script&#62;alert(1)&#60;/script&#62;'), 'the uid, escaped');
    assert.ok(!html.includes('<script>alert(1)'), 'never raw');
    assert.ok(!html.includes('<b>'), 'property values escaped too');
    assert.equal((await fetch(`${sb.url}/sandbox`)).status, 200, '/sandbox without the slash');
  });

  it('is read-only, answers only loopback Host names, and is not part of /v2', async function () {
    const write = await fetch(`${sb.url}/sandbox/state`, { method: 'POST', body: Buffer.from('{}') });
    assert.equal(write.status, 405);
    assert.equal(write.headers.get('allow'), 'GET, HEAD');
    for (const host of [`127.0.0.1:${sb.port}`, `localhost:${sb.port}`, 'localhost', `[::1]:${sb.port}`]) {
      assert.equal((await getWithHost(sb, '/sandbox/state', host)).status, 200, host);
    }
    for (const host of [`evil.example:${sb.port}`, 'evil.example', `127.0.0.1.evil.example:${sb.port}`]) {
      const r = await getWithHost(sb, '/sandbox/state', host);
      assert.equal(r.status, 403, host);
      assert.ok(!r.text.includes('users'), 'no state leaks');
    }
    assert.equal((await fetch(`${sb.url}/sandbox/nothing`)).status, 404);
    const v2 = await fetch(`${sb.url}/v2/sandbox/state`, { headers: { authorization: `Basic ${ADMIN}` } });
    assert.equal(v2.status, 404, 'nothing under /v2');
  });
});
