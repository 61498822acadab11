// Where the sandbox refuses what the specs are silent on, it says so: the rule is marked in the code
// ("sandbox's own rule: the specs are silent"), tested here by name, and listed in the README's
// sandbox section. FullStory may accept some of these; a flow that passes the sandbox is never
// refused by FullStory for them, which is why the sandbox errs on the strict side.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startSandbox, type Sandbox } from '../../sandbox';

const ROOT = path.resolve(__dirname, '..', '..');
const ADMIN = 'na1.admin-key';

interface Res {
  status: number;
  body: { code?: string; message?: string; id?: string; next_page_token?: string; [k: string]: unknown };
  text: string;
}

type Call = (method: string, urlPath: string, body?: unknown, o?: { raw?: Buffer | string; contentType?: string | null }) => Promise<Res>;

interface OwnRule {
  /** As the README lists it, word for word. */
  rule: string;
  check(call: Call, sb: Sandbox): Promise<void>;
}

async function refused(res: Promise<Res>, what: string, status = 400): Promise<void> {
  const r = await res;
  assert.equal(r.status, status, `${what} → ${r.status} ${r.text.slice(0, 200)}`);
  assert.equal(typeof r.body.code, 'string', `${what}: an error code`);
}

async function accepted(res: Promise<Res>, what: string): Promise<Res> {
  const r = await res;
  assert.equal(r.status, 200, `${what} → ${r.status} ${r.text.slice(0, 200)}`);
  return r;
}

