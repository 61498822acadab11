// Close / restart check, run as a child process by test/e2e/close.test.ts (no mocha, no --exit):
// stops the embedded Node-RED while requests are in flight and checks that the stop ends within
// nodeCloseTimeout, that no buffered record is lost, and that the process then exits by itself.
//
//   node -r tsx/cjs scripts/soak-close.ts [inflight|cooldown]
//
// Scenario `inflight` (default) has, at the stop:
// - single requests (fullstory-event, single mode) held by a `delay` fault longer than the close budget;
// - a batch job polling (fullstory-event batch, its job kept PROCESSING by stuckJobs);
// - non-empty batch buffers (fullstory-user and fullstory-event, big batch size, long flush interval).
// Scenario `cooldown` has the same, plus FullStory's 429 cool-down (Retry-After 30 s) in force at the
// stop: the final jobs must not sit out the cool-down past the close timeout.
// Prints `CLOSE_RESULT {json}` after the stop and the sandbox close, then leaves the event loop alone:
// if the process is still alive 3 s later, an unref'd timer prints `ACTIVE_HANDLES [...]` (the
// handles keeping it alive) for diagnosis; the parent kills it and fails.

import { createHook } from 'node:async_hooks';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startSandbox } from '../sandbox';
import { startNodeRed, type EmbeddedNodeRed, type FlowNode } from './runtime';

const CLOSE_TIMEOUT = 5000;
const API_KEY = 'na1.admin-key';

interface RuntimeNode {
  receive(msg: Record<string, unknown>): void;
}
interface SendEvent {
  msg: Record<string, unknown>;
  source: { id: string; port: number };
}
interface Hooks {
  add(name: string, fn: (event: never) => void): void;
  remove(name: string): void;
}

