// The benchmark's Node-RED process: a real embedded Node-RED 4 with this package loaded from the
// working tree (dist/, see scripts/node-red/runtime.ts), driven by scripts/bench/bench.ts over IPC. The sandbox
// runs in another process, so process.cpuUsage() here is Node-RED + our nodes + the generator only.
//
// Every throughput scenario uses the same generator: it calls receive() on the first node of the
// chain, `chunk` msgs per event-loop turn (setImmediate between chunks so deliveries and I/O run).
// Every chain ends in junction nodes with nothing wired after them (the sinks); a listener on a
// sink counts what leaves. Timing runs from the first receive() to the moment the last expected
// msg reaches a sink.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import { performance } from 'node:perf_hooks';
import type { NodeMessage } from 'node-red';
import { startNodeRed, type EmbeddedNodeRed, type FlowNode } from '../node-red/runtime';
import {
  BENCH_KEY, control, cpuMicros, eventRecord, median, recordOf, sandboxStats,
  type Resource, type RunnerJob, type RunnerMessage, type ScenarioResult, type ScenarioSpec,
} from './bench-common';

type Msg = NodeMessage & Record<string, unknown>;

interface RuntimeNode {
  id: string;
  receive(msg: Msg): void;
  on(event: 'input', cb: (msg: Msg) => void): void;
  status(status: unknown): void;
}

interface ClientLike {
  request(req: { method: string; path: string }): Promise<unknown>;
}

const tuning = { pollIntervalMs: 2000 };
let nodeRed: EmbeddedNodeRed;
let job: RunnerJob;

function post(message: RunnerMessage): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send) resolve();
    else process.send(message, undefined, {}, () => resolve());
  });
}

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function fullGc(): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) return;
  for (let i = 0; i < 4; i++) {
    gc();
    await turn();
  }
}

function getNode(id: string): RuntimeNode {
  const node = nodeRed.RED.nodes.getNode(id) as RuntimeNode | null;
  if (!node) throw new Error(`node ${id} is not deployed`);
  return node;
}

/** The generator: the same for every scenario. Resolves when the last msg has been handed over. */
function generate(target: RuntimeNode, count: number, make: (i: number) => Msg, offset = 0): Promise<void> {
  const chunk = job.chunk;
  let i = 0;
  return new Promise((resolve, reject) => {
    const step = (): void => {
      try {
        const end = Math.min(count, i + chunk);
        for (; i < end; i++) target.receive(make(offset + i));
      } catch (err) {
        reject(err);
        return;
      }
      if (i < count) setImmediate(step);
      else resolve();
    };
    step();
  });
}

// ---- flows ----

const TAB: FlowNode = { id: 'bench-tab', type: 'tab', label: 'bench', disabled: false, info: '' };

function configNode(extra: Record<string, unknown> = {}): FlowNode {
  return {
    id: 'cfg',
    type: 'fullstory-config',
    baseUrl: job.sandboxUrl,
    apiKeyEnv: '',
    timeout: 60,
    maxAttempts: 3,
    retryBudget: 120,
    maxConcurrency: 8,
    maxJobs: 10,
    rateLimit: 0,
    credentials: { apiKey: BENCH_KEY },
    ...extra,
  };
}

const sinks = (): FlowNode[] => [
  { id: 'sink-ok', type: 'junction', z: TAB.id, x: 600, y: 100, wires: [] },
  { id: 'sink-fail', type: 'junction', z: TAB.id, x: 600, y: 200, wires: [] },
];

function functionNode(id: string, func: string, wires: string[][]): FlowNode {
  return { id, type: 'function', z: TAB.id, name: id, func, outputs: 1, timeout: 0, noerr: 0, initialize: '', finalize: '', libs: [], x: 300, y: 100, wires };
}

interface DataNodeOptions {
  resource: Resource;
  mode: 'single' | 'batch';
  batchSize?: number;
  flushInterval?: number;
  maxBuffered?: number;
  jobTimeout?: number;
}

