import assert from 'node:assert/strict';
import http from 'node:http';
import { startSandbox, type Sandbox } from '../../sandbox';
import { prng } from '../../sandbox/faults';

const ADMIN = 'na1.admin-key';
const STANDARD = 'na1.standard-key';

interface Res {
  status: number;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  text: string;
  headers: Headers;
}

interface CallOptions {
  key?: string | null;
  headers?: Record<string, string>;
  raw?: string;
  contentType?: string | null;
}

function client(sb: () => Sandbox) {
  return async function call(method: string, path: string, body?: unknown, o: CallOptions = {}): Promise<Res> {
    const headers: Record<string, string> = { ...o.headers };
    const key = o.key === undefined ? ADMIN : o.key;
    if (key !== null) headers['authorization'] = `Basic ${key}`;
    const hasBody = body !== undefined || o.raw !== undefined;
    if (hasBody && o.contentType !== null) headers['content-type'] = o.contentType ?? 'application/json';
    const res = await fetch(sb().url + path, {
      method,
      headers,
      // Bytes, not a string: fetch would add "Content-Type: text/plain" to a string body.
      ...(hasBody ? { body: Buffer.from(o.raw ?? JSON.stringify(body), 'utf8') } : {}),
    });
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    return { status: res.status, body: parsed, text, headers: res.headers };
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits on state (never on a fixed time): checks `cond` on every turn of the event loop. */
async function until(cond: () => boolean | Promise<boolean>): Promise<void> {
  while (!(await cond())) await new Promise((r) => setImmediate(r));
}

describe('sandbox', function () {
  let sb: Sandbox;
  const call = client(() => sb);

  before(async function () {
    sb = await startSandbox({ pageSize: 3, jobProcessingMs: 15 });
  });
  beforeEach(function () {
    sb.reset();
  });
  after(async function () {
    await sb.close();
  });

  async function waitJob(resource: string, id: string): Promise<Res> {
    for (let i = 0; i < 200; i++) {
      const r = await call('GET', `/v2/${resource}/batch/${encodeURIComponent(id)}`);
      if (r.body?.job?.status !== 'PROCESSING') return r;
      await sleep(5);
    }
    throw new Error('job never finished');
  }

  async function allPages(path: string): Promise<{ results: unknown[]; pages: number; totals: string[] }> {
    const results: unknown[] = [];
    const totals: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const r = await call('GET', path + (token ? `?page_token=${encodeURIComponent(token)}` : ''));
      assert.equal(r.status, 200, r.text);
      results.push(...r.body.results);
      totals.push(r.body.total_records);
      token = r.body.next_page_token;
      pages++;
    } while (token);
    return { results, pages, totals };
  }

  describe('routing and auth', function () {
    it('401 without a key, with an unknown key, or with a base64-encoded key', async function () {
      for (const key of [null, 'nope', Buffer.from(ADMIN).toString('base64')]) {
        const r = await call('POST', '/v2/users', { uid: 'a' }, { key });
        assert.equal(r.status, 401);
        assert.equal(r.body.code, 'unauthorized');
      }
      const bearer = await call('GET', '/v2/users', undefined, { key: null, headers: { authorization: `Bearer ${ADMIN}` } });
      assert.equal(bearer.status, 401);
    });

    it('a standard key writes but may not read or delete users (403 forbidden)', async function () {
      const created = await call('POST', '/v2/users', { uid: 's1' }, { key: STANDARD });
      assert.equal(created.status, 200);
      const id = created.body.id as string;
      for (const [m, p] of [['GET', `/v2/users/${id}`], ['GET', '/v2/users'], ['DELETE', `/v2/users/${id}`], ['DELETE', '/v2/users?uid=s1']] as const) {
        const r = await call(m, p, undefined, { key: STANDARD });
        assert.equal(r.status, 403, `${m} ${p}`);
        assert.equal(r.body.code, 'forbidden');
      }
      assert.equal((await call('POST', `/v2/users/${id}`, { display_name: 'S' }, { key: STANDARD })).status, 200);
      assert.equal((await call('POST', '/v2/events', { name: 'e', user: { id } }, { key: STANDARD })).status, 200);
      const job = await call('POST', '/v2/users/batch', { requests: [{ uid: 's2' }] }, { key: STANDARD });
      assert.equal(job.status, 200);
      await waitJob('users', job.body.job.id);
      const jid = encodeURIComponent(job.body.job.id);
      for (const p of [`/v2/users/batch/${jid}`, `/v2/users/batch/${jid}/imports`, `/v2/users/batch/${jid}/errors`]) {
        assert.equal((await call('GET', p, undefined, { key: STANDARD })).status, 200, p);
      }
    });

    it('unknown path → 404 not_found, wrong method → 405, /v2beta is an alias', async function () {
      const r = await call('GET', '/v2/nothing');
      assert.equal(r.status, 404);
      assert.equal(r.body.code, 'not_found');
      assert.equal((await call('GET', '/v2/users/')).status, 404);
      const m = await call('PATCH', '/v2/users/123', { uid: 'x' });
      assert.equal(m.status, 405);
      assert.equal(m.body.code, 'method_not_allowed');
      assert.equal((await call('GET', '/v2/events')).status, 405);
      assert.equal((await call('POST', '/v2beta/users', { uid: 'beta' })).status, 200);
      assert.equal(sb.counters.byRoute['POST /v2/users'], 1);
    });

    it('bodies must be JSON objects (sent as application/json when a Content-Type is sent)', async function () {
      const cases: [unknown, CallOptions][] = [
        [{ uid: 'a' }, { contentType: 'text/plain' }],
        [{ uid: 'a' }, { contentType: 'application/json; charset=latin1' }],
        [undefined, { raw: '{"uid": ' }],
        [undefined, { raw: '{"uid": ', contentType: null }],
        [undefined, { raw: '' }],
        [[{ uid: 'a' }], {}],
        [[{ uid: 'a' }], { contentType: null }],
        [null, {}],
      ];
      for (const [body, o] of cases) {
        const r = await call('POST', '/v2/users', body, o);
        assert.equal(r.status, 400, JSON.stringify([body, o]));
        assert.equal(r.body.code, 'invalid_argument');
        assert.equal(typeof r.body.message, 'string');
      }
      const ok = await call('POST', '/v2/users', { uid: 'a' }, { contentType: 'application/json; charset=UTF-8' });
      assert.equal(ok.status, 200);
      assert.equal(sb.users.size, 1);
    });

    it('a POST without Content-Type is read as JSON, as FullStory does (the official Node SDK sends none)', async function () {
      const user = await call('POST', '/v2/users', { uid: 'no-type', properties: { plan: 'pro' } }, { contentType: null });
      assert.equal(user.status, 200, user.text);
      const event = await call('POST', '/v2/events', { name: 'e', user: { uid: 'no-type' } }, { contentType: null });
      assert.equal(event.status, 200, event.text);
      const job = await call('POST', '/v2/users/batch', { requests: [{ uid: 'no-type-2' }] }, { contentType: null });
      assert.equal(job.status, 200, job.text);
      assert.equal(sb.requests.at(-1)?.headers['content-type'], undefined, 'really sent without one');
      assert.deepEqual(sb.users.get(user.body.id)?.properties, { plan: 'pro' });
      assert.equal(sb.events.length, 1);
    });

    it('records requests with headers as received', async function () {
      await call('POST', '/v2/users?x=1', { uid: 'r' }, { headers: { 'integration-source': 'node-red-contrib-fullstory' } });
      const rec = sb.requests.at(-1);
      assert.ok(rec);
      assert.equal(rec.method, 'POST');
      assert.equal(rec.path, '/v2/users');
      assert.deepEqual(rec.query, { x: '1' });
      assert.equal(rec.headers['integration-source'], 'node-red-contrib-fullstory');
      assert.equal(rec.headers['authorization'], `Basic ${ADMIN}`);
      assert.deepEqual(rec.body, { uid: 'r' });
      assert.equal(rec.status, 200);
    });
  });

  describe('users', function () {
    it('upserts by uid: same id, properties merged, newest wins', async function () {
      const a = await call('POST', '/v2/users', { uid: 'u1', display_name: 'A', properties: { plan: 'free', nested: { x: 1, y: 2 } } });
      const b = await call('POST', '/v2/users', { uid: 'u1', email: 'a@example.com', properties: { plan: 'paid', nested: { y: 3 }, n: 2 }, schema: { properties: { n: 'int' } } });
      assert.equal(a.status, 200);
      assert.equal(b.body.id, a.body.id);
      const got = await call('GET', `/v2/users/${a.body.id}?include_schema=true`);
      assert.equal(got.status, 200);
      assert.equal(got.body.uid, 'u1');
      assert.equal(got.body.display_name, 'A');
      assert.equal(got.body.email, 'a@example.com');
      assert.equal(got.body.is_being_deleted, false);
      assert.deepEqual(got.body.properties, { plan: 'paid', nested: { x: 1, y: 3 }, n: 2 });
      assert.deepEqual(got.body.schema.properties, { plan: 'str', 'nested.x': 'real', 'nested.y': 'real', n: 'int' });
      const anon1 = await call('POST', '/v2/users', { display_name: 'anon' });
      const anon2 = await call('POST', '/v2/users', { display_name: 'anon' });
      assert.notEqual(anon1.body.id, anon2.body.id);
      assert.equal(sb.users.size, 3);
    });

    it('update: 404 for an unknown id, uid is immutable once set', async function () {
      const unknown = await call('POST', '/v2/users/999', { display_name: 'x' });
      assert.equal(unknown.status, 404);
      assert.equal(unknown.body.code, 'user_not_found');
      const anon = await call('POST', '/v2/users', {});
      const set = await call('POST', `/v2/users/${anon.body.id}`, { uid: 'late', properties: { k: true } });
      assert.equal(set.status, 200);
      assert.equal(set.body.id, anon.body.id);
      const change = await call('POST', `/v2/users/${anon.body.id}`, { uid: 'other' });
      assert.equal(change.status, 400);
      assert.equal(change.body.code, 'invalid_argument');
      assert.equal((await call('POST', `/v2/users/${anon.body.id}`, { uid: 'late' })).status, 200);
      const other = await call('POST', '/v2/users', {});
      assert.equal((await call('POST', `/v2/users/${other.body.id}`, { uid: 'late' })).status, 400);
      assert.equal((await call('POST', `/v2/users/${anon.body.id}`, { id: 'x' })).status, 400, 'id is not a UserFields field');
    });

    it('field rules: lengths, types, unknown fields', async function () {
      const bad: unknown[] = [
        { uid: 'x'.repeat(257) },
        { display_name: 'x'.repeat(257) },
        { email: 'x'.repeat(129) },
        { uid: 5 },
        { uid: '' },
        { name: 'n' },
        { properties: [] },
      ];
      for (const body of bad) {
        const r = await call('POST', '/v2/users', body);
        assert.equal(r.status, 400, JSON.stringify(body).slice(0, 60));
        assert.equal(r.body.code, 'invalid_argument');
      }
      assert.equal((await call('POST', '/v2/users', { uid: 'x'.repeat(256), display_name: '😀'.repeat(256), email: 'e'.repeat(128) })).status, 200);
      assert.equal(sb.users.size, 1);
    });

    it('lists with filters and page tokens (total_records as a string)', async function () {
      for (let i = 0; i < 7; i++) await call('POST', '/v2/users', { uid: `l${i}`, email: i < 5 ? 'same@example.com' : `u${i}@example.com` });
      await call('POST', '/v2/users', { email: 'same@example.com' }); // anonymous
      const all = await allPages('/v2/users');
      assert.equal(all.results.length, 8);
      assert.equal(all.pages, 3);
      assert.deepEqual([...new Set(all.totals)], ['8']);
      const first = await call('GET', '/v2/users?email=same%40example.com&is_identified=true');
      assert.equal(first.body.total_records, '5');
      assert.equal(first.body.results.length, 3);
      const token = first.body.next_page_token as string;
      const second = await call('GET', `/v2/users?email=same%40example.com&is_identified=true&page_token=${encodeURIComponent(token)}`);
      assert.equal(second.body.results.length, 2);
      assert.equal(second.body.next_page_token, undefined);
      const otherFilter = await call('GET', `/v2/users?email=same%40example.com&page_token=${encodeURIComponent(token)}`);
      assert.equal(otherFilter.status, 400);
      assert.equal((await call('GET', '/v2/users?page_token=garbage')).status, 400);
      assert.equal((await call('GET', '/v2/users?is_identified=yes')).status, 400);
      const byUid = await call('GET', '/v2/users?uid=l6');
      assert.equal(byUid.body.results.length, 1);
      assert.equal(byUid.body.results[0].email, 'u6@example.com');
      const anon = await call('GET', '/v2/users?is_identified=false');
      assert.equal(anon.body.total_records, '1');
    });

    it('deletes by id or by uid, exactly one of them', async function () {
      const a = await call('POST', '/v2/users', { uid: 'd1' });
      const b = await call('POST', '/v2/users', { uid: 'd2' });
      const none = await call('DELETE', '/v2/users');
      assert.equal(none.status, 400);
      assert.equal((await call('DELETE', '/v2/users?uid=')).status, 400);
      assert.equal((await call('DELETE', `/v2/users/${a.body.id}?uid=d1`)).status, 400);
      assert.equal((await call('DELETE', '/v2/users/424242')).status, 404);
      assert.equal((await call('DELETE', '/v2/users?uid=ghost')).status, 404);
      const byId = await call('DELETE', `/v2/users/${a.body.id}`);
      assert.equal(byId.status, 200);
      assert.deepEqual(byId.body, {});
      const byUid = await call('DELETE', '/v2/users?uid=d2');
      assert.equal(byUid.status, 200);
      const marked = await call('GET', `/v2/users/${b.body.id}`);
      assert.equal(marked.status, 200);
      assert.equal(marked.body.is_being_deleted, true);
      assert.equal((await call('POST', `/v2/users/${a.body.id}`, { display_name: 'x' })).status, 404);
      await until(async () => (await call('GET', `/v2/users/${b.body.id}`)).status === 404);
      assert.equal(sb.users.size, 0);
      const again = await call('POST', '/v2/users', { uid: 'd1' });
      assert.notEqual(again.body.id, a.body.id);
    });
  });

  describe('events', function () {
    it('accepts each identification form', async function () {
      const u = await call('POST', '/v2/users', { uid: 'ev' });
      const ok: unknown[] = [
        { name: 'session', session: { id: '123456789:987654321' } },
        { name: 'by id', user: { id: u.body.id }, session: { use_most_recent: true } },
        { name: 'by uid', user: { uid: 'ev' }, session: { use_most_recent: true } },
        { name: 'uid alone', user: { uid: 'new-uid' } },
        { name: 'anonymous', timestamp: '2024-03-15T14:23:23.123+02:00' },
      ];
      for (const body of ok) {
        const r = await call('POST', '/v2/events', body);
        assert.equal(r.status, 200, `${JSON.stringify(body)} → ${r.text}`);
        assert.deepEqual(r.body, {});
      }
      const events = sb.events;
      assert.equal(events.length, 5);
      assert.equal(events[0]?.user, undefined);
      assert.equal(events[0]?.userId, undefined);
      assert.deepEqual(events[0]?.session, { id: '123456789:987654321' });
      assert.deepEqual(events[1]?.user, { id: u.body.id }, 'user as sent');
      assert.equal(events[1]?.userId, u.body.id);
      assert.deepEqual(events[2]?.user, { uid: 'ev' });
      assert.equal(events[2]?.userId, u.body.id, 'resolved by uid');
      assert.equal(sb.users.get(events[3]?.userId as string)?.uid, 'new-uid', 'an unknown uid creates the user');
      assert.equal(events[4]?.user, undefined);
      assert.ok(sb.users.has(events[4]?.userId as string), 'anonymous event created a user');
      assert.equal(events[4]?.timestamp, '2024-03-15T14:23:23.123+02:00');
      assert.ok(!Number.isNaN(Date.parse(events[0]?.timestamp as string)), 'server time filled in');
      assert.equal(sb.users.size, 3);
      assert.equal(events[0]?.via, 'single');
    });

    it('rejects mixed identification forms', async function () {
      const bad: unknown[] = [
        { name: 'e', session: { id: '1:2' }, user: { uid: 'x' } },
        { name: 'e', session: { id: '1:2', use_most_recent: true } },
        { name: 'e', session: { use_most_recent: true } },
        { name: 'e', session: { use_most_recent: true }, user: { id: '1', uid: 'x' } },
        { name: 'e', session: { id: '1:2', uid: 'ext' } },
        { name: 'e', user: {} },
        { name: 'e', session: { id: 'https://app.fullstory.com/ui/o/session/1%3A2' } },
        { name: 'e', session: { id: '1%3A2' } },
        { name: 'e', session: { use_most_recent: 'true' }, user: { uid: 'x' } },
      ];
      for (const body of bad) {
        const r = await call('POST', '/v2/events', body);
        assert.equal(r.status, 400, JSON.stringify(body));
        assert.equal(r.body.code, 'invalid_argument');
      }
      const missing = await call('POST', '/v2/events', { name: 'e', user: { id: '31337' } });
      assert.equal(missing.status, 404);
      assert.equal(missing.body.code, 'user_not_found');
      assert.equal(sb.events.length, 0);
      assert.equal(sb.users.size, 0);
    });

    it('checks name, timestamp, context and unknown fields', async function () {
      const empty = await call('POST', '/v2/events', { name: '' });
      assert.equal(empty.status, 400);
      assert.match(empty.body.message, /non-empty name/);
      const bad: unknown[] = [
        {},
        { name: 'x'.repeat(251) },
        { name: 'e', timestamp: 'yesterday' },
        { name: 'e', timestamp: '2024-03-15T14:23:23' },
        { name: 'e', timestamp: '2024-02-30T00:00:00Z' },
        { name: 'e', timestamp: 1710512603 },
        { name: 'e', extra: 1 },
        { name: 'e', context: { web: { url: 'x' } } },
        { name: 'e', context: { browser: { url: 5 } } },
        { name: 'e', context: { device: { screen_width: 10.5 } } },
        { name: 'e', context: { device: { screen_width: '1024' } } },
        { name: 'e', context: { location: { latitude: '1.5' } } },
        { name: 'e', context: { location: { city: null } } },
      ];
      for (const body of bad) {
        const r = await call('POST', '/v2/events', body);
        assert.equal(r.status, 400, JSON.stringify(body).slice(0, 80));
      }
      const full = {
        name: 'x'.repeat(250),
        timestamp: '2024-03-15T14:23:23Z',
        context: {
          browser: { url: 'https://a', user_agent: 'UA', initial_referrer: 'https://r' },
          mobile: { app_id: 'a', app_version: '1', app_name: 'n', build_variant: 'b' },
          device: { manufacturer: 'm', model: 'x', screen_width: 1024, screen_height: 768, viewport_width: 800, viewport_height: 600 },
          location: { country: 'US', region: 'GA', city: 'Atlanta', ip_address: '127.0.0.1', latitude: 33.7, longitude: -84.4 },
        },
      };
      assert.equal((await call('POST', '/v2/events', full)).status, 200);
    });
  });

  describe('properties and schema', function () {
    async function userStatus(properties: unknown, schema?: unknown): Promise<Res> {
      return call('POST', '/v2/users', schema === undefined ? { properties } : { properties, schema });
    }

    it('names: letters first, then letters, digits, underscores; dotted path ≤ 512', async function () {
      for (const name of ['1abc', 'a-b', '_a', 'a.b', 'é', '']) {
        const r = await userStatus({ [name]: 1 });
        assert.equal(r.status, 400, name);
        assert.equal(r.body.code, 'invalid_argument');
      }
      assert.equal((await userStatus({ ok: { 'bad-name': 1 } })).status, 400);
      assert.equal((await userStatus({ A_b9: 1, nested: { deeper: { leaf_1: 'x' } } })).status, 200);
      const seg = 'a'.repeat(255);
      assert.equal((await userStatus({ [seg]: { [seg]: 1 } })).status, 200); // 511 chars
      assert.equal((await userStatus({ [seg]: { [seg + 'bb']: 1 } })).status, 400); // 513 chars
    });

    it('values: no null, no arrays of objects, no mixed arrays', async function () {
      for (const v of [null, [{ a: 1 }], [1, 'a'], [[1]], [null]]) {
        const r = await userStatus({ p: v });
        assert.equal(r.status, 400, JSON.stringify(v));
      }
      assert.equal((await userStatus({ s: ['a', 'b'], n: [1, 2.5], b: [true], e: [] })).status, 200);
    });

    // FullStory's "8192 bytes" and our nodes (nodes/lib/validate/properties.ts) count a string's raw UTF-8
    // bytes, not its JSON text: quotes and escapes do not count.
    const sizeCases: Array<[string, string, number]> = [
      ['8192 × "a"', 'a'.repeat(8192), 200],
      ['8193 × "a"', 'a'.repeat(8193), 400],
      ['4096 × "é" (2 bytes each)', 'é'.repeat(4096), 200],
      ['4096 × "é" + "a"', `${'é'.repeat(4096)}a`, 400],
      ['2730 × "€" (3 bytes each) + "aa" = 8192', `${'€'.repeat(2730)}aa`, 200],
      ['2730 × "€" + "aaa" = 8193', `${'€'.repeat(2730)}aaa`, 400],
      ['2048 × "😀" (4 bytes, 2 UTF-16 units each)', '😀'.repeat(2048), 200],
      ['2048 × "😀" + "a"', `${'😀'.repeat(2048)}a`, 400],
      ['8192 × \'"\' (JSON: 16,386 bytes)', '"'.repeat(8192), 200],
      ['8193 × \'"\'', '"'.repeat(8193), 400],
      ['8192 × backslash', '\\'.repeat(8192), 200],
      ['8192 × newline', '\n'.repeat(8192), 200],
      ['8192 × U+0001 (JSON: \\u0001, 6 bytes each)', '\u0001'.repeat(8192), 200],
      ['8193 × U+0001', '\u0001'.repeat(8193), 400],
    ];
    for (const [label, value, status] of sizeCases) {
      it(`a string value is measured in raw UTF-8 bytes, ≤ 8192: ${label} → ${status}`, async function () {
        assert.equal(Buffer.byteLength(value, 'utf8') <= 8192, status === 200, 'the case itself is right');
        const r = await userStatus({ p: value });
        assert.equal(r.status, status, r.text.slice(0, 200));
        if (status === 400) {
          assert.equal(r.body.code, 'invalid_argument');
          assert.match(r.body.message, new RegExp(`${Buffer.byteLength(value, 'utf8')} bytes; the limit is 8192`));
        }
        const e = await call('POST', '/v2/events', { name: 'e', properties: { nested: { p: value } } });
        assert.equal(e.status, status, 'events measure the same way');
      });
    }

    it('a string value is accepted exactly when its UTF-8 bytes are ≤ 8192, for random strings near the limit', async function () {
      // Seeded, so a failure repeats: strings of 1-, 2-, 3- and 4-byte characters and JSON-escaped ones.
      const random = prng(11);
      const alphabet = ['a', 'é', '€', '😀', '"', '\\', '\n', '\u0001', '\u2028', '<'];
      for (let i = 0; i < 60; i++) {
        const target = 8192 + Math.floor(random() * 13) - 6;
        let value = '';
        while (Buffer.byteLength(value, 'utf8') < target) value += alphabet[Math.floor(random() * alphabet.length)];
        const bytes = Buffer.byteLength(value, 'utf8');
        const r = await userStatus({ p: value });
        assert.equal(r.status, bytes <= 8192 ? 200 : 400, `${bytes} bytes (${JSON.stringify(value).length} as JSON) → ${r.status}`);
      }
    });

    it('at most 500 properties, nested leaves counted', async function () {
      const make = (n: number) => {
        const top: Record<string, unknown> = {};
        const nested: Record<string, unknown> = {};
        for (let i = 0; i < n; i++) (i % 2 ? top : nested)[`p${i}`] = i;
        return { ...top, nested };
      };
      assert.equal((await userStatus(make(500))).status, 200);
      const r = await userStatus(make(501));
      assert.equal(r.status, 400);
      assert.match(r.body.message, /500/);
    });

    it('schema: known types, declared paths must exist and match', async function () {
      const ok: [unknown, unknown][] = [
        [{ n: 2 }, { n: 'int' }],
        [{ n: 2.5 }, { n: 'real' }],
        [{ loc: { code: 30303 } }, { 'loc.code': 'int' }],
        [{ d: '2024-01-01' }, { d: 'date' }],
        [{ d: '2024-01-01T10:00:00.5Z' }, { d: 'date' }],
        [{ ds: ['2024-01-01', '2024-01-02T00:00:00Z'] }, { ds: 'dates' }],
        [{ is: [1, 2] }, { is: 'ints' }],
        [{ s: 'x', b: false, ss: ['a'] }, { s: 'str', b: 'bool', ss: 'strs' }],
        [{ n: 1 }, {}],
      ];
      for (const [properties, declared] of ok) {
        const r = await userStatus(properties, { properties: declared });
        assert.equal(r.status, 200, `${JSON.stringify([properties, declared])} → ${r.text}`);
      }
      const bad: [unknown, unknown][] = [
        [{ n: 2.5 }, { n: 'int' }],
        [{ n: '2' }, { n: 'int' }],
        [{ is: [1, 2.5] }, { is: 'ints' }],
        [{ d: 'not a date' }, { d: 'date' }],
        [{ d: '2024-13-01' }, { d: 'date' }],
        [{ d: 20240101 }, { d: 'date' }],
        [{ n: 1 }, { n: 'integer' }],
        [{ n: 1 }, { m: 'int' }],
        [{ loc: { code: 1 } }, { loc: { code: 'int' } }],
        [{ loc: { code: 1 } }, { loc: 'int' }],
        [{ s: 1 }, { s: 'str' }],
        [{ b: 'true' }, { b: 'bool' }],
      ];
      for (const [properties, declared] of bad) {
        const r = await userStatus(properties, { properties: declared });
        assert.equal(r.status, 400, JSON.stringify([properties, declared]));
        assert.equal(r.body.code, 'invalid_argument');
      }
      assert.equal((await userStatus({ n: 1 }, { fields: {} })).status, 400);
      assert.equal((await userStatus({ n: 1 }, 'int')).status, 400);
    });

    it('events follow the same property rules', async function () {
      assert.equal((await call('POST', '/v2/events', { name: 'e', properties: { 'bad-name': 1 } })).status, 400);
      assert.equal((await call('POST', '/v2/events', { name: 'e', properties: { n: 1.5 }, schema: { properties: { n: 'int' } } })).status, 400);
      assert.equal((await call('POST', '/v2/events', { name: 'e', properties: { n: 1 }, schema: { properties: { n: 'int' } } })).status, 200);
    });
  });

  describe('idempotency', function () {
    it('replays the first result for the same key and body, without side effects', async function () {
      const headers = { 'idempotency-key': 'k1' };
      const a = await call('POST', '/v2/users', { uid: 'i1' }, { headers });
      const b = await call('POST', '/v2/users', { uid: 'i1' }, { headers });
      assert.equal(b.status, 200);
      assert.equal(b.text, a.text);
      assert.equal(sb.counters.idempotentReplays, 1);
      const e1 = await call('POST', '/v2/events', { name: 'once' }, { headers: { 'idempotency-key': 'ev-1' } });
      const e2 = await call('POST', '/v2/events', { name: 'once' }, { headers: { 'idempotency-key': 'ev-1' } });
      assert.equal(e1.status, 200);
      assert.equal(e2.status, 200);
      assert.equal(sb.events.length, 1);
      assert.equal(sb.events[0]?.idempotencyKey, 'ev-1');
      assert.equal(sb.users.size, 2); // i1 + the one anonymous event's user
      // the same key on another endpoint is another slot
      assert.equal((await call('POST', '/v2/events', { name: 'other' }, { headers })).status, 200);
    });

    it('4xx results are stored too; a different body with the same key is refused', async function () {
      const headers = { 'idempotency-key': 'k2' };
      const bad = await call('POST', '/v2/events', { name: '' }, { headers });
      assert.equal(bad.status, 400);
      const replay = await call('POST', '/v2/events', { name: '' }, { headers });
      assert.equal(replay.status, 400);
      assert.equal(sb.counters.idempotentReplays, 1);
      const reused = await call('POST', '/v2/events', { name: 'fixed' }, { headers });
      assert.equal(reused.status, 400);
      assert.equal(reused.body.code, 'idempotency_key_reused');
      assert.equal(sb.events.length, 0);
    });

    it('5xx results are not stored, so a retry runs for real', async function () {
      sb.rejectRecord = () => {
        throw new Error('boom');
      };
      const headers = { 'idempotency-key': 'k3' };
      const failed = await call('POST', '/v2/users', { uid: 'five' }, { headers });
      assert.equal(failed.status, 500);
      assert.equal(failed.body.code, 'server_error');
      delete sb.rejectRecord;
      const retry = await call('POST', '/v2/users', { uid: 'five' }, { headers });
      assert.equal(retry.status, 200);
      assert.equal(sb.counters.idempotentReplays, 0);
      assert.equal(sb.users.size, 1);
    });

    it('409 conflict while the first request with the key is still in flight', async function () {
      sb.inject({ match: { path: '/v2/users' }, fault: { type: 'delay', ms: 500 } });
      const headers = { 'idempotency-key': 'k4' };
      const first = call('POST', '/v2/users', { uid: 'slow' }, { headers });
      // The fault is taken where the key is marked in flight, just before the delay.
      await until(() => sb.faultSummary().length === 0);
      const second = await call('POST', '/v2/users', { uid: 'slow' }, { headers });
      assert.equal(second.status, 409);
      assert.equal(second.body.code, 'conflict');
      const done = await first;
      assert.equal(done.status, 200);
      const third = await call('POST', '/v2/users', { uid: 'slow' }, { headers });
      assert.equal(third.body.id, done.body.id);
      assert.equal(sb.counters.idempotentReplays, 1);
    });
  });

  describe('batch jobs', function () {
    it('users batch: PROCESSING, then COMPLETED with paged imports', async function () {
      const requests = [
        { uid: 'b1', display_name: 'One', properties: { n: 1 } },
        { uid: 'b2', email: 'b2@example.com' },
        { uid: 'b1', properties: { m: 2 } },
        { display_name: 'anon' },
      ];
      sb.holdJobs = true; // however slow this machine, the job is still processing when asked
      const created = await call('POST', '/v2/users/batch', { requests }, { headers: { 'idempotency-key': 'batch-1' } });
      assert.equal(created.status, 200);
      const job = created.body.job;
      assert.equal(job.status, 'PROCESSING');
      assert.match(job.id, /=$/);
      assert.ok(!Number.isNaN(Date.parse(job.created)));
      const early = await call('GET', `/v2/users/batch/${encodeURIComponent(job.id)}/imports`);
      assert.equal(early.status, 202);
      sb.holdJobs = false;
      const status = await waitJob('users', job.id);
      assert.equal(status.body.job.status, 'COMPLETED');
      assert.equal(status.body.imports, 4);
      assert.equal('errors' in status.body, false);
      assert.ok(status.body.job.finished);
      const imports = await allPages(`/v2/users/batch/${encodeURIComponent(job.id)}/imports`);
      assert.equal(imports.pages, 2);
      assert.deepEqual([...new Set(imports.totals)], ['4']);
      const [i0, , i2] = imports.results as Record<string, unknown>[];
      assert.equal(i0?.['id'], i2?.['id'], 'upsert by uid inside a batch');
      assert.deepEqual(i0, { id: i0?.['id'], uid: 'b1', display_name: 'One', properties: { n: 1 } });
      const errors = await call('GET', `/v2/users/batch/${encodeURIComponent(job.id)}/errors`);
      assert.deepEqual(errors.body, { results: [], total_records: '0' });
      const withSchema = await call('GET', `/v2/users/batch/${encodeURIComponent(job.id)}/imports?include_schema=true`);
      assert.deepEqual(withSchema.body.results[0].schema, { properties: { n: 'real' } });
      assert.deepEqual(sb.users.get(i0?.['id'] as string)?.properties, { n: 1, m: 2 });
      assert.equal(sb.counters.recordsImported, 4);
      const meta = sb.jobs.get(job.id);
      assert.equal(meta?.status, 'COMPLETED');
      assert.equal(meta?.requestCount, 4);
      assert.equal(meta?.idempotencyKey, 'batch-1');
      assert.equal((await call('GET', `/v2/events/batch/${encodeURIComponent(job.id)}`)).status, 404, 'job ids are per resource');
      assert.equal((await call('GET', '/v2/users/batch/bm9wZQ%3D%3D')).body.code, 'resource_not_found');
    });

    it('events batch: partial failures → FAILED; errors and imports page over several pages', async function () {
      const requests = Array.from({ length: 10 }, (_, i) => ({ name: `e${i}`, properties: { i }, user: { uid: `p${i % 2}` } }));
      (requests[9] as Record<string, unknown>)['properties'] = { 'bad-name': 1 };
      sb.rejectRecord = (resource, _record, index) => (resource === 'events' && index % 3 === 0 && index < 9 ? { code: 'rejected_for_test', message: `no #${index}` } : undefined);
      const created = await call('POST', '/v2/events/batch', { requests }, { headers: { 'idempotency-key': 'eb-1' } });
      assert.equal(created.status, 200);
      const id = created.body.job.id as string;
      const status = await waitJob('events', id);
      assert.equal(status.body.job.status, 'FAILED');
      assert.equal(status.body.imports, 6);
      assert.equal(status.body.errors, 4);
      const errors = await allPages(`/v2/events/batch/${encodeURIComponent(id)}/errors`);
      assert.equal(errors.pages, 2);
      assert.deepEqual([...new Set(errors.totals)], ['4']);
      const errs = errors.results as { code: string; message: string; event: unknown }[];
      assert.deepEqual(errs.map((e) => e.code), ['rejected_for_test', 'rejected_for_test', 'rejected_for_test', 'invalid_argument']);
      assert.deepEqual(errs[0]?.event, requests[0], 'the original item, as received');
      assert.deepEqual(errs[3]?.event, requests[9]);
      const imports = await allPages(`/v2/events/batch/${encodeURIComponent(id)}/imports`);
      assert.equal(imports.pages, 2);
      assert.deepEqual((imports.results as { name: string }[]).map((r) => r.name), ['e1', 'e2', 'e4', 'e5', 'e7', 'e8']);
      const first = imports.results[0] as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
      assert.equal(first['user'].uid, 'p1');
      assert.ok(first['user'].id);
      assert.equal(sb.events.length, 6);
      assert.ok(sb.events.every((e) => e.via === 'batch' && e.jobId === id && e.idempotencyKey === 'eb-1'));
      const mangled = await call('GET', `/v2/events/batch/${encodeURIComponent(id)}/errors?page_token=${encodeURIComponent('AAAA')}`);
      assert.equal(mangled.status, 400);
    });

    it('202 while processing (stuck jobs) and for processingResponsesFor202 after the end', async function () {
      sb.stuckJobs = true;
      const stuck = await call('POST', '/v2/events/batch', { requests: [{ name: 'e' }] });
      sb.stuckJobs = false;
      sb.processingResponsesFor202 = 2;
      const later = await call('POST', '/v2/events/batch', { requests: [{ name: 'e' }] });
      await waitJob('events', later.body.job.id);
      const sid = encodeURIComponent(stuck.body.job.id);
      assert.equal((await call('GET', `/v2/events/batch/${sid}`)).body.job.status, 'PROCESSING');
      for (const part of ['imports', 'errors']) {
        const r = await call('GET', `/v2/events/batch/${sid}/${part}`);
        assert.equal(r.status, 202);
        assert.deepEqual(r.body, {});
      }
      const lid = encodeURIComponent(later.body.job.id);
      assert.equal((await call('GET', `/v2/events/batch/${lid}`)).body.job.status, 'COMPLETED');
      assert.equal((await call('GET', `/v2/events/batch/${lid}/imports`)).status, 202);
      assert.equal((await call('GET', `/v2/events/batch/${lid}/errors`)).status, 202);
      assert.equal((await call('GET', `/v2/events/batch/${lid}/imports`)).status, 200);
    });

    it('an event with its own context fails when shared.context is set', async function () {
      const shared = { context: { browser: { url: 'https://shared' } } };
      const requests = [{ name: 'plain' }, { name: 'own', context: { browser: { url: 'https://own' } } }];
      const created = await call('POST', '/v2/events/batch', { requests, shared });
      const id = created.body.job.id as string;
      const status = await waitJob('events', id);
      assert.equal(status.body.job.status, 'FAILED');
      const errors = await call('GET', `/v2/events/batch/${encodeURIComponent(id)}/errors`);
      assert.equal(errors.body.results.length, 1);
      assert.deepEqual(errors.body.results[0].event, requests[1]);
      assert.deepEqual(errors.body.results[0].shared, shared);
      assert.deepEqual(sb.events[0]?.context, shared.context);
      const badShared = await call('POST', '/v2/events/batch', { requests, shared: { context: { web: {} } } });
      assert.equal(badShared.status, 400);
      assert.equal((await call('POST', '/v2/users/batch', { requests: [{}], shared })).status, 400, 'users batches have no shared');
    });

    it('envelope: 1..50,000 requests, else 400', async function () {
      for (const body of [{ requests: [] }, {}, { requests: {} }, { requests: [{ name: 'e' }], extra: 1 }]) {
        const r = await call('POST', '/v2/events/batch', body);
        assert.equal(r.status, 400, JSON.stringify(body));
        assert.equal(r.body.code, 'invalid_argument');
      }
      const tooMany = await call('POST', '/v2/events/batch', { requests: Array.from({ length: 50_001 }, () => ({ name: 'e' })) });
      assert.equal(tooMany.status, 400);
      assert.match(tooMany.body.message, /50000/);
      assert.equal(sb.jobs.size, 0);
    });

    it('non-object and invalid items become job errors, not a failed request', async function () {
      const created = await call('POST', '/v2/users/batch', { requests: [5, { uid: 'ok' }, { bogus: 1 }, { id: '404404' }] });
      assert.equal(created.status, 200);
      const status = await waitJob('users', created.body.job.id);
      assert.equal(status.body.imports, 1);
      assert.equal(status.body.errors, 3);
      const errors = await call('GET', `/v2/users/batch/${encodeURIComponent(created.body.job.id)}/errors`);
      assert.deepEqual(errors.body.results.map((e: { code: string }) => e.code), ['invalid_argument', 'invalid_argument', 'user_not_found']);
      assert.deepEqual(errors.body.results[2].user, { id: '404404' });
    });

    it('more than 200 in-progress jobs → 429 too_many_requests with Retry-After', async function () {
      sb.stuckJobs = true;
      for (let i = 0; i < 200; i++) {
        const r = await call('POST', '/v2/events/batch', { requests: [{ name: 'e' }] });
        assert.equal(r.status, 200);
      }
      const r = await call('POST', '/v2/events/batch', { requests: [{ name: 'e' }] });
      assert.equal(r.status, 429);
      assert.equal(r.body.code, 'too_many_requests');
      assert.ok(Number(r.headers.get('retry-after')) >= 1);
    });
  });

  describe('faults', function () {
    it('status 429 with Retry-After in seconds or as an HTTP date, then normal service', async function () {
      const date = new Date(Date.now() + 2000).toUTCString();
      sb.inject({ match: { method: 'POST', path: '/v2/users' }, fault: { type: 'status', status: 429, retryAfter: 3 } });
      sb.inject({ match: { method: 'POST', path: /^\/v2\/events$/ }, fault: { type: 'status', status: 429, retryAfter: date } });
      const a = await call('POST', '/v2/users', { uid: 'f' });
      assert.equal(a.status, 429);
      assert.equal(a.headers.get('retry-after'), '3');
      assert.equal(a.body.code, 'too_many_requests');
      const b = await call('POST', '/v2/events', { name: 'e' });
      assert.equal(b.headers.get('retry-after'), date);
      assert.equal((await call('POST', '/v2/users', { uid: 'f' })).status, 200);
      assert.equal((await call('POST', '/v2/events', { name: 'e' })).status, 200);
      assert.equal(sb.users.size, 2);
    });

    it('503 for n times, without side effects', async function () {
      sb.inject({ times: 2, fault: { type: 'status', status: 503 } });
      for (let i = 0; i < 2; i++) {
        const r = await call('POST', '/v2/events', { name: 'e' }, { headers: { 'idempotency-key': 'f503' } });
        assert.equal(r.status, 503);
        assert.equal(r.body.code, 'service_unavailable');
      }
      assert.equal(sb.events.length, 0);
      assert.equal((await call('POST', '/v2/events', { name: 'e' }, { headers: { 'idempotency-key': 'f503' } })).status, 200);
      assert.equal(sb.events.length, 1);
    });

    it('drop: the socket closes without an answer and nothing is stored', async function () {
      sb.inject({ fault: { type: 'drop' } });
      await assert.rejects(call('POST', '/v2/users', { uid: 'dropped' }));
      assert.equal(sb.users.size, 0);
      assert.equal(sb.requests.at(-1)?.status, 0);
    });

    it('dropAfterProcessing stores once; a retry with the same key replays', async function () {
      sb.inject({ match: { path: '/v2/events/batch' }, fault: { type: 'dropAfterProcessing' } });
      const headers = { 'idempotency-key': 'lost-answer' };
      const body = { requests: [{ name: 'e1' }, { name: 'e2' }] };
      await assert.rejects(call('POST', '/v2/events/batch', body, { headers }));
      assert.equal(sb.jobs.size, 1);
      const retry = await call('POST', '/v2/events/batch', body, { headers });
      assert.equal(retry.status, 200);
      assert.equal(retry.body.job.id, [...sb.jobs.keys()][0]);
      assert.equal(sb.jobs.size, 1);
      assert.equal(sb.counters.idempotentReplays, 1);
      await waitJob('events', retry.body.job.id);
      assert.equal(sb.events.length, 2);
    });

    it('delay and delayAfterProcessing answer late; malformed answers non-JSON', async function () {
      sb.inject({ fault: { type: 'delay', ms: 60 } });
      let t = Date.now();
      assert.equal((await call('GET', '/v2/users')).status, 200);
      assert.ok(Date.now() - t >= 55);
      sb.inject({ fault: { type: 'delayAfterProcessing', ms: 60 } });
      t = Date.now();
      let answered = false;
      const slow = call('POST', '/v2/users', { uid: 'late' }).finally(() => (answered = true));
      await until(() => sb.users.size === 1);
      assert.equal(answered, false, 'processed before the answer');
      assert.equal((await slow).status, 200);
      assert.ok(Date.now() - t >= 55);
      sb.inject({ fault: { type: 'malformed' } });
      const m = await call('POST', '/v2/users', { uid: 'm' });
      assert.equal(m.status, 200);
      assert.equal(m.headers.get('content-type'), 'application/json');
      assert.throws(() => JSON.parse(m.text));
      sb.inject({ fault: { type: 'malformed', status: 502 } });
      assert.equal((await call('GET', '/v2/users')).status, 502);
    });

    it('probability is drawn from a seeded PRNG (same seed → same pattern)', async function () {
      const pattern = async () => {
        sb.reset();
        sb.inject({ times: Infinity, probability: 0.5, fault: { type: 'status', status: 500 } });
        const out: number[] = [];
        for (let i = 0; i < 12; i++) out.push((await call('GET', '/v2/users')).status);
        return out;
      };
      const a = await pattern();
      const b = await pattern();
      assert.deepEqual(a, b);
      assert.ok(a.includes(500) && a.includes(200));
      sb.clearFaults();
      assert.equal((await call('GET', '/v2/users')).status, 200);
      assert.throws(() => sb.inject({ probability: 2, fault: { type: 'drop' } }));
    });
  });

  describe('lifecycle', function () {
    it('reset() isolates: a request held by a delay fault is neither processed nor recorded', async function () {
      sb.inject({ fault: { type: 'delay', ms: 500 } });
      const pending = call('POST', '/v2/users', { uid: 'old' }).then(() => 'answered', () => 'dropped');
      await until(() => sb.faultSummary().length === 0); // the request took the fault: it is held
      sb.reset();
      assert.equal(await pending, 'dropped');
      assert.equal(sb.users.size, 0);
      assert.equal(sb.requests.length, 0);
    });

    it('413 above maxBodyBytes; close() ends keep-alive sockets', async function () {
      const small = await startSandbox({ maxBodyBytes: 200 });
      const agent = new http.Agent({ keepAlive: true });
      const post = (body: string) =>
        new Promise<{ status: number; text: string }>((resolve, reject) => {
          const req = http.request(`${small.url}/v2/users`, {
            method: 'POST',
            agent,
            headers: { authorization: `Basic ${ADMIN}`, 'content-type': 'application/json' },
          }, (res) => {
            let text = '';
            res.on('data', (c: Buffer) => (text += c.toString()));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
          });
          req.on('error', reject);
          req.end(body);
        });
      const big = await post(JSON.stringify({ uid: 'x'.repeat(300) }));
      assert.equal(big.status, 413);
      assert.equal(JSON.parse(big.text).code, 'payload_too_large');
      assert.equal((await post(JSON.stringify({ uid: 'ok' }))).status, 200);
      const sockets = Object.values(agent.freeSockets).flat();
      assert.equal(sockets.length, 1, 'an idle keep-alive socket is open');
      const closed = new Promise<void>((resolve) => sockets[0]?.once('close', () => resolve()));
      const t = Date.now();
      await small.close();
      await closed;
      assert.ok(Date.now() - t < 10_000, 'not the 60 s keep-alive timeout');
      agent.destroy();
    });
  });
});
