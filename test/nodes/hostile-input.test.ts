// Hostile input, node-level: every case goes through a deployed node (node-red-node-test-helper)
// against the sandbox on loopback. Each case is framed by a valid msg before and after it on the
// same node, which must both succeed: a bad msg fails on its own and never disturbs its neighbours,
// the node or the runtime. Where a case may reach FullStory, the requests it caused are checked
// (path stays under /v2/users/, values encoded, no extra query parameters or headers).

import assert from 'node:assert/strict';
import type { Node, NodeMessage } from 'node-red';
import { startSandbox, type RecordedRequest, type Sandbox } from '../../sandbox';
import { requestDigest } from '../../nodes/lib/api/idempotency';
import { ADMIN_KEY, configFor, dataNode, helper, loadFlow, type FlowNode } from '../support/harness';

type NodeId = 'user' | 'event';

interface Outcome {
  port: 'ok' | 'fail';
  msg: NodeMessage & { error?: { code: string; message: string; field?: string; retryable: boolean }; fullstory?: Record<string, unknown> };
  /** The requests the sandbox saw while this msg was in the node. */
  requests: RecordedRequest[];
  ms: number;
}

interface Case {
  title: string;
  node: NodeId;
  msg: () => Record<string, unknown>;
  /** Expected msg.error.code on output 2, or 'ok' for hostile-looking input that is valid and must go through intact. */
  code: string;
  /** What the message must say (it has to tell the user what to do). */
  message?: RegExp;
  /** The msg may be sent: checks its requests. Without it, the msg must be refused before sending. */
  sent?: (requests: RecordedRequest[], out: Outcome) => void;
  /** Must be refused in under this many ms (big payloads). */
  fastMs?: number;
}

/** A JSON text parsed, so that "__proto__" is an own key (an object literal would set the prototype). */
const json = (text: string): Record<string, unknown> => JSON.parse(text) as Record<string, unknown>;

/** A properties object with `levels` objects nested below it: {level: {level: … leaf}}. */
function nested(levels: number, leaf: unknown = 1): Record<string, unknown> {
  let value: unknown = leaf;
  for (let i = 0; i <= levels; i++) value = { level: value };
  return value as Record<string, unknown>;
}

const TEN_MB = 10 * 1024 * 1024;
const PROTO_NAMES = Object.getOwnPropertyNames(Object.prototype).sort();
const HEADER_NAMES = new Set(['host', 'connection', 'content-type', 'content-length', 'accept', 'accept-encoding', 'authorization', 'user-agent', 'integration-source', 'idempotency-key']);

/** Only the headers a client of ours sends, no injected ones. */
function assertCleanHeaders(requests: RecordedRequest[]): void {
  for (const r of requests) {
    for (const name of Object.keys(r.headers)) assert.ok(HEADER_NAMES.has(name), `unexpected header ${name} on ${r.method} ${r.path}`);
    for (const value of Object.values(r.headers)) assert.doesNotMatch(String(value), /X-Evil|[\r\n]/i);
  }
}

/** The single request of a get/update/delete by id: one segment under /v2/users/, nothing else. */
function underUsers(method: string, encodedId: string) {
  return (requests: RecordedRequest[]) => {
    assert.equal(requests.length, 1, JSON.stringify(requests.map((r) => `${r.method} ${r.path}`)));
    const [r] = requests;
    assert.equal(r.method, method);
    assert.equal(r.path, `/v2/users/${encodedId}`);
    assert.deepEqual(r.query, {});
    assertCleanHeaders(requests);
  };
}

/** A delete FullStory answered "no such user" (404): the user is gone, so it is a success, marked. */
function alreadyDeleted(out: Outcome): void {
  assert.equal(out.msg.fullstory?.alreadyDeleted, true);
  assert.equal(out.msg.fullstory?.status, 404);
}

