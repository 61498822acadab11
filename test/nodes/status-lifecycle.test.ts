// The status across a redeploy, as the editor receives it (the runtime's node-status events, whatever
// node instance sends them): a closing status only while records are left to send, and a new
// instance that says where it stands at once instead of leaving the old instance's last word.

import assert from 'node:assert/strict';
import nodeRedUtil from '@node-red/util';
import type { NodeStatus } from 'node-red';
import { startSandbox, type Sandbox } from '../../sandbox';
import configNode from '../../nodes/fullstory-config/fullstory-config';
import userNode from '../../nodes/fullstory-user/fullstory-user';
import eventNode from '../../nodes/fullstory-event/fullstory-event';
import { ADMIN_KEY, collect, dataFlow, helper, type FlowNode } from '../support/harness';
import { ioUntil } from '../support/io';
import { loadCatalogs, withRealText } from '../support/real-i18n';

const NODES_WITH_TEXT = [
  withRealText(configNode as never, 'fullstory-config'),
  withRealText(userNode as never, 'fullstory-user'),
  withRealText(eventNode as never, 'fullstory-event'),
];

interface StatusEvent { id: string; status?: NodeStatus }
/** The runtime's event bus (not in @node-red/util's published types). */
const events = (nodeRedUtil as unknown as { events: import('node:events').EventEmitter }).events;

describe('status across a redeploy (what the editor is told)', function () {
  let sandbox: Sandbox;
  const seen: StatusEvent[] = [];
  const record = (e: StatusEvent) => void seen.push(e);
  const ofNode = () => seen.filter((e) => e.id === 'n1').map((e) => e.status ?? {});
  const internals = helper as unknown as { _redNodes: { setFlows(flows: FlowNode[], creds: unknown, type: string): Promise<unknown> } };

  before(async function () {
    sandbox = await startSandbox();
    await loadCatalogs();
  });
  after(async function () {
    await sandbox.close();
  });
  beforeEach(function (done) {
    sandbox.reset();
    seen.length = 0;
    events.on('node-status', record);
    helper.startServer(done);
  });
  afterEach(async function () {
    events.off('node-status', record);
    await helper.unload();
    await new Promise<void>((r) => helper.stopServer(() => r()));
  });

  const load = (flow: FlowNode[]) => helper.load(NODES_WITH_TEXT as never, flow, { cfg: { apiKey: ADMIN_KEY } });
  /** A full deploy of the same flow (what the editor's Deploy button does); resolves once it runs again. */
  async function redeploy(flow: FlowNode[]): Promise<void> {
    const started = new Promise<void>((resolve) => events.once('flows:started', () => resolve()));
    await internals._redNodes.setFlows(flow, { cfg: { apiKey: ADMIN_KEY } }, 'full');
    await started;
  }
  const send = (msg: Record<string, unknown>) => (helper.getNode('n1') as unknown as { receive(m: unknown): void }).receive(msg);

  it('single mode: no closing status at a redeploy; the new instance clears the old "ok"', async function () {
    const flow = dataFlow(sandbox.url, { type: 'fullstory-user', operation: 'upsert', mode: 'single' });
    await load(flow);
    const out = collect();
    send({ payload: { uid: 'r1' } });
    await out.waitFor(1);
    await ioUntil(() => ofNode().some((s) => s.text === 'ok'), 'status ok');
    seen.length = 0;
    await redeploy(flow);
    assert.deepEqual(ofNode(), [{}], 'the only status after the deploy: the new instance clearing the old one');
  });

  it('batch mode with nothing buffered: no closing status either', async function () {
    const flow = dataFlow(sandbox.url, { type: 'fullstory-event', mode: 'batch', batchSize: 1000, flushInterval: 60 });
    await load(flow);
    seen.length = 0;
    await redeploy(flow);
    assert.deepEqual(ofNode(), [{}]);
  });

  /** A batch node with 2 records buffered (status "2 records queued"), the statuses seen so far cleared. */
  async function twoRecordsBuffered(config: Record<string, unknown>) {
    const flow = dataFlow(sandbox.url, { type: 'fullstory-user', operation: 'upsert', mode: 'batch', batchSize: 1000, flushInterval: 60 }, config);
    await load(flow);
    collect();
    send({ payload: { uid: 'b1' } });
    send({ payload: { uid: 'b2' } });
    await ioUntil(() => ofNode().some((s) => s.text === '2 records queued'), 'records queued');
    seen.length = 0;
    return flow;
  }

  it('batch mode with the journal on and records buffered: no closing status; the new instance sends them', async function () {
    const flow = await twoRecordsBuffered({});
    // The redeploy keeps the user directory: the new instance finds the journal of the old one.
    await redeploy(flow);
    assert.deepEqual(ofNode()[0], {}, 'the new instance clears the old status; nothing was said about a final batch');
    await ioUntil(() => [...sandbox.jobs.values()].some((j) => j.requestCount === 2), 'the new instance sent the 2 records');
  });

  it('batch mode with the journal off and records buffered: "sending final batch: 2 records" while they are sent, then cleared', async function () {
    const flow = await twoRecordsBuffered({ journal: false });
    await redeploy(flow);
    assert.deepEqual(ofNode(), [{ fill: 'blue', shape: 'dot', text: 'sending final batch: 2 records' }, {}]);
    assert.deepEqual([...sandbox.jobs.values()].map((j) => j.requestCount), [2], 'the final job was sent');
  });
});
