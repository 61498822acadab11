// Field mappings set in the node make msg.payload a source (issue 11, point 2; the rule:
// nodes/lib/validate/payload-role.ts). When the node sets any field itself, the FullStory fields of
// msg.payload that no setting replaces are still sent and checked, and every other field is
// ignored; when it sets none, msg.payload is the request and an unknown field is refused.

import assert from 'node:assert/strict';
import { assertEachOnce, send, type Out } from '../support/exits';
import { collect, dataFlow, loadFlow } from '../support/harness';
import { useSandboxSuite } from '../support/sandbox-suite';

/** The form flow of the issue: a user node mapping each field from the form body. */
const FORM_USER = {
  type: 'fullstory-user',
  uid: 'payload.user_id', uidType: 'msg',
  email: 'payload.email', emailType: 'msg',
  displayName: 'payload.name', displayNameType: 'msg',
  properties: '{"plan": payload.plan, "seats": payload.seats}', propertiesType: 'jsonata',
  propertyTypes: '{"seats":"int"}',
};
const FORM_BODY = { user_id: 'form-1', email: 'ann@example.com', name: 'Ann', plan: 'pro', seats: 3 };

/** An event node attached to the uid the payload carries, with no event name set. */
const UID_EVENT = { type: 'fullstory-event', association: 'uid', associationValue: 'payload.uid', associationValueType: 'msg', useMostRecent: false };