const CASES: Case[] = [
  // ---- msg.payload of the wrong type ----
  { title: 'user payload is a string', node: 'user', msg: () => ({ payload: 'uid=42' }), code: 'invalid_payload', message: /must be an object .* but it is a string/ },
  { title: 'user payload is a number', node: 'user', msg: () => ({ payload: 42 }), code: 'invalid_payload', message: /but it is a number/ },
  { title: 'user payload is null', node: 'user', msg: () => ({ payload: null }), code: 'invalid_payload', message: /but it is null/ },
  { title: 'user payload is a Buffer', node: 'user', msg: () => ({ payload: Buffer.from('{"uid":"b"}') }), code: 'invalid_payload', message: /a Buffer/ },
  { title: 'user payload is an array (single mode)', node: 'user', msg: () => ({ payload: [{ uid: 'a' }, { uid: 'b' }] }), code: 'invalid_payload', message: /an array/ },
  { title: 'event payload is a boolean', node: 'event', msg: () => ({ payload: true }), code: 'invalid_payload', message: /describing the event.*a boolean/ },
  { title: 'event payload is null (no Event name set)', node: 'event', msg: () => ({ payload: null }), code: 'invalid_payload', message: /null.*Set msg\.payload to an object/ },
  { title: 'event payload is an array (single mode)', node: 'event', msg: () => ({ payload: [{ name: 'a' }] }), code: 'invalid_payload', message: /an array/ },

  // ---- circular references ----
  {
    title: 'user payload whose properties is the payload itself',
    node: 'user',
    msg: () => { const p: Record<string, unknown> = { uid: 'circ' }; p.properties = p; return { payload: p }; },
    code: 'invalid_payload', message: /circular reference.*Remove that reference/,
  },
  {
    title: 'circular reference deep inside properties',
    node: 'user',
    msg: () => { const a: Record<string, unknown> = { b: { c: {} } }; ((a.b as Record<string, unknown>).c as Record<string, unknown>).back = a; return { payload: { uid: 'circ', properties: { a } } }; },
    code: 'invalid_payload', message: /properties\.a\.b\.c\.back.*circular reference/,
  },
  {
    title: 'circular reference inside event properties',
    node: 'event',
    msg: () => { const props: Record<string, unknown> = { total: 1 }; props.self = props; return { payload: { name: 'Circ', properties: props } }; },
    code: 'invalid_payload', message: /circular reference/,
  },
  {
    title: 'circular reference inside the schema',
    node: 'user',
    msg: () => { const s: Record<string, unknown> = { a: 'int' }; s.loop = s; return { payload: { uid: 'circ', properties: { a: 1 }, schema: { properties: s } } }; },
    code: 'invalid_schema', message: /circular reference/,
  },

  // ---- prototype pollution attempts ----
  { title: '__proto__ as a user payload key', node: 'user', msg: () => ({ payload: json('{"uid":"p","__proto__":{"polluted":"yes"}}') }), code: 'invalid_field', message: /unknown field "__proto__"/ },
  { title: '__proto__ as a property name', node: 'user', msg: () => ({ payload: json('{"uid":"p","properties":{"__proto__":{"polluted":"yes"}}}') }), code: 'invalid_property_name', message: /"__proto__".*Remove it/ },
  { title: '__proto__ nested in properties', node: 'event', msg: () => ({ payload: json('{"name":"P","properties":{"a":{"b":{"__proto__":{"polluted":"yes"}}}}}') }), code: 'invalid_property_name', message: /properties\.a\.b\.__proto__/ },
  { title: '__proto__ in the schema', node: 'user', msg: () => ({ payload: json('{"uid":"p","properties":{"a":1},"schema":{"properties":{"__proto__":"str"}}}') }), code: 'invalid_schema' },
  { title: '__proto__ in event user/context', node: 'event', msg: () => ({ payload: json('{"name":"P","context":{"__proto__":{"polluted":"yes"}}}') }), code: 'invalid_field', message: /context has an unknown field "__proto__"/ },
  { title: 'v1 field __proto___str', node: 'user', msg: () => ({ payload: json('{"uid":"p","__proto___str":"x"}') }), code: 'invalid_property_name' },
  { title: 'constructor as a user payload key', node: 'user', msg: () => ({ payload: json('{"uid":"p","constructor":{"prototype":{"polluted":"yes"}}}') }), code: 'invalid_field', message: /unknown field "constructor"/ },
  {
    title: 'constructor / prototype as property names are plain data (valid FullStory names)',
    node: 'user',
    msg: () => ({ payload: json('{"uid":"proto-data","properties":{"constructor":{"prototype":{"polluted":"yes"}},"prototype":"x"}}') }),
    code: 'ok',
    sent: (requests) => {
      assert.equal(requests.length, 1);
      assert.deepEqual(requests[0].body, { uid: 'proto-data', properties: { constructor: { prototype: { polluted: 'yes' } }, prototype: 'x' } });
    },
  },

  // ---- property names ----
  { title: 'property name with a dash', node: 'user', msg: () => ({ payload: { uid: 'n', properties: { 'plan-name': 'x' } } }), code: 'invalid_property_name', message: /Rename it, e\.g\. "plan_name"/ },
  { title: 'property name with a leading digit', node: 'user', msg: () => ({ payload: { uid: 'n', properties: { '1st': 'x' } } }), code: 'invalid_property_name', message: /start with a letter.*Rename it/ },
  { title: 'property name with a space', node: 'event', msg: () => ({ payload: { name: 'N', properties: { 'order total': 1 } } }), code: 'invalid_property_name', message: /"order_total"/ },
  { title: 'property name with unicode', node: 'user', msg: () => ({ payload: { uid: 'n', properties: { 'größe': 1 } } }), code: 'invalid_property_name', message: /Rename it/ },
  { title: 'empty property name', node: 'user', msg: () => ({ payload: { uid: 'n', properties: { '': 1 } } }), code: 'invalid_property_name', message: /empty name.*Give it a name/ },
  { title: 'property name of 513 characters', node: 'user', msg: () => ({ payload: { uid: 'n', properties: { ['a'.repeat(513)]: 1 } } }), code: 'invalid_property_name', message: /513 characters long.*at most 512.*Use shorter names/ },
  { title: 'dotted path over 512 characters', node: 'event', msg: () => ({ payload: { name: 'N', properties: { ['a'.repeat(300)]: { ['b'.repeat(250)]: 1 } } } }), code: 'invalid_property_name', message: /551 characters long.*dotted path/ },

  // ---- values ----
  { title: 'string value over 8192 bytes', node: 'user', msg: () => ({ payload: { uid: 'v', properties: { note: 'x'.repeat(8193) } } }), code: 'property_value_too_large', message: /at most 8192 bytes.*Shorten it/ },
  { title: 'multi-byte value over 8192 bytes (under 8192 characters)', node: 'event', msg: () => ({ payload: { name: 'V', properties: { note: 'é'.repeat(5000) } } }), code: 'property_value_too_large', message: /10000 bytes/ },
  { title: 'list value over 8192 bytes', node: 'user', msg: () => ({ payload: { uid: 'v', properties: { tags: Array.from({ length: 2000 }, (_, i) => `tag-${i}`) } } }), code: 'property_value_too_large', message: /Send fewer or shorter items/ },
  {
    title: '501 properties',
    node: 'user',
    msg: () => ({ payload: { uid: 'v', properties: Object.fromEntries(Array.from({ length: 501 }, (_, i) => [`p${i}`, i])) } }),
    code: 'too_many_properties', message: /more than 500 properties.*remove some/,
  },
  { title: 'nesting 10 objects deep (the limit) goes through', node: 'user', msg: () => ({ payload: { uid: 'v', properties: nested(10) } }), code: 'ok', sent: (requests) => assert.equal(requests.length, 1) },
  { title: 'nesting 11 objects deep', node: 'user', msg: () => ({ payload: { uid: 'v', properties: nested(11) } }), code: 'invalid_property_value', message: /nested more than 10 levels deep.*flatten/ },
  { title: 'nesting 10,000 objects deep (no stack overflow)', node: 'event', msg: () => ({ payload: { name: 'Deep', properties: nested(10_000) } }), code: 'invalid_property_value', message: /nested more than 10 levels/, fastMs: 500 },
  { title: 'schema nested 10,000 levels deep', node: 'user', msg: () => ({ payload: { uid: 'v', properties: { a: 1 }, schema: { properties: nested(10_000, 'int') } } }), code: 'invalid_schema', message: /nested more than 10 levels/ },
  { title: 'a list of objects', node: 'event', msg: () => ({ payload: { name: 'V', properties: { items: [{ sku: 'a' }, { sku: 'b' }] } } }), code: 'invalid_property_value', message: /list holding an object.*Flatten it/ },
  { title: 'a list of lists', node: 'user', msg: () => ({ payload: { uid: 'v', properties: { grid: [[1, 2], [3]] } } }), code: 'invalid_property_value', message: /lists of lists.*Flatten/ },
  { title: 'NaN value', node: 'user', msg: () => ({ payload: { uid: 'v', properties: { ratio: 0 / 0 } } }), code: 'invalid_property_value', message: /NaN.*finite numbers only/ },
  { title: 'Infinity value', node: 'event', msg: () => ({ payload: { name: 'V', properties: { ratio: Infinity } } }), code: 'invalid_property_value', message: /Infinity.*finite numbers only/ },
  { title: '-Infinity inside a list', node: 'user', msg: () => ({ payload: { uid: 'v', properties: { values: [1, -Infinity] } } }), code: 'invalid_property_value', message: /-Infinity/ },
  { title: 'BigInt value', node: 'user', msg: () => ({ payload: { uid: 'v', properties: { big: 2n ** 70n } } }), code: 'invalid_property_value', message: /BigInt.*Number\(…\).*String\(…\)/ },
  { title: 'function value', node: 'event', msg: () => ({ payload: { name: 'V', properties: { fn: () => 1 } } }), code: 'invalid_property_value', message: /a function.*Remove it/ },
  { title: 'symbol value', node: 'user', msg: () => ({ payload: { uid: 'v', properties: { s: Symbol('s') } } }), code: 'invalid_property_value', message: /a symbol.*Remove it/ },
  { title: 'invalid Date value', node: 'user', msg: () => ({ payload: { uid: 'v', properties: { when: new Date('not a date') } } }), code: 'invalid_property_value', message: /invalid Date.*Check how the date was created/ },

  // ---- timestamps ----
  { title: 'timestamp "yesterday"', node: 'event', msg: () => ({ payload: { name: 'T', timestamp: 'yesterday' } }), code: 'invalid_timestamp', message: /"yesterday" is not an ISO 8601 date-time.*Use a JavaScript Date/ },
  { title: 'timestamp "2026-13-45"', node: 'event', msg: () => ({ payload: { name: 'T', timestamp: '2026-13-45' } }), code: 'invalid_timestamp', message: /"2026-13-45".*"2024-05-01T12:00:00Z"/ },
  { title: 'timestamp NaN', node: 'event', msg: () => ({ payload: { name: 'T', timestamp: Number('x') } }), code: 'invalid_timestamp', message: /NaN.*epoch milliseconds/ },
  { title: 'timestamp an invalid Date', node: 'event', msg: () => ({ payload: { name: 'T', timestamp: new Date(NaN) } }), code: 'invalid_timestamp', message: /invalid Date/ },

  // ---- uids and ids that go into the URL ----
  { title: 'get: id with / and ..', node: 'user', msg: () => ({ operation: 'get', payload: { id: '../../v1/x' } }), code: 'user_not_found', sent: underUsers('GET', '..%2F..%2Fv1%2Fx') },
  { title: 'get: id that is already percent-encoded', node: 'user', msg: () => ({ operation: 'get', payload: { id: '%2F..%2Fbatch' } }), code: 'user_not_found', sent: underUsers('GET', '%252F..%252Fbatch') },
  { title: 'get: id with ? and # (no extra query)', node: 'user', msg: () => ({ operation: 'get', payload: { id: 'x?include_schema=true&uid=a#frag' } }), code: 'user_not_found', sent: underUsers('GET', 'x%3Finclude_schema%3Dtrue%26uid%3Da%23frag') },
  { title: 'update: id with / ? # stays one path segment', node: 'user', msg: () => ({ operation: 'update', payload: { id: 'a/../../events?x=1#y', display_name: 'X' } }), code: 'user_not_found', sent: underUsers('POST', 'a%2F..%2F..%2Fevents%3Fx%3D1%23y') },
  {
    title: 'delete: id with / and %2F stays one path segment', node: 'user', msg: () => ({ operation: 'delete', payload: { id: '%2F../batch' } }), code: 'ok',
    sent: (requests, out) => { underUsers('DELETE', '%252F..%2Fbatch')(requests); alreadyDeleted(out); },
  },
  { title: 'get: id ".." (a dot segment the URL parser would resolve)', node: 'user', msg: () => ({ operation: 'get', payload: { id: '..' } }), code: 'invalid_field', message: /"\.\.", which is not a FullStory user id.*Give the id FullStory returned/ },
  { title: 'update: id "." (would become POST /v2/users, a create)', node: 'user', msg: () => ({ operation: 'update', payload: { id: '.', display_name: 'X' } }), code: 'invalid_field', message: /not a FullStory user id/ },
  { title: 'delete: id ".."', node: 'user', msg: () => ({ operation: 'delete', payload: { id: '..' } }), code: 'invalid_field' },
  { title: 'delete: id with a newline', node: 'user', msg: () => ({ operation: 'delete', payload: { id: '123\n' } }), code: 'invalid_field', message: /control character.*Remove it/ },
  { title: 'get: id with a control character', node: 'user', msg: () => ({ operation: 'get', payload: { id: 'a\u0000b' } }), code: 'invalid_field', message: /control character/ },
  { title: 'get: id is a number', node: 'user', msg: () => ({ operation: 'get', payload: { id: 123 } }), code: 'invalid_field', message: /must be a string.*Convert it to text/ },
  { title: 'delete: uid is an object', node: 'user', msg: () => ({ operation: 'delete', payload: { uid: { $ne: null } } }), code: 'invalid_field', message: /must be a string, but it is an object/ },
  {
    title: 'delete: uid with & = # ? stays one query parameter',
    node: 'user',
    msg: () => ({ operation: 'delete', payload: { uid: 'a&id=1#x?y=%2F' } }),
    code: 'ok',
    sent: (requests, out) => {
      alreadyDeleted(out);
      assert.equal(requests.length, 1);
      assert.equal(requests[0].method, 'DELETE');
      assert.equal(requests[0].path, '/v2/users');
      assert.deepEqual(requests[0].query, { uid: 'a&id=1#x?y=%2F' });
      assertCleanHeaders(requests);
    },
  },
  {
    title: 'list: uid filter with & and = stays one query parameter',
    node: 'user',
    msg: () => ({ operation: 'list', payload: { uid: 'x&is_identified=true&page_token=zz' } }),
    code: 'ok',
    sent: (requests) => {
      assert.equal(requests.length, 1);
      assert.deepEqual(requests[0].query, { uid: 'x&is_identified=true&page_token=zz' });
    },
  },
  { title: 'list: uid filter is a number', node: 'user', msg: () => ({ operation: 'list', payload: { uid: 7 } }), code: 'invalid_field', message: /must be a string/ },
  { title: 'upsert: uid is a number', node: 'user', msg: () => ({ payload: { uid: 42 } }), code: 'invalid_field', message: /Convert it to text/ },
  { title: 'upsert: uid is an object', node: 'user', msg: () => ({ payload: { uid: { id: 1 } } }), code: 'invalid_field', message: /must be a string, but it is an object/ },

  // ---- header injection ----
  { title: 'upsert: uid with CRLF and a header line', node: 'user', msg: () => ({ payload: { uid: 'u\r\nX-Evil: 1' } }), code: 'invalid_field', message: /control character/ },
  { title: 'get: id with CRLF and a header line', node: 'user', msg: () => ({ operation: 'get', payload: { id: '1\r\nX-Evil: 1' } }), code: 'invalid_field', message: /control character/ },
  { title: 'delete: uid with CRLF and a header line', node: 'user', msg: () => ({ operation: 'delete', payload: { uid: 'u\r\nX-Evil: 1' } }), code: 'invalid_field', message: /control character/ },
  { title: 'event: user.uid with CRLF and a header line', node: 'event', msg: () => ({ payload: { name: 'H', user: { uid: 'u\r\nX-Evil: 1' } } }), code: 'invalid_field', message: /control character/ },
  {
    title: 'list: uid filter with CRLF never becomes a header',
    node: 'user',
    msg: () => ({ operation: 'list', payload: { uid: 'u\r\nX-Evil: 1' } }),
    code: 'invalid_field', message: /control character/,
  },
  {
    title: 'msg.fullstory.idempotencyKey with CRLF (a msg coming back) is not reused as a header',
    node: 'event',
    msg: () => ({ payload: { name: 'Idem' }, fullstory: { idempotencyKey: 'k\r\nX-Evil: 1', requestDigest: 'anything' } }),
    code: 'ok',
    sent: (requests) => {
      assert.equal(requests.length, 1);
      assertCleanHeaders(requests);
    },
  },
  {
    title: 'msg.fullstory.idempotencyKey with CRLF and a matching digest is not reused as a header',
    node: 'event',
    msg: () => ({
      payload: { name: 'Idem' },
      fullstory: { idempotencyKey: 'k\r\nX-Evil: 1', requestDigest: requestDigest('POST', '/v2/events', JSON.stringify({ name: 'Idem' })) },
    }),
    code: 'ok',
    sent: (requests) => {
      assert.equal(requests.length, 1);
      assert.match(String(requests[0].headers['idempotency-key']), /^[0-9a-f-]{36}$/);
      assertCleanHeaders(requests);
    },
  },

  // ---- 10 MB ----
  { title: '10 MB string property', node: 'user', msg: () => ({ payload: { uid: 'big', properties: { blob: 'x'.repeat(TEN_MB) } } }), code: 'property_value_too_large', message: /at most 8192 bytes/, fastMs: 1000 },
  {
    title: '10 MB spread over many properties',
    node: 'event',
    msg: () => ({ payload: { name: 'Big', properties: Object.fromEntries(Array.from({ length: 1280 }, (_, i) => [`p${i}`, 'y'.repeat(8192)])) } }),
    code: 'too_many_properties', fastMs: 1000,
  },
  { title: '10 MB context.browser.url', node: 'event', msg: () => ({ payload: { name: 'Big', context: { browser: { url: `https://x.example/${'a'.repeat(TEN_MB)}` } } } }), code: 'invalid_field', message: /context\.browser\.url.*characters long.*Shorten it/, fastMs: 1000 },
  { title: '10 MB display_name', node: 'user', msg: () => ({ payload: { uid: 'big', display_name: 'd'.repeat(TEN_MB) } }), code: 'invalid_field', message: /at most 256/, fastMs: 1000 },
  { title: '10 MB event name', node: 'event', msg: () => ({ payload: { name: 'n'.repeat(TEN_MB) } }), code: 'invalid_field', message: /at most 250/, fastMs: 1000 },

  // ---- identification forms ----
  { title: 'user.uid together with session.id', node: 'event', msg: () => ({ payload: { name: 'M', user: { uid: 'a' }, session: { id: '1:2' } } }), code: 'invalid_identification', message: /user\.uid and session\.id.*Use exactly one of/ },
  { title: 'user.id + user.uid with use_most_recent', node: 'event', msg: () => ({ payload: { name: 'M', user: { id: '1', uid: 'a' }, session: { use_most_recent: true } } }), code: 'invalid_identification', message: /Use exactly one of/ },
  { title: 'session.use_most_recent without a user', node: 'event', msg: () => ({ payload: { name: 'M', session: { use_most_recent: true } } }), code: 'invalid_identification', message: /add user\.uid or user\.id/ },
  { title: 'a session id that is not DEVICE:SESSION', node: 'event', msg: () => ({ payload: { name: 'M', session: { id: '../../v2/users?x' } } }), code: 'invalid_identification', message: /DEVICE:SESSION/ },

  // ---- msg.operation ----
  { title: 'msg.operation unknown', node: 'user', msg: () => ({ operation: 'drop_table', payload: { uid: 'o' } }), code: 'invalid_operation', message: /not one of upsert, update, get, list, delete/ },
  { title: 'msg.operation a number', node: 'user', msg: () => ({ operation: 3, payload: { uid: 'o' } }), code: 'invalid_operation', message: /a number.*one of upsert, update, get, list, delete/ },
  { title: 'msg.operation an object without a prototype', node: 'user', msg: () => ({ operation: Object.create(null) as object, payload: { uid: 'o' } }), code: 'invalid_operation', message: /an object.*one of upsert/ },
  { title: 'msg.operation an array', node: 'user', msg: () => ({ operation: ['get'], payload: { id: '1' } }), code: 'invalid_operation', message: /an array/ },
  { title: 'msg.operation "constructor"', node: 'user', msg: () => ({ operation: 'constructor', payload: { uid: 'o' } }), code: 'invalid_operation' },
];