// Where each live timer and socket was created, so a leak names its origin (cheap: a short run).
const live = new Map<number, { type: string; stack: string }>();
const tracked = new Set(['Timeout', 'TCPWRAP', 'TCPCONNECTWRAP', 'Immediate']);
createHook({
  init(id, type) {
    if (!tracked.has(type)) return;
    const stack = (new Error().stack ?? '').split('\n').slice(2).filter((l) => !/node:internal|async_hooks/.test(l)).slice(0, 6).map((l) => l.trim());
    live.set(id, { type, stack: stack.join(' <- ') });
  },
  destroy(id) {
    live.delete(id);
  },
}).enable();

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function until(what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

function describeHandle(h: unknown): string {
  const o = h as { constructor?: { name?: string }; remoteAddress?: string; remotePort?: number; localPort?: number; _idleTimeout?: number; hasRef?: () => boolean };
  const name = o?.constructor?.name ?? typeof h;
  if (name === 'Socket' || name === 'TLSSocket') return `${name}(${o.remoteAddress ?? ''}:${o.remotePort ?? ''} local ${o.localPort ?? ''})`;
  if (name === 'Server') {
    const addr = (h as { address?: () => unknown }).address?.();
    return `Server(${JSON.stringify(addr)})`;
  }
  if (name === 'Timeout') return `Timeout(${o._idleTimeout ?? '?'} ms${o.hasRef && !o.hasRef() ? ', unref' : ''})`;
  return name;
}

async function main(): Promise<void> {
  const scenario = process.argv[2] ?? 'inflight';
  if (scenario !== 'inflight' && scenario !== 'cooldown') throw new Error(`unknown scenario ${scenario}`);
  const ids429: string[] = [];
  const problems: string[] = [];
  const sandbox = await startSandbox({ jobProcessingMs: 50, recordRequests: true });
  const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fullstory-close-'));
  const logs: Array<{ level: number; id?: string; msg: unknown }> = [];
  let nodeRed: EmbeddedNodeRed | undefined;
  const sent: Array<{ node: string; port: number; id: string; code?: string }> = [];
  const done = new Map<string, number>();
  let hooks: Hooks | undefined;
  let stopMs = -1;
  try {
    nodeRed = await startNodeRed({
      userDir,
      settings: {
        nodeCloseTimeout: CLOSE_TIMEOUT,
        fullstory: { pollIntervalMs: 50 },
        logging: {
          console: { level: 'off', metrics: false, audit: false },
          capture: { level: 'warn', metrics: false, audit: false, handler: () => (entry: { level: number; id?: string; msg: unknown }) => logs.push(entry) },
        },
      },
    });
    hooks = (nodeRed.RED as unknown as { hooks: Hooks }).hooks;
    hooks.add('onSend.close', ((events: SendEvent[]) => {
      for (const e of events) {
        const code = (e.msg.error as { code?: string } | undefined)?.code;
        sent.push({ node: e.source.id, port: e.source.port + 1, id: String(e.msg._msgid), ...(code ? { code } : {}) });
      }
    }) as (e: never) => void);
    hooks.add('onComplete.close', ((event: { msg: { _msgid?: unknown }; node: { id: string } }) => {
      if (!event.node.id.startsWith('close-') || event.node.id === 'close-out') return;
      const id = String(event.msg?._msgid);
      done.set(id, (done.get(id) ?? 0) + 1);
    }) as (e: never) => void);

    const tab: FlowNode = { id: 'close-tab', type: 'tab', label: 'close', disabled: false, info: '' };
    const data = (id: string, type: string, mode: string, batchSize: number, flushInterval: number): FlowNode => ({
      id,
      type,
      z: tab.id,
      name: id,
      server: 'close-cfg',
      mode,
      ...(type === 'fullstory-user' ? { operation: 'upsert' } : { association: 'payload', useMostRecent: false }),
      batchSize,
      flushInterval,
      jobTimeout: 600,
      maxBuffered: 100_000,
      propertyTypes: '',
      reportToCatch: false,
      x: 300,
      y: 100,
      wires: [['close-out'], ['close-out']],
    });
    await nodeRed.deploy([
      tab,
      {
        id: 'close-cfg',
        type: 'fullstory-config',
        baseUrl: sandbox.url,
        apiKeyEnv: '',
        timeout: 10,
        maxAttempts: 3,
        retryBudget: 30,
        maxConcurrency: 8,
        maxJobs: 10,
        rateLimit: 0,
        // This check is about the close without a journal (final jobs within the close timeout);
        // with the journal on, a stop keeps what is owed for the next start instead.
        journal: false,
        credentials: { apiKey: API_KEY },
      },
      data('close-single', 'fullstory-event', 'single', 1000, 10),
      data('close-poll', 'fullstory-event', 'batch', 5, 3600),
      data('close-buf-users', 'fullstory-user', 'batch', 1000, 3600),
      data('close-buf-events', 'fullstory-event', 'batch', 1000, 3600),
      { id: 'close-out', type: 'junction', z: tab.id, x: 600, y: 100, wires: [] },
    ]);
    const getNode = (id: string): RuntimeNode => {
      const n = nodeRed!.RED.nodes.getNode(id) as RuntimeNode | null;
      if (!n) throw new Error(`node ${id} not running`);
      return n;
    };
    await until('nodes to start', () => nodeRed!.RED.nodes.getNode('close-out') !== null);

    // 1. A job that keeps polling.
    sandbox.stuckJobs = true;
    for (let i = 0; i < 5; i++) getNode('close-poll').receive({ _msgid: `poll-${i}`, payload: { name: 'Close Poll', properties: { seq: 1000 + i } } });
    await until('the job to be created', () => sandbox.jobs.size === 1);
    sandbox.stuckJobs = false;
    await until('the job to be polled', () => sandbox.requests.some((r) => r.method === 'GET' && /^\/v2\/events\/batch\/[^/]+$/.test(r.path)));

    // 2. Single requests the sandbox holds for 20 s (the client timeout is 10 s; the stop cuts them off).
    sandbox.inject({ match: { method: 'POST', path: /^\/v2\/events$/ }, times: 3, fault: { type: 'delay', ms: 20_000 } });
    const singleRoutesBefore = sandbox.counters.requests;
    for (let i = 0; i < 3; i++) getNode('close-single').receive({ _msgid: `single-${i}`, payload: { name: 'Close Single', properties: { seq: 2000 + i } } });
    await until('the single requests to arrive', () => sandbox.counters.requests >= singleRoutesBefore + 3);

    // 3. Buffered records (no size, no timer will flush them).
    for (let i = 0; i < 7; i++) getNode('close-buf-users').receive({ _msgid: `buf-user-${i}`, payload: { uid: `close-u-${i}`, properties: { seq: 3000 + i } } });
    getNode('close-buf-users').receive({ _msgid: 'buf-user-bulk', payload: [0, 1, 2].map((k) => ({ uid: `close-ub-${k}`, properties: { seq: 3100 + k } })) });
    for (let i = 0; i < 6; i++) getNode('close-buf-events').receive({ _msgid: `buf-event-${i}`, payload: { name: 'Close Buffered', properties: { seq: 4000 + i } } });
    if (scenario === 'cooldown') {
      // One answer with Retry-After: 30 pauses every request of the config for 30 s.
      sandbox.inject({ match: { method: 'POST', path: /^\/v2\/events$/ }, times: 1, fault: { type: 'status', status: 429, retryAfter: 30 } });
      getNode('close-single').receive({ _msgid: 'single-429', payload: { name: 'Close Single', properties: { seq: 2100 } } });
      await until('the 429', () => sandbox.requests.some((r) => r.status === 429));
      ids429.push('single-429');
    }
    await sleep(50);
    const sentBefore = sent.length;

    // Stop.
    const t0 = Date.now();
    await nodeRed.stop();
    stopMs = Date.now() - t0;
    nodeRed = undefined;
    hooks.remove('*.close');
    hooks = undefined;
    if (stopMs >= CLOSE_TIMEOUT) problems.push(`stop took ${stopMs} ms, nodeCloseTimeout is ${CLOSE_TIMEOUT} ms`);

    // Every buffered record reached the sandbox (final jobs), and is imported once processed.
    await sleep(100); // jobProcessingMs 50: the final jobs are done by now
    const users = [...sandbox.users.values()];
    const events = sandbox.events;
    const missingUsers = [...Array.from({ length: 7 }, (_, i) => `close-u-${i}`), 'close-ub-0', 'close-ub-1', 'close-ub-2'].filter(
      (uid) => !users.some((u) => u.uid === uid),
    );
    if (missingUsers.length) problems.push(`buffered users missing from the sandbox: ${missingUsers.join(', ')}`);
    const eventSeqs = events.map((e) => (e.properties as { seq?: number } | undefined)?.seq);
    const missingEvents = Array.from({ length: 6 }, (_, i) => 4000 + i).filter((seq) => !eventSeqs.includes(seq));
    if (missingEvents.length) problems.push(`buffered events missing from the sandbox: ${missingEvents.join(', ')}`);
    const dup = eventSeqs.filter((s, i) => s !== undefined && eventSeqs.indexOf(s) !== i);
    if (dup.length) problems.push(`events stored twice: ${dup.join(', ')}`);
    // Every msg was done() exactly once (released or sent).
    const ids = [
      ...Array.from({ length: 5 }, (_, i) => `poll-${i}`),
      ...Array.from({ length: 3 }, (_, i) => `single-${i}`),
      ...Array.from({ length: 7 }, (_, i) => `buf-user-${i}`),
      'buf-user-bulk',
      ...Array.from({ length: 6 }, (_, i) => `buf-event-${i}`),
      ...ids429,
    ];
    for (const id of ids) if ((done.get(id) ?? 0) !== 1) problems.push(`msg ${id} done() ${done.get(id) ?? 0} times`);
    const warnings = logs.filter((l) => l.level <= 30).map((l) => `${l.id ?? ''}: ${String(l.msg)}`);
    if (!warnings.some((w) => w.startsWith('close-poll') && /still in progress/.test(w))) problems.push('no warning names the job still polling');

    await sandbox.close();
    fs.rmSync(userDir, { recursive: true, force: true });
    const result = {
      scenario,
      stopMs,
      closeTimeout: CLOSE_TIMEOUT,
      sentDuringStop: sent.slice(sentBefore),
      sentBeforeStop: sentBefore,
      users: users.filter((u) => u.uid?.startsWith('close-')).length,
      events: events.length,
      jobs: sandbox.jobs.size,
      warnings,
      problems,
    };
    console.log(`CLOSE_RESULT ${JSON.stringify(result)}`);
    process.exitCode = problems.length === 0 ? 0 : 1;
  } catch (err) {
    console.error(err);
    process.exitCode = 2;
    hooks?.remove('*.close');
    if (nodeRed) await nodeRed.stop().catch(() => undefined);
    await sandbox.close();
    fs.rmSync(userDir, { recursive: true, force: true });
  }
  // Nothing of ours is pending now; if something keeps the process alive, say what.
  const probe = setTimeout(() => {
    const handles = (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles().map(describeHandle);
    const requests = (process as unknown as { _getActiveRequests(): unknown[] })._getActiveRequests().map(describeHandle);
    // Timers are not handles any more: getActiveResourcesInfo lists them (and everything else).
    const origins = [...live.values()].filter((r) => !r.stack.includes('soak-close.ts')).map((r) => `${r.type}: ${r.stack}`);
    console.log(`ACTIVE_HANDLES ${JSON.stringify({ handles, requests, resources: process.getActiveResourcesInfo(), origins })}`);
  }, 3000);
  probe.unref();
  console.log('CLOSE_DONE');
}

void main();