const OWN_RULES: OwnRule[] = [
  {
    rule: 'A Content-Type other than application/json (UTF-8)',
    async check(call) {
      await refused(call('POST', '/v2/users', { uid: 'a' }, { contentType: 'text/plain' }), 'text/plain');
      await refused(call('POST', '/v2/users', { uid: 'a' }, { contentType: 'application/x-www-form-urlencoded' }), 'a form');
      await refused(call('POST', '/v2/users', { uid: 'a' }, { contentType: 'application/json; charset=latin1' }), 'latin1');
      await accepted(call('POST', '/v2/users', { uid: 'a' }, { contentType: null }), 'no Content-Type (what FullStory accepts)');
    },
  },
  {
    rule: 'An empty body, or one that is not UTF-8',
    async check(call) {
      await refused(call('POST', '/v2/users', undefined, { raw: '' }), 'empty');
      await refused(call('POST', '/v2/users', undefined, { raw: Buffer.from([0x7b, 0x22, 0x75, 0x69, 0x64, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d]) }), 'a 0xff byte');
    },
  },
  {
    rule: 'Fields the specs do not list',
    async check(call) {
      await refused(call('POST', '/v2/users', { uid: 'a', name: 'n' }), 'user.name');
      await refused(call('POST', '/v2/events', { name: 'e', extra: 1 }), 'event.extra');
      await refused(call('POST', '/v2/events', { name: 'e', user: { uid: 'a', email: 'x' } }), 'event.user.email');
      await refused(call('POST', '/v2/events', { name: 'e', context: { web: { url: 'x' } } }), 'context.web');
      await refused(call('POST', '/v2/users', { properties: { n: 1 }, schema: { fields: {} } }), 'schema.fields');
      await refused(call('POST', '/v2/events/batch', { requests: [{ name: 'e' }], extra: 1 }), 'a batch envelope field');
    },
  },
  {
    rule: 'Event timestamps without a zone or without seconds',
    async check(call) {
      for (const timestamp of ['2024-03-15T14:23:23', '2024-03-15T14:23Z', '2024-03-15', '2024-03-15 14:23:23Z']) {
        await refused(call('POST', '/v2/events', { name: 'e', timestamp }), timestamp);
      }
      await accepted(call('POST', '/v2/events', { name: 'e', timestamp: '2024-03-15T14:23:23+01:00' }), 'an RFC 3339 instant');
    },
  },
  {
    rule: 'Quoted numbers',
    async check(call) {
      await refused(call('POST', '/v2/events', { name: 'e', context: { device: { screen_width: '1024' } } }), 'screen_width "1024"');
      await refused(call('POST', '/v2/events', { name: 'e', context: { location: { latitude: '1.5' } } }), 'latitude "1.5"');
      await refused(call('POST', '/v2/users', { properties: { seats: '3' }, schema: { properties: { seats: 'int' } } }), 'seats "3" declared int');
      await accepted(call('POST', '/v2/events', { name: 'e', context: { device: { screen_width: 1024 }, location: { latitude: 1.5 } } }), 'the same unquoted');
    },
  },
  {
    rule: 'Empty batches',
    async check(call) {
      await refused(call('POST', '/v2/users/batch', { requests: [] }), 'users');
      await refused(call('POST', '/v2/events/batch', { requests: [] }), 'events');
    },
  },
  {
    rule: 'Event names over 250 characters',
    async check(call) {
      await refused(call('POST', '/v2/events', { name: 'x'.repeat(251) }), '251 characters');
      await accepted(call('POST', '/v2/events', { name: '😀'.repeat(250) }), '250 characters (code points)');
    },
  },
  {
    rule: 'Session ids not shaped `<device_id>:<session_id>`',
    async check(call) {
      await refused(call('POST', '/v2/events', { name: 'e', session: { id: 'https://app.fullstory.com/ui/o/session/1%3A2' } }), 'a session URL');
      await refused(call('POST', '/v2/events', { name: 'e', session: { id: '1%3A2' } }), 'an encoded colon');
      await accepted(call('POST', '/v2/events', { name: 'e', session: { id: '123:456' } }), 'device:session');
    },
  },
  {
    rule: 'An empty uid or id',
    async check(call) {
      await refused(call('POST', '/v2/users', { uid: '' }), 'uid ""');
      await refused(call('POST', '/v2/events', { name: 'e', user: { uid: '' } }), 'user.uid ""');
      await refused(call('POST', '/v2/events', { name: 'e', user: { id: '' } }), 'user.id ""');
    },
  },
  {
    rule: 'Null property values, and lists that mix types',
    async check(call) {
      await refused(call('POST', '/v2/users', { properties: { p: null } }), 'null');
      await refused(call('POST', '/v2/users', { properties: { p: [1, 'a'] } }), 'a mixed list');
    },
  },
  {
    rule: 'A value over 8192 bytes fails the whole request',
    async check(call, sb) {
      await refused(call('POST', '/v2/users', { uid: 'big', properties: { ok: 'fine', p: 'a'.repeat(8193) } }), 'a value of 8193 bytes');
      assert.equal(sb.users.size, 0, 'nothing stored (the spec says only that "the property will be rejected")');
    },
  },
  {
    rule: 'Lists over 8192 bytes as JSON',
    async check(call) {
      // 8188 bytes of text; as JSON ["…","…"] it is 8195.
      await refused(call('POST', '/v2/users', { properties: { p: ['a'.repeat(4094), 'b'.repeat(4094)] } }), 'a list of 8195 JSON bytes');
      await accepted(call('POST', '/v2/users', { properties: { p: ['a'.repeat(4092), 'b'.repeat(4093)] } }), 'a list of 8192 JSON bytes');
    },
  },
  {
    rule: 'Schema declarations the properties do not match',
    async check(call) {
      await refused(call('POST', '/v2/users', { properties: { n: 1 }, schema: { properties: { m: 'int' } } }), 'a declared path that is not there');
      await refused(call('POST', '/v2/users', { properties: { n: 2.5 }, schema: { properties: { n: 'int' } } }), '2.5 declared int');
      await refused(call('POST', '/v2/users', { properties: { b: 'true' }, schema: { properties: { b: 'bool' } } }), '"true" declared bool');
    },
  },
  {
    rule: 'Dates that are neither ISO dates nor RFC 3339 instants',
    async check(call) {
      for (const d of ['not a date', '2024-13-01', '15/03/2024', '2024-03-15T10:00']) {
        await refused(call('POST', '/v2/users', { properties: { d }, schema: { properties: { d: 'date' } } }), d);
      }
      await accepted(call('POST', '/v2/users', { properties: { d: '2024-03-15', t: '2024-03-15T10:00:00Z' }, schema: { properties: { d: 'date', t: 'date' } } }), 'a date and an instant');
    },
  },
  {
    rule: 'Query booleans other than `true` and `false`',
    async check(call) {
      await refused(call('GET', '/v2/users?is_identified=yes'), 'is_identified=yes');
      await refused(call('GET', '/v2/users?include_schema=1'), 'include_schema=1');
    },
  },
  {
    rule: 'A page token from another listing or job',
    async check(call, sb) {
      sb.reset();
      for (let i = 0; i < 3; i++) await call('POST', '/v2/users', { uid: `t${i}`, email: 'same@example.com' });
      const first = await accepted(call('GET', '/v2/users?email=same%40example.com'), 'page 1');
      const token = first.body.next_page_token as string;
      assert.ok(token, 'a next page (page size 2)');
      await accepted(call('GET', `/v2/users?email=same%40example.com&page_token=${encodeURIComponent(token)}`), 'the same filters');
      await refused(call('GET', `/v2/users?page_token=${encodeURIComponent(token)}`), 'other filters');
    },
  },
  {
    rule: 'A delete that names both an id and a uid',
    async check(call) {
      const u = await accepted(call('POST', '/v2/users', { uid: 'both' }), 'create');
      await refused(call('DELETE', `/v2/users/${u.body.id}?uid=both`), 'id and uid');
    },
  },
  {
    rule: 'A uid that belongs to another user',
    async check(call) {
      await accepted(call('POST', '/v2/users', { uid: 'taken' }), 'the owner');
      const other = await accepted(call('POST', '/v2/users', {}), 'an anonymous user');
      await refused(call('POST', `/v2/users/${other.body.id}`, { uid: 'taken' }), 'update with a taken uid');
    },
  },
  {
    rule: 'Bodies over 64 MiB',
    async check() {
      // The same limit, made small so the test does not send 64 MiB.
      const small = await startSandbox({ maxBodyBytes: 100 });
      try {
        const res = await fetch(`${small.url}/v2/users`, {
          method: 'POST',
          headers: { authorization: `Basic ${ADMIN}`, 'content-type': 'application/json' },
          body: Buffer.from(JSON.stringify({ uid: 'x'.repeat(200) })),
        });
        assert.equal(res.status, 413);
        assert.equal(((await res.json()) as { code: string }).code, 'payload_too_large');
      } finally {
        await small.close();
      }
    },
  },
];