describe('field mappings make msg.payload a source (sandbox over HTTP)', function () {
  const env = useSandboxSuite({ pollIntervalMs: 20 });

  const errorOf = (m: unknown) => (m as Out).error!;
  const bodies = () => env.sandbox.requests.map((r) => r.body);

  /** Sends each payload through a fresh node and returns its outcomes in order. */
  async function outcomes(node: Record<string, unknown> & { type: string }, payloads: unknown[]): Promise<Array<{ ok: boolean; msg: Out }>> {
    await loadFlow(dataFlow(env.sandbox.url, node));
    const out = collect();
    const ids = payloads.map((payload) => send({ payload }));
    await out.waitFor(ids.length);
    assertEachOnce(out, ids);
    return ids.map((id) => {
      const ok = out.ok.find((m) => m._msgid === id);
      return { ok: ok !== undefined, msg: (ok ?? out.fail.find((m) => m._msgid === id)) as Out };
    });
  }

  describe('user node', function () {
    it('a form body with every field mapped is accepted; its own fields are not errors', async function () {
      const [result] = await outcomes(FORM_USER, [FORM_BODY]);
      assert.ok(result.ok, JSON.stringify(result.msg.error));
      assert.deepEqual(bodies(), [{
        uid: 'form-1', display_name: 'Ann', email: 'ann@example.com',
        properties: { plan: 'pro', seats: 3 }, schema: { properties: { seats: 'int' } },
      }]);
    });

    it('with nothing set, msg.payload is the request: the same body is refused, as before', async function () {
      const [result] = await outcomes({ type: 'fullstory-user' }, [FORM_BODY]);
      assert.equal(result.ok, false);
      assert.equal(errorOf(result.msg).code, 'invalid_field');
      assert.equal(errorOf(result.msg).field, 'user_id');
      assert.match(errorOf(result.msg).message, /unknown field "user_id".*Did you mean "uid"\?/);
      assert.equal(env.sandbox.requests.length, 0);
    });

    it('FullStory fields a setting does not replace are still sent and checked; replaced ones are not read', async function () {
      const node = { type: 'fullstory-user', uid: 'payload.user_id', uidType: 'msg', properties: '{"source":"form"}', propertiesType: 'json' };
      const results = await outcomes(node, [
        { user_id: 'm-1', email: 'm1@example.com', properties: { plan: 'pro' }, note: 'ignored' },
        { user_id: 'm-2', email: 42 },
        { user_id: 'm-3', uid: 42 },
        { user_id: 'm-4', properties: 'plan=pro' },
        { user_id: 'm-5', properties: { 'bad-name': 1 } },
      ]);
      assert.deepEqual(results.map((r) => (r.ok ? 'ok' : `${errorOf(r.msg).code} ${errorOf(r.msg).field}`)), [
        'ok', 'invalid_field email', 'ok', 'invalid_payload properties', 'invalid_property_name properties.bad-name',
      ]);
      assert.deepEqual(bodies(), [
        { uid: 'm-1', email: 'm1@example.com', properties: { plan: 'pro', source: 'form' } },
        { uid: 'm-3', properties: { source: 'form' } },
      ]);
    });

    it('a setting that reads nothing for a msg leaves the payload\'s field', async function () {
      const [result] = await outcomes({ type: 'fullstory-user', uid: 'payload.user_id', uidType: 'msg' }, [{ uid: 'from-payload', extra: true }]);
      assert.ok(result.ok, JSON.stringify(result.msg.error));
      assert.deepEqual(bodies(), [{ uid: 'from-payload' }]);
    });

    it('v1 payloads: suffixed fields are still converted, unsuffixed ones ignored, node properties merged', async function () {
      const node = { type: 'fullstory-user', uid: 'payload.customerId', uidType: 'msg', properties: '{"source":"crm"}', propertiesType: 'json' };
      const results = await outcomes(node, [
        { customerId: 'c-1', displayName: 'Dan', plan_str: 'pro', seats_int: 2, note: 'ignored' },
        { customerId: 'c-2', displayName: 'Eve', seats_int: 2.5 },
      ]);
      assert.deepEqual(results.map((r) => (r.ok ? 'ok' : `${errorOf(r.msg).code} ${errorOf(r.msg).field}`)), ['ok', 'invalid_schema seats_int']);
      assert.deepEqual(bodies(), [{
        uid: 'c-1', display_name: 'Dan',
        properties: { plan: 'pro', seats: 2, source: 'crm' }, schema: { properties: { plan: 'str', seats: 'int' } },
      }]);
    });

    it('batch mode: each record of a bulk array is a source on its own', async function () {
      await loadFlow(dataFlow(env.sandbox.url, { ...FORM_USER, mode: 'batch', flushInterval: 60 }));
      const out = collect();
      const id = send({ payload: [FORM_BODY, { ...FORM_BODY, user_id: 'form-2', email: 5 }, { ...FORM_BODY, user_id: 'form-3', extra: [1] }], flush: true });
      await out.waitFor(2, 30_000);
      assertEachOnce(out, [], [id]);
      assert.deepEqual((out.ok[0].payload as Array<{ user_id: string }>).map((r) => r.user_id), ['form-1', 'form-3']);
      const failed = out.fail[0] as Out;
      assert.deepEqual(failed.errors!.map((e) => [e.index, e.code, e.field]), [[1, 'invalid_field', 'email']]);
      assert.deepEqual([...env.sandbox.users.values()].map((u) => u.uid).sort(), ['form-1', 'form-3']);
    });
  });

  describe('event node', function () {
    it('association from msg.payload.uid and no event name: the payload\'s own fields are not errors', async function () {
      const [result] = await outcomes(UID_EVENT, [{ name: 'Signed Up', uid: 'u-1', plan: 'pro', user: 'replaced by the association' }]);
      assert.ok(result.ok, JSON.stringify(result.msg.error));
      assert.deepEqual(bodies(), [{ name: 'Signed Up', user: { uid: 'u-1' } }]);
    });

    it('with nothing set, the same payload is refused, as before', async function () {
      const [result] = await outcomes({ type: 'fullstory-event' }, [{ name: 'Signed Up', uid: 'u-1' }]);
      assert.equal(errorOf(result.msg).code, 'invalid_field');
      assert.equal(errorOf(result.msg).field, 'uid');
      assert.match(errorOf(result.msg).message, /Did you mean "user\.uid"\?/);
    });

    it('event fields the node does not set are still checked', async function () {
      const results = await outcomes(UID_EVENT, [
        { name: 42, uid: 'u-1' },
        { name: 'E', uid: 'u-1', context: 'web' },
        { name: 'E', uid: 'u-1', properties: { total: 'n'.repeat(9000) } },
        { name: 'E', uid: 'u-1', timestamp: 'yesterday' },
      ]);
      assert.deepEqual(results.map((r) => `${errorOf(r.msg).code} ${errorOf(r.msg).field}`), [
        'invalid_field name', 'invalid_field context', 'property_value_too_large properties.total', 'invalid_timestamp timestamp',
      ]);
      assert.equal(env.sandbox.requests.length, 0);
    });

    it('v1 events: read as v1, with the flow\'s own fields ignored', async function () {
      const [result] = await outcomes(UID_EVENT, [{ event_name: 'Signed Up', uid: 'u-2', event_data: { plan_str: 'pro' }, source: 'form' }]);
      assert.ok(result.ok, JSON.stringify(result.msg.error));
      assert.deepEqual(bodies(), [{ name: 'Signed Up', user: { uid: 'u-2' }, properties: { plan: 'pro' }, schema: { properties: { plan: 'str' } } }]);
    });

    it('batch mode: a bulk array of sources', async function () {
      await loadFlow(dataFlow(env.sandbox.url, { ...UID_EVENT, mode: 'batch', flushInterval: 60 }));
      const out = collect();
      const id = send({ payload: [{ name: 'A', uid: 'a', extra: 1 }, { name: 5, uid: 'b' }, { name: 'C', uid: 'c', note: 'x' }], flush: true });
      await out.waitFor(2, 30_000);
      assertEachOnce(out, [], [id]);
      assert.deepEqual((out.fail[0] as Out).errors!.map((e) => [e.index, e.code, e.field]), [[1, 'invalid_field', 'name']]);
      assert.deepEqual(env.sandbox.events.map((e) => [e.name, e.user?.uid]).sort(), [['A', 'a'], ['C', 'c']]);
    });
  });
});
