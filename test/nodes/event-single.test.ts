import assert from 'node:assert/strict';
import { collect, dataFlow, helper, inject, loadFlow } from '../support/harness';
import { useSandboxSuite } from '../support/sandbox-suite';

type Out = { error?: { code: string; message: string; field?: string }; fullstory?: { idempotencyKey?: string; status?: number } };

describe('fullstory-event, single requests (sandbox over HTTP)', function () {
  const env = useSandboxSuite();

  const eventFlow = (extra: Record<string, unknown> = {}) => dataFlow(env.sandbox.url, { type: 'fullstory-event', ...extra });

  it('a node as the editor saves it (association from the payload; its value an empty msg property) sends', async function () {
    await loadFlow(eventFlow({ association: 'payload', associationValue: '', associationValueType: 'msg', useMostRecent: true }));
    const out = collect();
    inject({ payload: { name: 'Clicked', user: { uid: 'u1' } } });
    await out.waitFor(1);
    assert.equal(out.fail.length, 0, JSON.stringify(out.fail.map((m) => (m as Out).error)));
    assert.equal(env.sandbox.events.length, 1);
  });

  it('sends each identification form FullStory accepts', async function () {
    await loadFlow(eventFlow());
    const out = collect();
    const created = await fetch(`${env.sandbox.url}/v2/users`, {
      method: 'POST',
      headers: { authorization: 'Basic na1.admin-key', 'content-type': 'application/json' },
      body: JSON.stringify({ uid: 'known' }),
    });
    const { id } = (await created.json()) as { id: string };
    const forms = [
      { name: 'Anon' },
      { name: 'By uid', user: { uid: 'u1' } },
      { name: 'By uid recent', user: { uid: 'u1' }, session: { use_most_recent: true } },
      { name: 'By id recent', user: { id }, session: { use_most_recent: true } },
      { name: 'By session', session: { id: '111:222' } },
      { name: 'By session URL', session: { id: 'https://app.fullstory.com/ui/o-1/session/111%3A333' } },
    ];
    for (const payload of forms) inject({ payload });
    await out.waitFor(forms.length);
    assert.equal(out.fail.length, 0, JSON.stringify(out.fail.map((m) => (m as Out).error)));
    assert.equal(env.sandbox.events.length, forms.length);
    const byName = new Map(env.sandbox.events.map((e) => [e.name, e]));
    assert.deepEqual(byName.get('By session URL')!.session, { id: '111:333' });
    assert.equal(byName.get('By uid')!.session, undefined);
  });

  it('rejects mixed identification before sending, and the msgs around it still go', async function () {
    await loadFlow(eventFlow());
    const out = collect();
    inject({ payload: { name: 'before', user: { uid: 'a' } } });
    inject({ payload: { name: 'mixed', user: { uid: 'a' }, session: { id: '1:2' } } });
    inject({ payload: { name: 'both ids', user: { uid: 'a', id: '5' }, session: { use_most_recent: true } } });
    inject({ payload: { name: 'after', user: { uid: 'a' } } });
    await out.waitFor(4);
    assert.deepEqual(out.fail.map((m) => (m as Out).error!.code), ['invalid_identification', 'invalid_identification']);
    assert.deepEqual(env.sandbox.events.map((e) => e.name).sort(), ['after', 'before']);
  });

  it('omits use_most_recent:false, empty objects and nulls', async function () {
    await loadFlow(eventFlow());
    const out = collect();
    inject({ payload: { name: 'Clean', user: { uid: 'a' }, session: { use_most_recent: false }, context: { browser: {}, device: null }, properties: { a: null, b: 1 } } });
    await out.waitFor(1);
    assert.equal(out.ok.length, 1, JSON.stringify(out.fail[0]));
    assert.deepEqual(env.sandbox.requests[0].body, { name: 'Clean', user: { uid: 'a' }, properties: { b: 1 } });
  });

  it('converts Dates and timestamps to UTC ISO and declares date properties', async function () {
    await loadFlow(eventFlow());
    const out = collect();
    inject({ payload: { name: 'Dates', timestamp: 1767225600000, properties: { when: new Date('2026-01-01T01:00:00+01:00') } } });
    inject({ payload: { name: 'Offset', timestamp: '2026-01-01T02:00:00+02:00' } });
    inject({ payload: { name: 'Bad', timestamp: 'yesterday' } });
    await out.waitFor(3);
    const bodies = env.sandbox.requests.map((r) => r.body as Record<string, unknown>);
    const dates = bodies.find((b) => b.name === 'Dates')!;
    assert.equal(dates.timestamp, '2026-01-01T00:00:00.000Z');
    assert.deepEqual(dates.properties, { when: '2026-01-01T00:00:00.000Z' });
    assert.deepEqual(dates.schema, { properties: { when: 'date' } });
    assert.equal(bodies.find((b) => b.name === 'Offset')!.timestamp, '2026-01-01T00:00:00.000Z');
    assert.equal((out.fail[0] as Out).error!.code, 'invalid_timestamp');
  });

  it('converts the v1 Set User Events shape', async function () {
    await loadFlow(eventFlow());
    const out = collect();
    inject({ payload: { uid: 'v1user', event_name: 'Signed Up', event_data: { plan_str: 'pro', seats_int: 3 }, use_recent_session: true } });
    inject({ payload: { event_name: 'From URL', session_url: 'https://app.fullstory.com/ui/o/session/9%3A8' } });
    await out.waitFor(2);
    assert.equal(out.fail.length, 0, JSON.stringify(out.fail.map((m) => (m as Out).error)));
    const [a, b] = env.sandbox.requests.map((r) => r.body as Record<string, unknown>).sort((x, y) => String(x.name).localeCompare(String(y.name)));
    assert.deepEqual(b, {
      name: 'Signed Up', user: { uid: 'v1user' }, session: { use_most_recent: true },
      properties: { plan: 'pro', seats: 3 }, schema: { properties: { plan: 'str', seats: 'int' } },
    });
    assert.deepEqual(a, { name: 'From URL', session: { id: '9:8' } });
  });

  it('editor settings supply the name and the association (uid + most recent session)', async function () {
    await loadFlow(eventFlow({ eventName: 'Order Completed', eventNameType: 'str', association: 'uid', associationValue: 'payload.customerId', associationValueType: 'msg', useMostRecent: true, properties: 'payload.order', propertiesType: 'msg' }));
    const out = collect();
    inject({ payload: { customerId: 'c-9', order: { total: 12.5, items: 2 } } });
    await out.waitFor(1);
    assert.equal(out.ok.length, 1, JSON.stringify(out.fail[0]));
    assert.equal(env.sandbox.events[0].user?.uid, 'c-9');
    assert.deepEqual(env.sandbox.events[0].session, { use_most_recent: true });
    assert.deepEqual(env.sandbox.events[0].properties, { total: 12.5, items: 2 });
    assert.equal(env.sandbox.events[0].name, 'Order Completed');
  });

  it('declared property types go into the schema', async function () {
    await loadFlow(eventFlow({ propertyTypes: '{"items":"int"}' }));
    const out = collect();
    inject({ payload: { name: 'Typed', properties: { items: 2, note: 'x' } } });
    await out.waitFor(1);
    assert.deepEqual((env.sandbox.requests[0].body as { schema: unknown }).schema, { properties: { items: 'int' } });
  });

  it('unusable settings are reported once at deploy, then fail every msg without sending', async function () {
    await loadFlow(eventFlow({ propertyTypes: '{"items":"integer"}' }));
    const out = collect();
    const node = helper.getNode('n1') as unknown as { error: { args: unknown[][] } };
    assert.equal(node.error.args.filter((a) => /Invalid node settings/.test(String(a[0]))).length, 1);
    inject({ payload: { name: 'A' } });
    inject({ payload: { name: 'B' } });
    await out.waitFor(2);
    assert.deepEqual(out.fail.map((m) => (m as Out).error!.code), ['invalid_schema', 'invalid_schema']);
    assert.equal(env.sandbox.requests.length, 0);
  });

  it('a missing name fails with missing_field', async function () {
    await loadFlow(eventFlow());
    const out = collect();
    inject({ payload: { properties: { a: 1 } } });
    await out.waitFor(1);
    assert.equal((out.fail[0] as Out).error!.code, 'missing_field');
    assert.equal(env.sandbox.requests.length, 0);
  });
});