function dataNode(o: DataNodeOptions): FlowNode {
  return {
    id: 'fs',
    type: o.resource === 'users' ? 'fullstory-user' : 'fullstory-event',
    z: TAB.id,
    name: 'bench',
    server: 'cfg',
    mode: o.mode,
    ...(o.resource === 'users' ? { operation: 'upsert' } : { association: 'payload', useMostRecent: false }),
    batchSize: o.batchSize ?? 1000,
    flushInterval: o.flushInterval ?? 86_400,
    jobTimeout: o.jobTimeout ?? 600,
    maxBuffered: o.maxBuffered ?? 10_000_000,
    propertyTypes: '',
    reportToCatch: false,
    x: 300,
    y: 100,
    wires: [['sink-ok'], ['sink-fail']],
  };
}

/** Node-RED's event bus (the runtime's own copy): setFlows resolves before the new flows start. */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const runtimeEvents = require(require.resolve('@node-red/util', { paths: [path.dirname(require.resolve('node-red'))] })).events as NodeJS.EventEmitter;

let deployments = 0;

/** Deploys (full) and resolves once these very flows have started (the tab label tells them apart). */
async function deploy(nodes: FlowNode[]): Promise<void> {
  const label = `bench ${++deployments}`;
  const started = new Promise<void>((resolve) => {
    const listener = (event: { config?: { flows?: Array<{ type?: string; label?: string }> } }): void => {
      if (!event.config?.flows?.some((n) => n.type === 'tab' && n.label === label)) return;
      runtimeEvents.off('flows:started', listener);
      resolve();
    };
    runtimeEvents.on('flows:started', listener);
  });
  await nodeRed.deploy([{ ...TAB, label }, ...nodes, ...sinks()]);
  await started;
}

// ---- counting what leaves ----

interface Exit {
  ok: number;
  fail: number;
  /** Records (array items count one each) that left. */
  records: number;
  firstError?: unknown;
  /** Hand-built flow: answers whose statusCode was not 2xx. */
  httpErrors: number;
}

class Sinks {
  exit: Exit = { ok: 0, fail: 0, records: 0, httpErrors: 0 };
  private waiter: { records: number; resolve: (at: { t: number; cpu: NodeJS.CpuUsage }) => void } | undefined;

  constructor() {
    getNode('sink-ok').on('input', (msg) => this.arrived(msg, true));
    getNode('sink-fail').on('input', (msg) => this.arrived(msg, false));
  }

  reset(): void {
    this.exit = { ok: 0, fail: 0, records: 0, httpErrors: 0 };
  }

