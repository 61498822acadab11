// Delivery: every msg leaves once and done() is called once, even when the msg cannot be written
// (frozen, sealed, read-only properties), cannot be read (getters that throw) or cannot be copied
// by Node-RED (it deep-copies a msg that goes to more than one node). Nothing may reject unhandled
// or throw out of the node: the process-fault hook (test/support/process-faults.ts) is checked
// after each case. Against the sandbox over real HTTP.

import assert from 'node:assert/strict';
import type { Node, NodeMessage } from 'node-red';
import { completions, doneErrors, type Out } from '../support/exits';
import { collect, dataFlow, helper, loadFlow, NODES, ADMIN_KEY, type Collected, type FlowNode } from '../support/harness';
import { useSandboxSuite } from '../support/sandbox-suite';
import { ioSettle, ioUntil } from '../support/io';
import { describeFault, processFaultCount, processFaultsSince } from '../support/process-faults';

/** Node-RED's own Catch node (plain JavaScript, no types): registers the `catch` type. */
const catchNode = module.require('@node-red/nodes/core/common/25-catch.js') as unknown;

/** Defines an enumerable getter that throws, the way a class or a proxy-backed object can. */
function throwingGetter<T extends object>(target: T, key: string, text = 'getter says no'): T {
  Object.defineProperty(target, key, { enumerable: true, configurable: true, get() { throw new Error(text); } });
  return target;
}

let seq = 0;
/** Hands the msg object itself to the node (no copy), as an upstream node would. */
function receive(msg: Record<string, unknown>, nodeId = 'n1'): string {
  const id = `d${++seq}`;
  if (!Object.isFrozen(msg) && Object.isExtensible(msg)) msg._msgid = id;
  (helper.getNode(nodeId) as Node).receive(msg as NodeMessage);
  return msg._msgid as string;
}

const frozenMsg = (payload: unknown) => {
  const id = `d${++seq}`;
  return { id, msg: Object.freeze({ _msgid: id, topic: 't', payload: Object.freeze(payload) }) };
};

const doneOnce = (id: string) => ioUntil(() => (completions.get(id) ?? 0) >= 1, `done() for ${id}`);

