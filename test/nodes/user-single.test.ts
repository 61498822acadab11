import assert from 'node:assert/strict';
import { startSandbox, type Sandbox } from '../../sandbox';
import configNode from '../../nodes/fullstory-config/fullstory-config';
import eventNode from '../../nodes/fullstory-event/fullstory-event';
import userNode from '../../nodes/fullstory-user/fullstory-user';
import { ADMIN_KEY, collect, dataFlow, helper, inject, loadFlow, NODES, STANDARD_KEY } from '../support/harness';
import { ioUntil } from '../support/io';
import { loadCatalogs, withRealText } from '../support/real-i18n';

describe('fullstory-user, single requests (sandbox over HTTP)', function () {
  let sandbox: Sandbox;
  before(async function () {
    sandbox = await startSandbox();
    await loadCatalogs();
  });
  after(async function () { await sandbox.close(); });
  beforeEach(function (done) { sandbox.reset(); helper.startServer(done); });
  afterEach(async function () { await helper.unload(); await new Promise<void>((r) => helper.stopServer(() => r())); });

  const userFlow = (extra: Record<string, unknown> = {}) => dataFlow(sandbox.url, { type: 'fullstory-user', operation: 'upsert', ...extra });

  it('upserts by uid: output 1 with the FullStory id, the same id the second time', async function () {
    await loadFlow(userFlow());
    const out = collect();
    inject({ payload: { uid: 'u-1', email: 'a@example.com', display_name: 'Ann', properties: { plan: 'pro' } } });
    inject({ payload: { uid: 'u-1', properties: { seats: 3 } } });
    await out.waitFor(2);
    assert.equal(out.fail.length, 0, JSON.stringify(out.fail.map((m) => (m as { error?: unknown }).error)));
    const [a, b] = out.ok.map((m) => (m as unknown as { fullstory: { id: string; status: number; operation: string; idempotencyKey: string } }).fullstory);
    assert.equal(a.operation, 'upsert');
    assert.equal(a.status, 200);
    assert.ok(a.id);
    assert.equal(b.id, a.id);
    assert.notEqual(a.idempotencyKey, b.idempotencyKey);
    const stored = sandbox.users.get(a.id)!;
    assert.deepEqual(stored.properties, { plan: 'pro', seats: 3 });
    const req = sandbox.requests.find((r) => r.method === 'POST' && r.path === '/v2/users')!;
    assert.equal(req.headers.authorization, `Basic ${ADMIN_KEY}`);
    assert.match(String(req.headers['content-type']), /application\/json/);
    assert.equal(req.headers['integration-source'], 'node-red-contrib-fullstory');
    assert.ok(req.headers['idempotency-key']);
  });

  it('converts the v1 flat shape: suffixes become schema types', async function () {
    await loadFlow(userFlow());
    const out = collect();
    inject({ payload: { uid: 'v1', displayName: 'Dan', email: 'd@example.com', pricingPlan_str: 'free', totalSpent_real: 14.5, seats_int: 3 } });
    await out.waitFor(1);
    assert.equal(out.ok.length, 1, JSON.stringify(out.fail[0]));
    const body = sandbox.requests.find((r) => r.path === '/v2/users')!.body as Record<string, unknown>;
    assert.deepEqual(body, {
      uid: 'v1', display_name: 'Dan', email: 'd@example.com',
      properties: { pricingPlan: 'free', totalSpent: 14.5, seats: 3 },
      schema: { properties: { pricingPlan: 'str', totalSpent: 'real', seats: 'int' } },
    });
  });

  it('updates, gets, lists and deletes', async function () {
    await loadFlow(userFlow());
    const out = collect();
    inject({ payload: { uid: 'life', email: 'l@example.com' } });
    await out.waitFor(1);
    const id = (out.ok[0] as unknown as { fullstory: { id: string } }).fullstory.id;
    inject({ operation: 'update', payload: { id, display_name: 'Life' } });
    await out.waitFor(2);
    inject({ operation: 'get', payload: { id } });
    await out.waitFor(3);
    assert.equal((out.ok[2].payload as { display_name: string }).display_name, 'Life');
    inject({ operation: 'list', payload: { email: 'l@example.com' } });
    await out.waitFor(4);
    assert.deepEqual((out.ok[3].payload as Array<{ id: string }>).map((u) => u.id), [id]);
    inject({ operation: 'delete', payload: { uid: 'life' } });
    await out.waitFor(5);
    assert.equal(out.fail.length, 0, JSON.stringify(out.fail.map((m) => (m as { error?: unknown }).error)));
    assert.deepEqual(out.ok.map((m) => (m as unknown as { fullstory: { operation: string } }).fullstory.operation), ['upsert', 'update', 'get', 'list', 'delete']);
    const del = sandbox.requests.find((r) => r.method === 'DELETE')!;
    assert.equal(del.path, '/v2/users');
    assert.equal(del.query.uid, 'life');
  });

  it('lists across pages', async function () {
    await sandbox.close();
    sandbox = await startSandbox({ pageSize: 2 });
    await loadFlow(userFlow());
    const out = collect();
    for (let i = 0; i < 5; i++) inject({ payload: { uid: `p${i}`, email: 'same@example.com' } });
    await out.waitFor(5);
    inject({ operation: 'list', payload: { email: 'same@example.com' } });
    await out.waitFor(6);
    assert.equal((out.ok[5].payload as unknown[]).length, 5);
    assert.equal(sandbox.requests.filter((r) => r.method === 'GET' && r.path === '/v2/users').length, 3);
  });

  it('encodes ids in the path: a hostile id cannot change the request', async function () {
    await loadFlow(userFlow({ operation: 'get' }));
    const out = collect();
    inject({ payload: { id: '../batch/x?y=1#z' } });
    await out.waitFor(1);
    assert.equal(out.fail.length, 1);
    const req = sandbox.requests.at(-1)!;
    assert.equal(req.path, '/v2/users/..%2Fbatch%2Fx%3Fy%3D1%23z');
    assert.deepEqual(req.query, {});
  });

  it('rejects an unknown msg.operation and bad payloads on output 2 without sending', async function () {
    await loadFlow(userFlow());
    const out = collect();
    inject({ operation: 'merge', payload: { uid: 'a' } });
    inject({ payload: 'just a string' });
    inject({ payload: { uid: 'b', properties: { 'plan-name': 'x' } } });
    inject({ operation: 'delete', payload: { id: '1', uid: 'b' } });
    inject({ payload: { uid: 'ok-after-bad' } });
    await out.waitFor(5);
    assert.deepEqual(out.fail.map((m) => (m as unknown as { error: { code: string } }).error.code).sort(),
      ['invalid_identification', 'invalid_operation', 'invalid_payload', 'invalid_property_name'].sort());
    for (const m of out.fail) assert.equal((m as unknown as { error: { retryable: boolean } }).error.retryable, false);
    assert.equal(out.ok.length, 1);
    assert.equal(sandbox.requests.length, 1);
  });

  it('a Standard key gets 403 on get, with a hint, not retried', async function () {
    await loadFlow(userFlow({ operation: 'get' }), STANDARD_KEY);
    const out = collect();
    inject({ payload: { id: '123' } });
    await out.waitFor(1);
    const error = (out.fail[0] as unknown as { error: { code: string; status: number; attempts: number; message: string; retryable: boolean } }).error;
    assert.equal(error.status, 403);
    assert.equal(error.code, 'forbidden');
    assert.equal(error.attempts, 1);
    assert.equal(error.retryable, false);
    assert.match(error.message, /Admin or Architect/);
  });

  it('a wrong key: 401 on output 2; an eu1 key gets the region hint', async function () {
    await loadFlow(userFlow(), 'eu1.not-a-real-key');
    const out = collect();
    inject({ payload: { uid: 'x' } });
    await out.waitFor(1);
    const error = (out.fail[0] as unknown as { error: { status: number; message: string } }).error;
    assert.equal(error.status, 401);
    assert.match(error.message, /api\.eu1\.fullstory\.com/);
    assert.doesNotMatch(JSON.stringify(out.fail[0]), /not-a-real-key/);
  });

  it('status tells the truth: ok after a success, the error code after a failure (debounced)', async function () {
    // The nodes' real en-US texts: the test helper's RED._ returns the bare key, which would show
    // "fullstory-user.status.error" whether or not the code reached the status.
    await helper.load([configNode, withRealText(userNode as never, 'fullstory-user'), eventNode] as never, userFlow(), { cfg: { apiKey: ADMIN_KEY } });
    const out = collect();
    const node = helper.getNode('n1') as unknown as { status: { args: Array<[{ text?: string; fill?: string }]> } };
    const shown = () => node.status.args.at(-1)?.[0];
    inject({ payload: { uid: 'fine' } });
    await out.waitFor(1);
    await ioUntil(() => shown()?.text === 'ok', 'status ok');
    assert.deepEqual(shown(), { fill: 'green', shape: 'dot', text: 'ok' });
    inject({ payload: 'not a user' });
    await out.waitFor(2);
    const code = (out.fail[0] as unknown as { error: { code: string } }).error.code;
    assert.equal(code, 'invalid_payload');
    await ioUntil(() => shown()?.fill === 'red', 'status error');
    assert.deepEqual(shown(), { fill: 'red', shape: 'ring', text: `error: ${code}` });
    assert.ok(node.status.args.length <= 4, `status updates are debounced: ${node.status.args.length}`);
  });

  it('with no API key every msg fails with not_configured', async function () {
    await loadFlow(userFlow(), null);
    const out = collect();
    inject({ payload: { uid: 'x' } });
    await out.waitFor(1);
    assert.equal((out.fail[0] as unknown as { error: { code: string } }).error.code, 'not_configured');
  });

  it('editor fields override the payload (uid from another msg property, properties merged)', async function () {
    await loadFlow(userFlow({ uid: 'customer.ref', uidType: 'msg', properties: '{"source":"crm"}', propertiesType: 'json' }));
    const out = collect();
    inject({ customer: { ref: 'from-msg' }, payload: { uid: 'ignored', properties: { plan: 'pro' } } });
    await out.waitFor(1);
    assert.equal(out.ok.length, 1, JSON.stringify(out.fail[0]));
    const body = sandbox.requests[0].body as { uid: string; properties: Record<string, unknown> };
    assert.equal(body.uid, 'from-msg');
    assert.deepEqual(body.properties, { plan: 'pro', source: 'crm' });
  });

  it('reportToCatch also calls done(err)', async function () {
    const flow = [
      ...userFlow({ reportToCatch: true }),
      { id: 'catcher', z: 'f1', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
      { id: 'caught', z: 'f1', type: 'helper' },
    ];
    // the catch node needs the core nodes: the helper loads them when listed
    await helper.load(NODES as never, flow, { cfg: { apiKey: ADMIN_KEY } });
    const out = collect();
    const caught: unknown[] = [];
    helper.getNode('caught').on('input', (m: unknown) => caught.push(m));
    inject({ payload: 'bad' });
    await out.waitFor(1);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(out.fail.length, 1);
    assert.equal(caught.length, 1);
  });
});