  /** Resolves with the time and CPU reading taken the instant `records` records have left. */
  waitFor(records: number, timeoutMs = job.scenarioTimeoutMs): Promise<{ t: number; cpu: NodeJS.CpuUsage }> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${records} records (${this.exit.records} left: ${this.exit.ok} ok, ${this.exit.fail} failed)`)),
        timeoutMs,
      );
      this.waiter = {
        records,
        resolve: (at) => {
          clearTimeout(timer);
          resolve(at);
        },
      };
      this.check();
    });
  }

  private arrived(msg: Msg, ok: boolean): void {
    const e = this.exit;
    if (ok) e.ok++;
    else {
      e.fail++;
      e.firstError ??= msg.error;
    }
    e.records += Array.isArray(msg.payload) && (msg.fullstory as { records?: unknown } | undefined)?.records !== undefined ? msg.payload.length : 1;
    const status = msg.statusCode;
    if (typeof status === 'number' && (status < 200 || status >= 300)) {
      e.httpErrors++;
      e.firstError ??= { statusCode: status, payload: msg.payload };
    }
    this.check();
  }

  private check(): void {
    const w = this.waiter;
    if (w && this.exit.records >= w.records) {
      const at = { t: performance.now(), cpu: process.cpuUsage() };
      this.waiter = undefined;
      w.resolve(at);
    }
  }
}

// ---- scenarios ----

interface Timed {
  wallMs: number;
  /** Share of the wall time the main thread was busy (event-loop utilisation). */
  elu: number;
  /** The measured window on the monotonic clock in µs (the clock of V8 CPU profiles). */
  windowUs: [number, number];
  /** First receive() to the generator's last receive() returning. */
  generateMs: number;
  cpuUs: number;
  /** Of cpuUs, the kernel's share (system time: file writes, fdatasync, sockets). */
  systemCpuUs: number;
  sandboxCpuUs: number;
  sandboxRecordsImported: number;
  sandboxRequests: number;
  exit: Exit;
}

/** Warm-up (not measured), then the measured run, with CPU of both processes. */
async function timedRun(
  sinksOf: Sinks,
  first: RuntimeNode,
  count: number,
  make: (i: number) => Msg,
  expectedRecords: number,
  warmup?: { count: number; records: number; after?: () => void },
): Promise<Timed> {
  if (warmup && warmup.count > 0) {
    sinksOf.reset();
    const done = sinksOf.waitFor(warmup.records);
    await generate(first, warmup.count, make, 10_000_000);
    warmup.after?.();
    await done;
  }
  await control(job.controlUrl, 'POST', '/reset');
  sinksOf.reset();
  await fullGc();
  const s0 = await sandboxStats(job.controlUrl);
  const done = sinksOf.waitFor(expectedRecords);
  const cpu0 = process.cpuUsage();
  const elu0 = performance.eventLoopUtilization();
  const hr0 = process.hrtime.bigint();
  const t0 = performance.now();
  await generate(first, count, make);
  const generated = performance.now();
  const end = await done;
  const elu = performance.eventLoopUtilization(elu0).utilization;
  const hr1 = process.hrtime.bigint();
  const s1 = await sandboxStats(job.controlUrl);
  return {
    wallMs: end.t - t0,
    elu,
    windowUs: [Number(hr0 / 1000n), Number(hr1 / 1000n)],
    generateMs: generated - t0,
    cpuUs: cpuMicros(end.cpu) - cpuMicros(cpu0),
    systemCpuUs: end.cpu.system - cpu0.system,
    sandboxCpuUs: cpuMicros(s1.cpu) - cpuMicros(s0.cpu),
    sandboxRecordsImported: s1.counters.recordsImported - s0.counters.recordsImported,
    sandboxRequests: s1.counters.requests - s0.counters.requests,
    exit: { ...sinksOf.exit },
  };
}

function checkExit(result: ScenarioResult, t: Timed, expectedRecords: number): void {
  if (t.exit.fail > 0 || t.exit.httpErrors > 0) {
    result.ok = false;
    result.error = `${t.exit.fail} msgs on output 2, ${t.exit.httpErrors} HTTP errors; first: ${JSON.stringify(t.exit.firstError).slice(0, 300)}`;
  }
  if (t.exit.records !== expectedRecords) result.notes.push(`expected ${expectedRecords} records out, counted ${t.exit.records}`);
}

async function chainScenario(spec: Extract<ScenarioSpec, { kind: 'empty' | 'noop' }>): Promise<ScenarioResult> {
  const result: ScenarioResult = { id: spec.id, kind: spec.kind, ok: true, metrics: {}, notes: [] };
  if (spec.kind === 'empty') await deploy([]);
  else await deploy([functionNode('noop', 'return msg;', [['sink-ok']])]);
  const s = new Sinks();
  const first = getNode(spec.kind === 'empty' ? 'sink-ok' : 'noop');
  const make = (i: number): Msg => ({ payload: recordOf('users', i) });
  const t = await timedRun(s, first, spec.msgs, make, spec.msgs, { count: spec.warmup, records: spec.warmup });
  checkExit(result, t, spec.msgs);
  result.metrics = { msgs: spec.msgs, wallMs: t.wallMs, msgsPerSec: spec.msgs / (t.wallMs / 1000), cpuUsPerMsg: t.cpuUs / spec.msgs, mainThreadBusyPct: 100 * t.elu };
  return result;
}

async function batchScenario(spec: Extract<ScenarioSpec, { kind: 'batch' | 'array' }>): Promise<ScenarioResult> {
  const result: ScenarioResult = { id: spec.id, kind: spec.kind, ok: true, metrics: {}, notes: [] };
  tuning.pollIntervalMs = spec.pollMs;
  const journal = spec.kind === 'batch' ? spec.journal !== false : true;
  await deploy([configNode({ journal }), dataNode({ resource: spec.resource, mode: 'batch', batchSize: spec.batchSize })]);
  const s = new Sinks();
  const first = getNode('fs');
  const perMsg = spec.kind === 'array' ? spec.perMsg : 1;
  const msgs = spec.kind === 'array' ? spec.msgs : spec.records;
  const records = msgs * perMsg;
  const make =
    spec.kind === 'array'
      ? (i: number): Msg => ({ payload: Array.from({ length: perMsg }, (_, j) => recordOf(spec.resource, i * perMsg + j)) })
      : (i: number): Msg => ({ payload: recordOf(spec.resource, i) });
  // Warm-up: one-record msgs then a control msg.flush (which leaves on output 1 as well).
  const warm = (i: number): Msg => ({ payload: recordOf(spec.resource, i) });
  const warmupMsgs = spec.warmup;
  if (warmupMsgs > 0) {
    s.reset();
    const done = s.waitFor(warmupMsgs + 1);
    await generate(first, warmupMsgs, warm, 10_000_000);
    first.receive({ flush: true } as Msg);
    await done;
  }
  const t = await timedRun(s, first, msgs, make, records);
  result.details = { windowUs: t.windowUs };
  checkExit(result, t, records);
  if (t.sandboxRecordsImported !== records) result.notes.push(`sandbox imported ${t.sandboxRecordsImported} of ${records} records`);
  result.metrics = {
    msgs,
    records,
    batchSize: spec.batchSize,
    pollMs: spec.pollMs,
    wallMs: t.wallMs,
    recordsPerSec: records / (t.wallMs / 1000),
    /** The generator's rate: how fast the node takes msgs in (build + serialise + buffer). */
    intakeRecordsPerSec: records / (t.generateMs / 1000),
    cpuUsPerRecord: t.cpuUs / records,
    systemCpuUsPerRecord: t.systemCpuUs / records,
    mainThreadBusyPct: 100 * t.elu,
    sandboxCpuUsPerRecord: t.sandboxCpuUs / records,
    sandboxRequests: t.sandboxRequests,
  };
  return result;
}

async function httpScenario(spec: Extract<ScenarioSpec, { kind: 'handbuilt' | 'single' }>): Promise<ScenarioResult> {
  const result: ScenarioResult = { id: spec.id, kind: spec.kind, ok: true, metrics: {}, notes: [] };
  if (spec.kind === 'handbuilt') {
    const build = [
      "msg.method = 'POST';",
      `msg.url = ${JSON.stringify(job.sandboxUrl + '/v2/events')};`,
      `msg.headers = { Authorization: ${JSON.stringify('Basic ' + BENCH_KEY)}, 'Content-Type': 'application/json' };`,
      'return msg;',
    ].join('\n');
    await deploy([
      functionNode('build', build, [['http']]),
      {
        id: 'http', type: 'http request', z: TAB.id, name: '', method: 'use', ret: 'obj', paytoqs: 'ignore', url: '', tls: '',
        persist: true, proxy: '', insecureHTTPParser: false, authType: '', senderr: false, headers: [], x: 450, y: 100, wires: [['sink-ok']],
      },
    ]);
    result.notes.push('function node sets msg.url/method/headers (Authorization) → core http request node (keep-alive on, returns parsed JSON)');
  } else {
    await deploy([configNode(), dataNode({ resource: 'events', mode: 'single' })]);
    result.notes.push('fullstory-event, single mode, maxConcurrency 8 (default), keep-alive');
  }
  const s = new Sinks();
  const first = getNode(spec.kind === 'handbuilt' ? 'build' : 'fs');
  const make = (i: number): Msg => ({ payload: eventRecord(i) });
  const t = await timedRun(s, first, spec.msgs, make, spec.msgs, { count: spec.warmup, records: spec.warmup });
  checkExit(result, t, spec.msgs);
  result.metrics = {
    msgs: spec.msgs,
    wallMs: t.wallMs,
    msgsPerSec: spec.msgs / (t.wallMs / 1000),
    cpuUsPerMsg: t.cpuUs / spec.msgs,
    mainThreadBusyPct: 100 * t.elu,
    sandboxCpuUsPerMsg: t.sandboxCpuUs / spec.msgs,
    sandboxRequests: t.sandboxRequests,
  };
  return result;
}

/** Wraps the config node's shared client so the moment a batch create answers is observable. */
function watchBatchCreates(): { calledAt: number[]; answeredAt: number[] } {
  const cfg = nodeRed.RED.nodes.getNode('cfg') as { client(): ClientLike } | null;
  if (!cfg) throw new Error('config node not deployed');
  const client = cfg.client();
  const original = client.request.bind(client);
  const answeredAt: number[] = [];
  const calledAt: number[] = [];
  client.request = (req) => {
    if (req.method !== 'POST' || !req.path.endsWith('/batch')) return original(req);
    calledAt.push(performance.now());
    return original(req).then((res) => {
      answeredAt.push(performance.now());
      return res;
    });
  };
  return { calledAt, answeredAt };
}

async function flushScenario(spec: Extract<ScenarioSpec, { kind: 'flush' }>): Promise<ScenarioResult> {
  const result: ScenarioResult = { id: spec.id, kind: spec.kind, ok: true, metrics: {}, notes: [] };
  tuning.pollIntervalMs = spec.pollMs;
  await deploy([configNode(), dataNode({ resource: 'users', mode: 'batch', batchSize: spec.records })]);
  const s = new Sinks();
  const first = getNode('fs');
  const { calledAt, answeredAt } = watchBatchCreates();
  const make = (i: number): Msg => ({ payload: recordOf('users', i) });
  const runs: Array<{ flushMs: number; buildMs: number; serverMs: number; bodyBytes: number; intakeMs: number }> = [];
  for (let rep = 0; rep <= spec.repeats; rep++) {
    await control(job.controlUrl, 'POST', '/reset');
    s.reset();
    answeredAt.length = 0;
    calledAt.length = 0;
    await fullGc();
    const done = s.waitFor(spec.records);
    const i0 = performance.now();
    await generate(first, spec.records - 1, make, rep * spec.records);
    const intakeMs = performance.now() - i0;
    await turn();
    // The msg that completes the batch also carries msg.flush: the size trigger and msg.flush take
    // the same path (dispatch → job slot → build body → POST), timed until the create answers.
    const last = make(rep * spec.records + spec.records - 1);
    last.flush = true;
    const t0 = performance.now();
    first.receive(last);
    while (answeredAt.length === 0) {
      if (performance.now() - t0 > job.scenarioTimeoutMs) throw new Error('the batch create never answered');
      await sleep(1);
    }
    const flushMs = answeredAt[0]! - t0;
    await done;
    const stats = await sandboxStats(job.controlUrl);
    const create = stats.batchCreates[0];
    if (s.exit.fail > 0) throw new Error(`records failed: ${JSON.stringify(s.exit.firstError).slice(0, 300)}`);
    const buildMs = (calledAt[0] ?? NaN) - t0;
    if (rep > 0) runs.push({ flushMs, buildMs, serverMs: create?.serverMs ?? NaN, bodyBytes: create?.bytes ?? NaN, intakeMs });
  }
  // The breakdown is the median run's own, so its parts add up.
  const mid = [...runs].sort((a, b) => a.flushMs - b.flushMs)[(runs.length - 1) >> 1]!;
  result.metrics = {
    records: spec.records,
    flushMs: mid.flushMs,
    flushMinMs: Math.min(...runs.map((r) => r.flushMs)),
    flushMaxMs: Math.max(...runs.map((r) => r.flushMs)),
    /** t0 → client.request() called: dispatch, job slot, body join. */
    buildMs: mid.buildMs,
    /** client.request() called → answered. */
    requestMs: mid.flushMs - mid.buildMs,
    sandboxServerMs: mid.serverMs,
    nodeSideMs: mid.flushMs - mid.serverMs,
    bodyBytes: mid.bodyBytes,
    intakeMs: median(runs.map((r) => r.intakeMs)),
  };
  result.details = { runs };
  result.notes.push(
    `median run of ${runs.length} after 1 warm-up (the breakdown rows are that run's); t0 = just before receive() of the msg that completes the ${spec.records}-record batch (it carries msg.flush), ` +
      't1 = the POST /v2/users/batch promise of the shared client resolving (its request() wrapped in-runtime; the call time splits build from request); sandboxServerMs = request arrival to response end inside the sandbox process (JSON parse + validation of every record)',
  );
  return result;
}