describe('hostile input (node level, sandbox over HTTP)', function () {
  let sandbox: Sandbox;
  const waiting = new Map<string, (o: { port: 'ok' | 'fail'; msg: Outcome['msg'] }) => void>();
  let seq = 0;

  before(async function () {
    sandbox = await startSandbox();
    await new Promise<void>((resolve, reject) => helper.startServer((err?: unknown) => (err ? reject(err) : resolve())));
    const flow: FlowNode[] = [
      { id: 'f1', type: 'tab', label: 'hostile' },
      configFor(sandbox.url, { maxAttempts: 1 }),
      dataNode({ id: 'user', z: 'f1', type: 'fullstory-user', operation: 'upsert', wires: [['ok'], ['fail']] }),
      dataNode({ id: 'event', z: 'f1', type: 'fullstory-event', wires: [['ok'], ['fail']] }),
      { id: 'ok', z: 'f1', type: 'helper' },
      { id: 'fail', z: 'f1', type: 'helper' },
    ];
    await loadFlow(flow, ADMIN_KEY);
    for (const port of ['ok', 'fail'] as const) {
      (helper.getNode(port) as Node).on('input', (msg: Outcome['msg']) => {
        const resolve = waiting.get(msg._msgid as string);
        assert.ok(resolve, `a msg left twice or unasked: ${String(msg._msgid)}`);
        waiting.delete(msg._msgid as string);
        resolve({ port, msg });
      });
    }
  });

  after(async function () {
    await helper.unload();
    await new Promise<void>((r) => helper.stopServer(() => r()));
    await sandbox.close();
  });

  /** Sends one msg into a node and waits until it leaves (exactly once). */
  async function send(nodeId: NodeId, msg: Record<string, unknown>): Promise<Outcome> {
    const id = `m${++seq}`;
    msg._msgid = id;
    const from = sandbox.requests.length;
    const started = Date.now();
    const left = new Promise<{ port: 'ok' | 'fail'; msg: Outcome['msg'] }>((resolve, reject) => {
      const timer = setTimeout(() => { waiting.delete(id); reject(new Error(`msg ${id} never left the node`)); }, 5000);
      waiting.set(id, (o) => { clearTimeout(timer); resolve(o); });
    });
    (helper.getNode(nodeId) as Node).receive(msg as NodeMessage);
    const { port, msg: out } = await left;
    return { port, msg: out, requests: sandbox.requests.slice(from), ms: Date.now() - started };
  }

  const valid = (nodeId: NodeId, tag: string): Record<string, unknown> =>
    nodeId === 'user' ? { payload: { uid: `valid-${tag}`, properties: { tag } } } : { payload: { name: 'Valid', properties: { tag } } };

  async function expectValid(nodeId: NodeId, tag: string): Promise<void> {
    const out = await send(nodeId, valid(nodeId, tag));
    assert.equal(out.port, 'ok', `the valid msg ${tag} failed: ${JSON.stringify(out.msg.error)}`);
    assert.equal(out.requests.length, 1);
    assert.deepEqual((out.requests[0].body as { properties?: unknown }).properties, { tag });
  }

  it(`has at least 40 cases (${CASES.length})`, function () {
    assert.ok(CASES.length >= 40);
  });

  CASES.forEach((c, i) => {
    it(`${c.node}: ${c.title} → ${c.code}`, async function () {
      await expectValid(c.node, `before-${i}`);
      const out = await send(c.node, c.msg());
      if (c.code === 'ok') {
        assert.equal(out.port, 'ok', JSON.stringify(out.msg.error));
      } else {
        assert.equal(out.port, 'fail', `expected ${c.code}, but the msg succeeded`);
        const error = out.msg.error!;
        assert.equal(error.code, c.code, error.message);
        assert.equal(typeof error.message, 'string');
        assert.ok(error.message.length < 1000, 'messages stay short');
        if (c.message) assert.match(error.message, c.message);
        // A msg FullStory refused for its input is not worth repeating as it is.
        if (!c.sent) assert.equal(error.retryable, false);
      }
      if (c.sent) c.sent(out.requests, out);
      else assert.deepEqual(out.requests.map((r) => `${r.method} ${r.path}`), [], 'refused before sending');
      assertCleanHeaders(out.requests);
      if (c.fastMs !== undefined) assert.ok(out.ms < c.fastMs, `took ${out.ms} ms`);
      await expectValid(c.node, `after-${i}`);
      assert.equal(({} as Record<string, unknown>).polluted, undefined, 'Object.prototype polluted');
      assert.deepEqual(Object.getOwnPropertyNames(Object.prototype).sort(), PROTO_NAMES);
      assert.equal(waiting.size, 0);
    });
  });

  it('the runtime is still alive: both nodes still answer, nothing is left behind', async function () {
    await expectValid('user', 'final');
    await expectValid('event', 'final');
    assert.ok(helper.getNode('user'));
    assert.equal(waiting.size, 0);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.equal((Object.prototype as Record<string, unknown>).polluted, undefined);
  });
});
