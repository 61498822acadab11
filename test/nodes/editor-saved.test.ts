// Nodes work with exactly what the editor saves (issue 11, point 1). Every node test starts from
// the defaults the editor's .html declares (test/support/editor-defaults.ts); these tests pin the
// traps those defaults hold: the event node's association value is saved as an empty msg path
// while the association is "as msg.payload says", fields left empty keep a type, and settings
// the chosen association or operation does not use stay in the flow.

import assert from 'node:assert/strict';
import type { Node } from 'node-red';
import { FIELDS_BY_OPERATION } from '../../nodes/fullstory-user/fullstory-user';
import { WITH_VALUE } from '../../nodes/fullstory-event/fullstory-event';
import { editorDefaults, editorGlobal, editorNode } from '../support/editor-defaults';
import { collect, dataFlow, helper, inject, loadFlow } from '../support/harness';
import { useSandboxSuite } from '../support/sandbox-suite';
import type { Out } from '../support/exits';

describe('nodes as the editor saves them (defaults from the .html, sandbox over HTTP)', function () {
  const env = useSandboxSuite();

  const failures = (out: { fail: unknown[] }) => JSON.stringify(out.fail.map((m) => (m as Out).error));

  describe('the defaults', function () {
    it('are read from the shipped .html, traps included', function () {
      const event = editorDefaults('fullstory-event');
      assert.equal(event.association, 'payload');
      assert.equal(event.associationValue, '');
      assert.equal(event.associationValueType, 'msg');
      assert.equal(editorDefaults('fullstory-user').uidType, 'none');
      assert.equal(editorDefaults('fullstory-config').maxAttempts, 5);
    });

    it('a test cannot set a setting the editor does not have', function () {
      assert.throws(() => editorNode('fullstory-event', { assocation: 'uid' }), /no editor setting "assocation"/);
    });

    it('the runtime reads the fields the editor shows: per user operation, and the association value', function () {
      // One table, loaded by the editor as a resource and required by the runtime.
      const table = editorGlobal('FullStorySettings') as { userFieldsByOperation: unknown; eventAssociationsWithValue: unknown };
      assert.deepEqual(FIELDS_BY_OPERATION, table.userFieldsByOperation);
      assert.deepEqual(WITH_VALUE, table.eventAssociationsWithValue);
    });
  });

  it('an event node from the palette, with only its name and event name set, sends {"user":{"uid":"form-1"}}', async function () {
    await loadFlow(dataFlow(env.sandbox.url, { type: 'fullstory-event', name: 'Form events', eventName: 'Form Submitted', eventNameType: 'str' }));
    const out = collect();
    inject({ payload: { user: { uid: 'form-1' } } });
    await out.waitFor(1);
    assert.equal(out.ok.length, 1, failures(out));
    assert.deepEqual(env.sandbox.requests[0].body, { name: 'Form Submitted', user: { uid: 'form-1' } });
  });

  it('an event node from the palette sends a typical v2 event, single and batch', async function () {
    await loadFlow(dataFlow(env.sandbox.url, { type: 'fullstory-event' }));
    const out = collect();
    inject({ payload: { name: 'Signed Up', user: { uid: 'form-1' }, properties: { plan: 'pro' } } });
    await out.waitFor(1);
    assert.equal(out.ok.length, 1, failures(out));
    await helper.unload();
    await loadFlow(dataFlow(env.sandbox.url, { type: 'fullstory-event', mode: 'batch' }));
    const batch = collect();
    inject({ payload: [{ name: 'Signed Up', user: { uid: 'form-2' } }], flush: true });
    await batch.waitFor(1, 30_000);
    assert.equal(batch.ok.length, 1, failures(batch));
  });

  it('a user node from the palette upserts a typical payload', async function () {
    await loadFlow(dataFlow(env.sandbox.url, { type: 'fullstory-user' }));
    const out = collect();
    inject({ payload: { uid: 'form-1', email: 'ann@example.com', display_name: 'Ann', properties: { plan: 'pro' } } });
    await out.waitFor(1);
    assert.equal(out.ok.length, 1, failures(out));
  });

  describe('a field with an empty value is not set, whatever its type', function () {
    for (const type of ['msg', 'flow', 'global', 'jsonata', 'json', 'env', 'num', 'bool', 'str']) {
      it(`${type}: the payload's value applies`, async function () {
        await loadFlow([
          ...dataFlow(env.sandbox.url, { type: 'fullstory-event', properties: '', propertiesType: type, timestamp: ' ', timestampType: type === 'str' ? 'msg' : type }),
          editorNode('fullstory-user', { id: 'n2', z: 'f1', server: 'cfg', wires: [['ok'], ['fail']], uid: '', uidType: type, email: '', emailType: type }),
        ]);
        const node = helper.getNode('n1') as unknown as { error: { called: boolean } };
        assert.equal(node.error.called, false, 'no settings error at deploy');
        const out = collect();
        inject({ payload: { name: 'E', properties: { from: 'payload' } } });
        inject({ payload: { uid: 'u-1', email: 'a@example.com' } }, 'n2');
        await out.waitFor(2);
        assert.equal(out.ok.length, 2, failures(out));
        const bodies = env.sandbox.requests.map((r) => r.body);
        assert.deepEqual(bodies.find((b) => (b as { name?: string }).name === 'E'), { name: 'E', properties: { from: 'payload' } });
        assert.deepEqual(bodies.find((b) => (b as { uid?: string }).uid !== undefined), { uid: 'u-1', email: 'a@example.com' });
      });
    }
  });

  describe('settings the chosen association or operation does not use are never evaluated', function () {
    it('event: the association value, unless the association takes one', async function () {
      for (const association of ['payload', 'anonymous']) {
        await loadFlow(dataFlow(env.sandbox.url, { type: 'fullstory-event', association, associationValue: '$error("never evaluated")', associationValueType: 'jsonata' }));
        const out = collect();
        inject({ payload: { name: association } });
        await out.waitFor(1);
        assert.equal(out.ok.length, 1, `${association}: ${failures(out)}`);
        await helper.unload();
      }
      // With an association that takes a value, the same setting is read (and fails, as it must).
      await loadFlow(dataFlow(env.sandbox.url, { type: 'fullstory-event', association: 'uid', associationValue: '$error("evaluated")', associationValueType: 'jsonata' }));
      const out = collect();
      inject({ payload: { name: 'uid' } });
      await out.waitFor(1);
      assert.equal((out.fail[0] as Out).error?.field, 'associationValue');
    });

    it('user: the fields of other operations, also when msg.operation picks the operation', async function () {
      const hidden = { displayName: '$error("displayName is not for delete")', displayNameType: 'jsonata', email: 'payload[', emailType: 'msg' };
      await loadFlow(dataFlow(env.sandbox.url, { type: 'fullstory-user', operation: 'get', uid: 'payload.uid', uidType: 'msg', ...hidden }));
      const out = collect();
      const created = await fetch(`${env.sandbox.url}/v2/users`, {
        method: 'POST',
        headers: { authorization: 'Basic na1.admin-key', 'content-type': 'application/json' },
        body: JSON.stringify({ uid: 'kept' }),
      });
      const { id } = (await created.json()) as { id: string };
      inject({ payload: { id } });
      inject({ operation: 'delete', payload: { uid: 'kept' } });
      await out.waitFor(2);
      assert.equal(out.fail.length, 0, failures(out));
      assert.deepEqual(out.ok.map((m) => (m as Out).fullstory?.operation), ['get', 'delete']);
      // A hidden field with a bad msg path is not even compiled: no settings error at deploy.
      assert.equal((helper.getNode('n1') as unknown as { error: { called: boolean } }).error.called, false);
      // An operation that uses them still reads them, and fails on the broken one.
      inject({ operation: 'upsert', payload: { uid: 'new' } });
      await out.waitFor(3);
      assert.equal((out.fail[0] as Out).error?.code, 'invalid_expression');
      assert.equal((out.fail[0] as Out).error?.field, 'email');
    });
  });

  it('a node whose settings error is reported at deploy keeps answering every msg', async function () {
    await loadFlow(dataFlow(env.sandbox.url, { type: 'fullstory-user', email: 'payload[', emailType: 'msg' }));
    const node = helper.getNode('n1') as unknown as Node & { error: { args: unknown[][] } };
    assert.equal(node.error.args.length, 1);
    assert.match(String(node.error.args[0][0]), /email setting \(msg\)/);
    const out = collect();
    inject({ payload: { uid: 'a' } });
    await out.waitFor(1);
    assert.equal((out.fail[0] as Out).error?.code, 'invalid_expression');
    assert.equal(env.sandbox.requests.length, 0);
  });
});