async function memoryScenario(spec: Extract<ScenarioSpec, { kind: 'memory' }>): Promise<ScenarioResult> {
  const result: ScenarioResult = { id: spec.id, kind: spec.kind, ok: true, metrics: {}, notes: [] };
  if (!(globalThis as { gc?: unknown }).gc) throw new Error('run the runner with --expose-gc');
  tuning.pollIntervalMs = 60_000;
  await control(job.controlUrl, 'POST', '/reset');
  await control(job.controlUrl, 'POST', '/stuck?on=1');
  try {
    await deploy([
      configNode({ maxJobs: 1, journal: spec.journal !== false }),
      dataNode({ resource: 'users', mode: 'batch', batchSize: spec.batchSize, flushInterval: 86_400, jobTimeout: 86_400, maxBuffered: 10_000_000 }),
    ]);
    new Sinks();
    const first = getNode('fs');
    const statuses: unknown[] = [];
    const originalStatus = first.status.bind(first);
    first.status = (status: unknown) => {
      statuses.push(status);
      originalStatus(status);
    };
    await fullGc();
    const h0 = process.memoryUsage().heapUsed;
    // The msgs exist (and stay referenced by this array) before and after: only what holding them
    // in the node adds is counted. _msgid is set here so receive() adds nothing to the msg itself.
    // Payloads are parsed, as a msg from HTTP or MQTT has them: built by template literals, their
    // strings would be concatenations that the first JSON.stringify of the payload flattens in
    // place, and the heap they give back would be credited to the node (about 95 bytes per record).
    const msgs: Msg[] = Array.from({ length: spec.records }, (_, i) => ({ _msgid: i.toString(16).padStart(16, '0'), payload: JSON.parse(JSON.stringify(recordOf('users', i))) as unknown }));
    await fullGc();
    const h1 = process.memoryUsage().heapUsed;
    // BENCH_HEAP_SNAPSHOTS=dir: heap snapshots at both points, to see what the difference is made of.
    const snapshots = process.env.BENCH_HEAP_SNAPSHOTS;
    if (snapshots) v8.writeHeapSnapshot(path.join(snapshots, 'memory-before.heapsnapshot'));
    await generate(first, spec.records, (i) => msgs[i]!);
    const t0 = performance.now();
    let creates = 0;
    while (performance.now() - t0 < 20_000) {
      await sleep(100);
      creates = (await sandboxStats(job.controlUrl)).counters.byRoute['POST /v2/users/batch'] ?? 0;
      if (creates >= 1 && performance.now() - t0 > 300) break;
    }
    await sleep(600); // the status is debounced (500 ms)
    await fullGc();
    const h2 = process.memoryUsage().heapUsed;
    if (snapshots) v8.writeHeapSnapshot(path.join(snapshots, 'memory-after.heapsnapshot'));
    const jsonBytes = msgs.reduce((n, m) => n + JSON.stringify(m.payload).length, 0) / msgs.length;
    const inJob = Math.min(spec.batchSize, spec.records);
    const waiting = Math.min(spec.batchSize, spec.records - inJob);
    result.metrics = {
      records: spec.records,
      bytesPerRecordBeyondRecord: (h2 - h1) / spec.records,
      recordObjectBytes: (h1 - h0) / spec.records,
      serialisedRecordChars: jsonBytes,
      heapBeforeMB: h1 / 2 ** 20,
      heapAfterMB: h2 / 2 ** 20,
      jobsCreated: creates,
    };
    const lastStatus = statuses[statuses.length - 1] as { text?: string } | undefined;
    result.notes.push(
      `--expose-gc; heapUsed after gc with the ${spec.records} msgs created and held by the generator (baseline) vs after all were received by ` +
        `fullstory-user (batch, batchSize ${spec.batchSize}, maxJobs 1, flushInterval 1 day) against a sandbox whose jobs stay PROCESSING (stuckJobs): ` +
        `${inJob} records in a created job being polled, ${waiting} taken for a job waiting for the slot, ${spec.records - inJob - waiting} in the buffer — ` +
        `i.e. every record held by the node, none released. Node status then: "${lastStatus?.text ?? '?'}". ` +
        'Includes the serialised copy of each record kept for the job body. ' +
        `Batch journal ${spec.journal === false ? 'off' : 'on (the default)'}.`,
    );
  } finally {
    await control(job.controlUrl, 'POST', '/stuck?on=0');
  }
  return result;
}