describe('delivery: a msg that cannot be written, read or copied still leaves once (sandbox over HTTP)', function () {
  const env = useSandboxSuite({ pollIntervalMs: 20 });
  let faultsBefore = 0;
  beforeEach(function () { faultsBefore = processFaultCount(); });

  /** Called at the end of each case: the runtime saw no unhandled rejection or uncaught exception. */
  function assertNoProcessFaults(): void {
    const faults = processFaultsSince(faultsBefore);
    assert.equal(faults.length, 0, faults.map(describeFault).join('\n'));
  }

  const userBatch = () => dataFlow(env.sandbox.url, { type: 'fullstory-user', operation: 'upsert', mode: 'batch', batchSize: 1000, flushInterval: 60 });
  const eventSingle = (extra: Record<string, unknown> = {}) => dataFlow(env.sandbox.url, { type: 'fullstory-event', ...extra });
  const eventBatch = () => dataFlow(env.sandbox.url, { type: 'fullstory-event', mode: 'batch', batchSize: 1000, flushInterval: 60 });
  const userSingle = () => dataFlow(env.sandbox.url, { type: 'fullstory-user', operation: 'upsert' });
  const all = (out: Collected, id: string) => [...out.ok, ...out.fail].filter((m) => m._msgid === id) as Out[];

  /**
   * Waits until done() was called for the msg and it reached `exits` outputs. Node-RED passes a msg
   * on in a later turn than send(), so a few more turns let a surplus exit show up too.
   */
  async function finished(out: Collected, id: string, exits: number): Promise<void> {
    await doneOnce(id);
    await ioUntil(() => all(out, id).length >= exits, `${exits} exit(s) of ${id}`);
    await ioSettle(10);
  }

  /** The node still works: a plain msg goes through. */
  async function stillWorks(out: Collected, payload: unknown): Promise<void> {
    const id = receive({ payload, flush: true });
    await finished(out, id, 1);
    assert.equal(out.ok.filter((m) => m._msgid === id).length, 1, JSON.stringify(all(out, id).map((m) => m.error)));
  }

  it('bulk msg with an item whose getter throws: successes on output 1, the unreadable item fails as invalid_payload, and the failed half, which Node-RED cannot copy, ends via done(err) `undeliverable`', async function () {
    await loadFlow(userBatch());
    const out = collect();
    const items = [{ uid: 'bulk-a' }, throwingGetter({ uid: 'bulk-b' }, 'display_name'), { uid: 'bulk-c' }];
    const id = receive({ payload: items, flush: true });
    await finished(out, id, 1);
    assert.equal(completions.get(id), 1);
    const ok = out.ok.filter((m) => m._msgid === id) as Out[];
    assert.equal(ok.length, 1);
    assert.deepEqual((ok[0].payload as Array<{ uid: string }>).map((u) => u.uid), ['bulk-a', 'bulk-c']);
    assert.equal(out.fail.length, 0, 'the failed half could not be copied for output 2');
    const error = doneErrors.get(id);
    assert.equal(error?.code, 'undeliverable', String(error));
    assert.match(error!.message, /1 of 3 records failed/);
    assert.match(error!.message, /invalid_payload/);
    assert.match(error!.message, /display_name/);
    assert.equal(env.sandbox.jobs.size, 1);
    assert.equal([...env.sandbox.jobs.values()][0].requestCount, 2);
    await stillWorks(out, [{ uid: 'after' }]);
    assertNoProcessFaults();
  });

  it('single mode: a getter that throws while the node reads msg.payload is invalid_payload naming the field, not internal_error', async function () {
    await loadFlow(eventSingle());
    const out = collect();
    const cases: Array<[unknown, string]> = [
      [{ name: 'E', properties: throwingGetter({ total: 1 }, 'plan') }, 'properties.plan'],
      [throwingGetter({ properties: { a: 1 } }, 'name'), 'name'],
      [{ name: 'E', user: throwingGetter({}, 'uid') }, 'user.uid'],
    ];
    const ids = cases.map(([payload]) => receive({ payload }));
    await out.waitFor(ids.length);
    cases.forEach(([, field], i) => {
      const [msg] = all(out, ids[i]);
      assert.equal(msg.error?.code, 'invalid_payload', JSON.stringify(msg.error));
      assert.equal(msg.error?.field, field);
      assert.match(msg.error!.message, new RegExp(`msg\\.payload\\.${field.replace('.', '\\.')}`));
      assert.match(msg.error!.message, /getter says no/);
      assert.equal(msg.error?.retryable, false);
    });
    assert.equal(env.sandbox.requests.length, 0, 'nothing was sent');
    for (const id of ids) assert.equal(completions.get(id), 1);
    assertNoProcessFaults();
  });

  it('user node: a getter on msg.operation or msg.payload itself is invalid_payload too', async function () {
    await loadFlow(userSingle());
    const out = collect();
    const a = receive(throwingGetter({ payload: { uid: 'x' } }, 'operation'));
    const b = receive(throwingGetter({}, 'payload'));
    await out.waitFor(2);
    assert.deepEqual([a, b].map((id) => [all(out, id)[0].error?.code, all(out, id)[0].error?.field]), [['invalid_payload', 'operation'], ['invalid_payload', 'payload']]);
    assertNoProcessFaults();
  });

  it('a frozen msg (single mode) is sent once and leaves on output 1 as a copy carrying msg.fullstory; the msg itself is untouched', async function () {
    await loadFlow(eventSingle());
    const out = collect();
    const { id, msg } = frozenMsg({ name: 'Frozen' });
    receive(msg);
    await finished(out, id, 1);
    assert.equal(out.ok.length, 1, JSON.stringify(out.fail.map((m) => (m as Out).error)));
    const left = out.ok[0] as Out;
    assert.equal(left._msgid, id);
    assert.equal(left.topic, 't');
    assert.equal(left.fullstory?.status, 200);
    assert.equal(env.sandbox.requests.length, 1);
    assert.deepEqual(Object.keys(msg).sort(), ['_msgid', 'payload', 'topic']);
    assert.equal(completions.get(id), 1);
    assert.equal(doneErrors.get(id), undefined);
    assertNoProcessFaults();
  });

  it('a frozen msg that fails (validation, then a FullStory error) leaves on output 2 as a copy carrying msg.error', async function () {
    await loadFlow(eventSingle());
    const out = collect();
    const invalid = frozenMsg({ name: 'Bad', timestamp: 'yesterday' });
    receive(invalid.msg);
    env.sandbox.rejectRecord = () => ({ code: 'invalid_argument', message: 'no' });
    const refused = frozenMsg({ name: 'Refused' });
    receive(refused.msg);
    await finished(out, invalid.id, 1);
    await finished(out, refused.id, 1);
    assert.equal(all(out, invalid.id)[0].error?.code, 'invalid_timestamp');
    assert.equal(all(out, refused.id)[0].error?.code, 'invalid_argument');
    assert.equal(out.ok.length, 0);
    assertNoProcessFaults();
  });

  it('a sealed msg, and one whose error / fullstory properties are read-only, still carry the result', async function () {
    await loadFlow(eventSingle());
    const out = collect();
    const sealed = Object.seal({ _msgid: `d${++seq}`, payload: { name: 'Sealed' } });
    receive(sealed);
    const readOnly: Record<string, unknown> = { _msgid: `d${++seq}`, payload: { name: 'ReadOnly', timestamp: 'yesterday' } };
    Object.defineProperty(readOnly, 'error', { value: 'old', enumerable: true, writable: false, configurable: false });
    Object.defineProperty(readOnly, 'fullstory', { value: { old: true }, enumerable: true, writable: false, configurable: false });
    receive(readOnly);
    await finished(out, sealed._msgid, 1);
    await finished(out, readOnly._msgid as string, 1);
    assert.equal(all(out, sealed._msgid)[0].fullstory?.status, 200);
    const failed = all(out, readOnly._msgid as string)[0];
    assert.equal(failed.error?.code, 'invalid_timestamp');
    assert.equal(readOnly.error, 'old', 'the msg itself was not changed');
    assertNoProcessFaults();
  });

  it('frozen msgs in batch mode, one record and bulk (partly failing) leave with their outcome', async function () {
    await loadFlow(eventBatch());
    const out = collect();
    const one = frozenMsg({ name: 'One' });
    receive(one.msg);
    const bulk = frozenMsg([{ name: 'Two' }, { name: '' }, { name: 'Three' }]);
    const bulkMsg = { ...bulk.msg, flush: true };
    receive(Object.freeze(bulkMsg));
    await finished(out, one.id, 1);
    await finished(out, bulk.id, 2);
    assert.equal(all(out, one.id).length, 1);
    assert.equal(all(out, one.id)[0].fullstory?.mode, 'batch');
    const bulkOk = out.ok.find((m) => m._msgid === bulk.id) as Out;
    const bulkFail = out.fail.find((m) => m._msgid === bulk.id) as Out;
    assert.equal((bulkOk.payload as unknown[]).length, 2);
    assert.equal((bulkFail.payload as unknown[]).length, 1);
    assert.equal(bulkFail.errors?.[0].code, 'missing_field');
    assert.equal(completions.get(bulk.id), 1);
    assertNoProcessFaults();
  });

  it('a msg Node-RED cannot copy for a second wire ends via done(err) `undeliverable` once; the first wire got it', async function () {
    const flow = eventSingle();
    (flow.find((n) => n.id === 'n1') as FlowNode).wires = [['ok', 'ok2'], ['fail']];
    flow.push({ id: 'ok2', z: 'f1', type: 'helper' });
    await loadFlow(flow);
    const out = collect();
    const second: NodeMessage[] = [];
    (helper.getNode('ok2') as Node).on('input', (m: NodeMessage) => second.push(m));
    const id = receive(throwingGetter({ payload: { name: 'Fan out' } }, 'extra', 'cannot copy me'));
    await finished(out, id, 1);
    assert.equal(completions.get(id), 1);
    const error = doneErrors.get(id);
    assert.equal(error?.code, 'undeliverable');
    assert.match(error!.message, /cannot copy me/);
    assert.match(error!.message, /FullStory accepted/);
    assert.equal(env.sandbox.requests.length, 1, 'the event was sent once');
    assert.equal(out.ok.length, 1, 'the first wire got it');
    assert.equal(second.length, 0);
    assertNoProcessFaults();
  });

  it('with a Catch node in the flow: it gets the undeliverable error; and when Node-RED cannot copy the msg for it either, the node logs the error itself', async function () {
    const flow: FlowNode[] = [
      ...userBatch(),
      { id: 'catch1', z: 'f1', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
      { id: 'caught', z: 'f1', type: 'helper' },
    ];
    (flow.find((n) => n.id === 'n1') as FlowNode).wires = [['ok', 'ok2'], ['fail']];
    flow.push({ id: 'ok2', z: 'f1', type: 'helper' });
    await helper.load([catchNode, ...NODES] as never, flow, { cfg: { apiKey: ADMIN_KEY } });
    const out = collect();
    const caught: Out[] = [];
    (helper.getNode('caught') as Node).on('input', (m: Out) => caught.push(m));
    const errorLog = () => (helper.getNode('n1') as unknown as { error: { args: unknown[][] } }).error.args.map((a) => String(a[0]));

    // The failed half cannot be copied; the msg itself (now carrying the successes) can.
    const bulk = receive({ payload: [{ uid: 'c-ok' }, throwingGetter({ uid: 'c-bad' }, 'email')], flush: true });
    await finished(out, bulk, 1);
    assert.equal(doneErrors.get(bulk)?.code, 'undeliverable');
    await ioUntil(() => caught.length === 1, 'the Catch node');
    assert.equal((caught[0].error as unknown as { code: string }).code, 'undeliverable');

    // Not even the msg itself can be copied (a getter outside the payload that reads fine once, when
    // the record is built, and throws when Node-RED copies the msg): Catch cannot get it.
    const logged = errorLog().length;
    let reads = 0;
    const msg: Record<string, unknown> = { payload: [{ uid: 'c-2' }], flush: true };
    Object.defineProperty(msg, 'extra', { enumerable: true, get() { if (++reads > 1) throw new Error('cannot copy me'); return 1; } });
    const single = receive(msg);
    await finished(out, single, 1);
    assert.equal(doneErrors.get(single)?.code, 'undeliverable');
    const lines = errorLog().slice(logged);
    assert.equal(lines.filter((line) => /could not be passed on.*cannot copy me/.test(line)).length, 2, JSON.stringify(lines));
    assert.equal(caught.length, 1);
    await stillWorks(out, [{ uid: 'after-catch' }]);
    assertNoProcessFaults();
  });

  it('batch mode on a config whose client cannot be made (no key, an insecure host): each msg fails with that code, nothing hangs or rejects', async function () {
    for (const [config, key, code] of [[{}, null, 'not_configured'], [{ baseUrl: 'http://example.com' }, ADMIN_KEY, 'insecure_host']] as const) {
      await loadFlow(dataFlow(env.sandbox.url, { type: 'fullstory-event', mode: 'batch', batchSize: 1000, flushInterval: 60 }, config), key);
      const out = collect();
      const one = receive({ payload: { name: 'One' } });
      const bulk = receive({ payload: [{ name: 'Two' }, { name: 'Three' }], flush: true });
      await finished(out, one, 1);
      await finished(out, bulk, 1);
      assert.equal(all(out, one)[0].error?.code, code);
      assert.equal(all(out, bulk)[0].error?.code, code);
      assert.equal((all(out, bulk)[0].payload as unknown[]).length, 2);
      await helper.unload();
    }
    assert.equal(env.sandbox.requests.length, 0);
    assertNoProcessFaults();
  });

});
