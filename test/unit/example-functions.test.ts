// The function nodes of the example flows, run on the msgs they get in a real flow: example 03's
// CSV mapping (an empty uid cell never becomes the user "undefined") and its retry loop (only
// retryable records go back, a bounded number of times, never job_timeout / outcome_unknown).

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(__dirname, '..', '..');
const EXAMPLE_03 = path.join(root, 'examples', '03 Bulk-import users from CSV with a retry loop.json');

type Msg = Record<string, unknown> & { payload?: unknown; errors?: Array<Record<string, unknown>>; error?: Record<string, unknown>; retryCount?: number };
interface FlowNode { id: string; type: string; name?: string; func?: string; outputs?: number; wires?: string[][] }

function exampleNodes(file: string): FlowNode[] {
  return JSON.parse(fs.readFileSync(file, 'utf8')) as FlowNode[];
}

function functionNode(file: string, name: string): FlowNode {
  const node = exampleNodes(file).find((n) => n.type === 'function' && n.name === name);
  assert.ok(node?.func, `function node "${name}" in ${path.basename(file)}`);
  return node;
}

/** Runs a function node's code as Node-RED does: msg, node and RED in scope; returns its outputs. */
function run(node: FlowNode, msg: Msg): Array<Msg | null> {
  const statuses: unknown[] = [];
  const nodeApi = { status: (s: unknown) => void statuses.push(s), warn() {}, error() {}, log() {} };
  const RED = { util: { cloneMessage: <T>(m: T): T => structuredClone(m) } };
  // The example's own code, in scope as the function node runs it.
  const result = new Function('msg', 'node', 'RED', node.func!)(msg, nodeApi, RED) as Msg | Array<Msg | null> | null;
  const outputs = Array.isArray(result) ? result : [result];
  assert.equal(outputs.length, node.outputs ?? 1, 'one entry per output');
  return outputs;
}