async function runScenario(spec: ScenarioSpec): Promise<ScenarioResult> {
  switch (spec.kind) {
    case 'empty':
    case 'noop':
      return chainScenario(spec);
    case 'batch':
    case 'array':
      return batchScenario(spec);
    case 'handbuilt':
    case 'single':
      return httpScenario(spec);
    case 'flush':
      return flushScenario(spec);
    case 'memory':
      return memoryScenario(spec);
  }
}

async function main(received: RunnerJob): Promise<void> {
  job = received;
  const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fs-bench-'));
  try {
    nodeRed = await startNodeRed({ userDir, logLevel: 'error', settings: { fullstory: tuning, nodeCloseTimeout: 15_000 } });
    for (const spec of job.scenarios) {
      let result: ScenarioResult;
      const began = performance.now();
      try {
        result = await runScenario(spec);
      } catch (err) {
        result = { id: spec.id, kind: spec.kind, ok: false, error: err instanceof Error ? err.message : String(err), metrics: {}, notes: [] };
      }
      result.elapsedMs = performance.now() - began;
      await post({ type: 'result', result });
      // The next deploy closes this flow's nodes; leave nothing in flight between scenarios.
      await deploy([]);
      await fullGc();
    }
    await nodeRed.stop();
  } finally {
    fs.rmSync(userDir, { recursive: true, force: true });
  }
  await post({ type: 'done' });
}

process.once('message', (message: RunnerJob) => {
  main(message).then(
    () => process.exit(0),
    (err: unknown) => {
      void post({ type: 'log', text: `runner failed: ${err instanceof Error ? err.stack : String(err)}` }).then(() => process.exit(1));
    },
  );
});
process.on('disconnect', () => process.exit(1));