describe("sandbox's own rules (the specs are silent; the README lists them)", function () {
  let sb: Sandbox;

  const call: Call = async (method, urlPath, body, o = {}) => {
    const headers: Record<string, string> = { authorization: `Basic ${ADMIN}` };
    const raw = o.raw ?? (body === undefined ? undefined : JSON.stringify(body));
    if (raw !== undefined && o.contentType !== null) headers['content-type'] = o.contentType ?? 'application/json';
    // Bytes, not a string: fetch would add "Content-Type: text/plain" to a string body.
    const res = await fetch(sb.url + urlPath, { method, headers, ...(raw === undefined ? {} : { body: Buffer.from(raw) }) });
    const text = await res.text();
    let parsed: Res['body'] = {};
    try {
      parsed = JSON.parse(text) as Res['body'];
    } catch {
      // not JSON: the assertions say so
    }
    return { status: res.status, body: parsed, text };
  };

  before(async function () {
    sb = await startSandbox({ pageSize: 2 });
  });
  beforeEach(function () {
    sb.reset();
  });
  after(async function () {
    await sb.close();
  });

  for (const { rule, check } of OWN_RULES) {
    it(`sandbox's own: ${rule}`, async function () {
      await check(call, sb);
    });
  }

  it('the README lists exactly these rules, and the code marks them', function () {
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const start = readme.indexOf('### What the sandbox refuses on its own');
    assert.ok(start >= 0, 'README has a "### What the sandbox refuses on its own" section');
    const end = readme.indexOf('\n#', start + 4);
    const section = readme.slice(start, end < 0 ? undefined : end);
    const listed = [...section.matchAll(/^- \*\*(.+?)\*\*/gm)].map((m) => m[1]);
    assert.deepEqual(listed, OWN_RULES.map((r) => r.rule));
    const marks = fs.readdirSync(path.join(ROOT, 'sandbox'))
      .filter((f) => f.endsWith('.ts'))
      .reduce((n, f) => n + (fs.readFileSync(path.join(ROOT, 'sandbox', f), 'utf8').match(/sandbox's own rule/g)?.length ?? 0), 0);
    assert.ok(marks >= OWN_RULES.length, `${marks} "sandbox's own rule" marks in sandbox/ for ${OWN_RULES.length} rules`);
  });
});