describe('example 03: CSV rows → users, and the retry loop', function () {
  const rowsToUsers = functionNode(EXAMPLE_03, 'rows → users');
  const retry = functionNode(EXAMPLE_03, 'retry?');

  it('is wired as described: rows without a uid go to "gave up", retries through the delay back to FullStory', function () {
    const nodes = exampleNodes(EXAMPLE_03);
    const byName = (type: string, name?: string) => nodes.find((n) => n.type === type && (name === undefined || n.name === name))!;
    const fullstory = byName('fullstory-user');
    assert.deepEqual(rowsToUsers.wires, [[fullstory.id], [byName('debug', 'gave up').id]]);
    assert.deepEqual(retry.wires, [[byName('delay').id], [byName('debug', 'gave up').id]]);
    assert.deepEqual(byName('delay').wires, [[fullstory.id]]);
  });

  it('an empty uid cell is not imported (no user "undefined"): the row leaves on output 2 with its CSV line', function () {
    // What the csv node gives for a CSV with an empty uid cell: the cell is left out of the row.
    const rows = [
      { uid: 'user-001', email: 'ada@example.com', name: 'Ada', plan: 'pro', seats: 5, signed_up_at: '2024-01-15T09:30:00Z' },
      { email: 'nouid@example.com', name: 'No Uid', plan: 'free', seats: 1 },
      { uid: '   ', email: 'blank@example.com' },
      { uid: 42, seats: 3 },
    ];
    const [toFullStory, withoutUid] = run(rowsToUsers, { _msgid: 'm1', payload: rows });
    assert.deepEqual(toFullStory!.payload, [
      { uid: 'user-001', email: 'ada@example.com', display_name: 'Ada', properties: { plan: 'pro', seats: 5, signed_up_at: '2024-01-15T09:30:00Z' } },
      { uid: '42', properties: { seats: 3 } },
    ]);
    assert.ok(!JSON.stringify(toFullStory!.payload).includes('undefined'));
    assert.deepEqual(withoutUid!.payload, [rows[1], rows[2]]);
    assert.deepEqual(withoutUid!.errors!.map((e) => [e.index, e.code, e.field, e.retryable]), [[1, 'missing_field', 'uid', false], [2, 'missing_field', 'uid', false]]);
    assert.match(String(withoutUid!.errors![0].message), /^CSV line 3: the uid cell is empty/);
    assert.equal(withoutUid!.error!.code, 'missing_field');
  });

  it('a CSV of rows that all lack a uid sends nothing to FullStory; a clean CSV sends everything', function () {
    const [none, all] = run(rowsToUsers, { payload: [{ email: 'a@example.com' }] });
    assert.equal(none, null);
    assert.equal((all!.payload as unknown[]).length, 1);
    const [users, skipped] = run(rowsToUsers, { payload: [{ uid: 'a' }, { uid: 'b' }] });
    assert.deepEqual(users!.payload, [{ uid: 'a', properties: {} }, { uid: 'b', properties: {} }]);
    assert.equal(skipped, null);
  });

  it('resends only the records whose own error is retryable, even when the summary said retryable', function () {
    const failed: Msg = {
      _msgid: 'm1',
      payload: [{ uid: 'a' }, { uid: 'b' }, { uid: 'c' }, { uid: 'd' }],
      errors: [
        { index: 0, code: 'service_unavailable', retryable: true },
        { index: 3, code: 'job_timeout', retryable: false },
        { index: 5, code: 'outcome_unknown', retryable: false },
        { index: 7, code: 'invalid_field', retryable: false },
      ],
      // What older versions said for such a msg: a retry loop must not trust it for the records.
      error: { code: 'partial_failure', retryable: true },
    };
    const [again, gaveUp] = run(retry, failed);
    assert.deepEqual(again!.payload, [{ uid: 'a' }]);
    assert.equal(again!.retryCount, 1);
    assert.equal(again!.error, undefined);
    assert.equal(again!.errors, undefined);
    assert.deepEqual(gaveUp!.payload, [{ uid: 'b' }, { uid: 'c' }, { uid: 'd' }]);
    assert.deepEqual(gaveUp!.errors!.map((e) => e.code), ['job_timeout', 'outcome_unknown', 'invalid_field']);
  });

  it('never resends job_timeout or outcome_unknown, even if marked retryable', function () {
    const [again, gaveUp] = run(retry, {
      payload: [{ uid: 'a' }, { uid: 'b' }],
      errors: [{ code: 'job_timeout', retryable: true }, { code: 'outcome_unknown', retryable: true }],
    });
    assert.equal(again, null);
    assert.equal((gaveUp!.payload as unknown[]).length, 2);
  });

  it('is bounded: after 3 retries everything goes to "gave up"; a loop through it ends', function () {
    let msg: Msg | null = { payload: [{ uid: 'a' }], errors: [{ code: 'network_error', retryable: true }] };
    let rounds = 0;
    let gaveUp: Msg | null = null;
    while (msg) {
      const [again, rest] = run(retry, msg);
      gaveUp = rest;
      // The FullStory node fails it the same way again.
      msg = again ? { ...again, errors: [{ code: 'network_error', retryable: true }] } : null;
      if (again) rounds++;
      assert.ok(rounds <= 3, 'at most 3 retries');
    }
    assert.equal(rounds, 3);
    assert.deepEqual(gaveUp!.payload, [{ uid: 'a' }]);
  });

  it('a one-record msg (msg.error only) keeps its payload an object when resent', function () {
    const [again] = run(retry, { payload: { uid: 'a' }, error: { code: 'too_many_requests', retryable: true } });
    assert.deepEqual(again!.payload, { uid: 'a' });
    const [none, gaveUp] = run(retry, { payload: { uid: 'a' }, error: { code: 'invalid_field', retryable: false } });
    assert.equal(none, null);
    assert.deepEqual(gaveUp!.payload, { uid: 'a' });
  });
});
