// The crash test's harness: a real Node-RED in a child process (test/fixtures/crash-node-red.ts)
// with batch-mode user and event nodes, fed a stream of msgs, pointed at a sandbox in this process
// with faults on. Life 1 is killed (SIGKILL) at a seeded step of the batch path
// (nodes/lib/batch/crash-points.ts); life 2 starts on the same user directory, takes a few new msgs
// and settles. Then every record is accounted for (see countRun).
// Waits are on state (the collector, the journal, the sandbox's jobs, an IPC round trip through
// the child's event loop), never on time; the one timer is the stream's input rate.
//
// Who counts what:
// - accepted = the records the journal held at the kill (any entry that names them: held, in a
//   planned job, or already marked reported) plus the records whose outcome reached the flow
//   downstream in life 1. A record whose msg died before its journal write was never accepted.
// - the sandbox = the records of every import job it created (its /imports and /errors pages),
//   so a record imported by two jobs counts twice even where an upsert would hide it.
// - a report = a msg the collector was given (a function node after each output, one line per msg
//   written synchronously): what a flow downstream actually saw. A msg the node sent but that died
//   in Node-RED's delivery (a later turn) is not a report; the onSend log tells those apart.
// The verdict, per record (life 2 runs without a kill, so its records are owed like accepted ones):
// - lost: accepted, not imported by any job, and not reported on output 2 (a record FullStory
//   refused whose failure report went missing is lost too: nobody can resend it);
// - duplicated: imported by more than one job;
// - report missing / repeated: an accepted record that reached the collector 0 / more than 1 times;
// - unaccepted in the sandbox: in a job although the journal never named it and it was never
//   reported (the write-ahead rule broken);
// - recovered without the flag: a life-1 record reported by life 2 without msg.fullstory.recovered;
// - journal left: records still owed in the journal after life 2 stopped.

import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startSandbox, type Sandbox } from '../../sandbox';
import { ADMIN_KEY, parseCli } from '../../sandbox/cli-options';
import { prng } from '../../sandbox/faults';
import type { CrashPoint } from '../../nodes/lib/batch/crash-points';
import { collectorCode, type ChildMessage, type CrashChildConfig, type ParentMessage } from '../fixtures/crash-protocol';
import { editorNode } from './editor-defaults';
import { journalSnapshot, type JournalSnapshot } from './journal-view';

const ROOT = path.resolve(__dirname, '..', '..');
const CHILD = path.join(ROOT, 'test', 'fixtures', 'crash-node-red.ts');

export const CRASH_POINTS: readonly CrashPoint[] = ['before-journal-write', 'after-journal-write', 'after-job-post', 'while-polling', 'while-reporting'];

/**
 * The passes of each point a kill is drawn from. A point passed fewer times than the draw in all
 * of life 1 is not reached: the harness then kills life 1 itself once it has settled.
 */
const PASS_RANGE: Record<CrashPoint, readonly [number, number]> = {
  /** Passed once per group commit that holds records (about one per chunk of the stream). */
  'before-journal-write': [1, 40],
  /** Once per job planned (jobs of 20 records: about 10 in a life 1). */
  'after-journal-write': [1, 10],
  /** Once per job created. */
  'after-job-post': [1, 10],
  /** Once per status poll (one or two per job). */
  'while-polling': [1, 10],
  /** Once per msg sent to an output (about 160 in a life 1). */
  'while-reporting': [1, 150],
};

const NODE_IDS = { users: 'crash-data-users', events: 'crash-data-events' } as const;
type Resource = keyof typeof NODE_IDS;

/** Workload: msgs of life 1 (streamed) and of life 2; share of bulk msgs; records FullStory rejects. */
const LIFE1_MSGS = 160;
const LIFE2_MSGS = 10;
const CHUNK_MSGS = 4;
/** The stream's rate: a chunk every STREAM_TICK_MS (an input rate, like a sensor feed; nothing waits on it). */
const STREAM_TICK_MS = 15;
const REJECT_EVERY = 19;
/** Sandbox faults, as the sandbox CLI takes them (about 14% of requests). */
const FAULT_ARGS = ['--rate-limited', '0.03', '--retry-after', '1', '--server-error', '0.03', '--drop', '0.02', '--lost-answer', '0.03', '--slow', '0.01', '--slow-ms', '200', '--malformed', '0.02'];
/** Past the longest a job may take under these faults (30 s retry budget to create, 60 s job timeout). */
const SETTLE_TIMEOUT_MS = 100_000;
const CHILD_START_TIMEOUT_MS = 60_000;

export interface KillPlan {
  run: number;
  seed: number;
  point: CrashPoint;
  pass: number;
}

/** `runs` kill plans from one seed: the points in turn (or only `points`), a seeded pass of each. */
export function killPlans(runs: number, seed: number, points: readonly CrashPoint[] = CRASH_POINTS): KillPlan[] {
  const random = prng(seed);
  return Array.from({ length: runs }, (_, run) => {
    const point = points[run % points.length] as CrashPoint;
    const [min, max] = PASS_RANGE[point];
    const pass = min + Math.floor(random() * (max - min + 1));
    return { run, seed: Math.floor(random() * 2 ** 31), point, pass };
  });
}

export interface CrashRunResult {
  plan: KillPlan;
  /** 'point': life 1 died at the planned step; 'after settling': the point was never reached, the harness killed it. */
  killedBy: 'point' | 'after settling';
  fed: number;
  accepted: number;
  lost: number[];
  duplicated: number[];
  reportsMissing: number[];
  reportsRepeated: number[];
  /** In the sandbox but never accepted (neither in the journal at the kill nor reported). */
  unacceptedInSandbox: number[];
  /** Life 1 records reported in life 2 without msg.fullstory.recovered. */
  recoveredUnflagged: number[];
  /** Recovered reports (life 2, of life 1 records). */
  recovered: number;
  /** Records the journal still held after life 2 stopped (undefined: no journal to read). */
  journalLeft: number | undefined;
  /** Sent by a data node (onSend) but never delivered to the collector. */
  sentNotDelivered: number[];
  /** What went wrong besides the counts (a child that failed, a life that never settled). */
  problems: string[];
  /** Child output and counts, for a failing run's message. */
  diagnosis: string;
}

interface Report {
  life: number;
  port: number;
  recovered: boolean;
  code?: string;
}

interface Record_ {
  seq: number;
  resource: Resource;
  life: number;
}

// ---- the workload ----

function recordBody(resource: Resource, seq: number): Record<string, unknown> {
  const properties: Record<string, unknown> = { crash_seq: seq };
  if (seq % REJECT_EVERY === 0) properties.crash_reject = true;
  return resource === 'users' ? { uid: `crash-u-${seq}`, properties } : { name: 'Crash Event', properties };
}

interface Workload {
  records: Map<number, Record_>;
  life1: Array<{ node: string; payload: unknown }>;
  life2: Array<{ node: string; payload: unknown }>;
}

function workload(seed: number): Workload {
  const random = prng(seed ^ 0x5bd1e995);
  const records = new Map<number, Record_>();
  let seq = 1;
  const msgs = (count: number, life: number): Array<{ node: string; payload: unknown }> =>
    Array.from({ length: count }, () => {
      const resource: Resource = random() < 0.5 ? 'users' : 'events';
      const bulk = random() < 0.1 ? 2 + Math.floor(random() * 3) : 0;
      const bodies = Array.from({ length: Math.max(bulk, 1) }, () => {
        records.set(seq, { seq, resource, life });
        return recordBody(resource, seq++);
      });
      return { node: NODE_IDS[resource], payload: bulk ? bodies : bodies[0] };
    });
  const life1 = msgs(LIFE1_MSGS, 1);
  const life2 = msgs(LIFE2_MSGS, 2);
  return { records, life1, life2 };
}

/** The crash_seq of every record a payload carries (one record, or a bulk array of them). */
export function seqsOf(payload: unknown): number[] {
  const items = Array.isArray(payload) ? payload : [payload];
  const out: number[] = [];
  for (const item of items) {
    const seq = (item as { properties?: { crash_seq?: unknown } } | null)?.properties?.crash_seq;
    if (typeof seq === 'number') out.push(seq);
  }
  return out;
}

// ---- the flows ----

function flows(sandboxUrl: string): Array<Record<string, unknown>> {
  const tab = { id: 'crash-tab', type: 'tab', label: 'crash', disabled: false, info: '' };
  const config = { ...editorNode('fullstory-config', { id: 'crash-cfg', baseUrl: sandboxUrl, timeout: 2 }), credentials: { apiKey: ADMIN_KEY } };
  const batch = { z: tab.id, server: config.id, mode: 'batch', batchSize: 20, flushInterval: 0.3, jobTimeout: 60, wires: [['crash-out-1'], ['crash-out-2']] };
  const collector = (port: number) => ({ id: `crash-out-${port}`, type: 'function', z: tab.id, name: `collector ${port}`, func: collectorCode(port), outputs: 0, x: 600, y: 100 * port, wires: [] });
  return [
    tab,
    config,
    editorNode('fullstory-user', { id: NODE_IDS.users, ...batch, x: 300, y: 100 }),
    editorNode('fullstory-event', { id: NODE_IDS.events, ...batch, association: 'payload', useMostRecent: false, x: 300, y: 200 }),
    collector(1),
    collector(2),
  ];
}

// ---- the child ----

class Life {
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output = '';
  private readonly waiting = new Map<string, (m: ChildMessage) => void>();
  private child: ChildProcess;
  failed: string | undefined;

  constructor(config: CrashChildConfig, crashAt: string | undefined) {
    const env: NodeJS.ProcessEnv = { ...process.env, CRASH_CHILD: JSON.stringify(config) };
    delete env.FULLSTORY_CRASH_AT;
    if (crashAt) env.FULLSTORY_CRASH_AT = crashAt;
    this.child = spawn(process.execPath, ['-r', 'tsx/cjs', CHILD], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
    this.child.stdout?.on('data', (d: Buffer) => (this.output += d.toString()));
    this.child.stderr?.on('data', (d: Buffer) => (this.output += d.toString()));
    this.child.on('message', (m: ChildMessage) => {
      if ('failed' in m) this.failed = m.failed;
      const key = messageKey(m);
      const resolve = this.waiting.get(key);
      this.waiting.delete(key);
      resolve?.(m);
    });
    // An IPC write to a child that has just died fails with EPIPE: the exit says what happened.
    this.child.on('error', () => undefined);
    this.exited = new Promise((resolve) => this.child.on('exit', (code, signal) => resolve({ code, signal })));
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Sends and waits for the answer; undefined when the child died first. */
  ask(message: ParentMessage, answerKey: string, timeoutMs = 30_000): Promise<ChildMessage | undefined> {
    if (!this.alive) return Promise.resolve(undefined);
    const answer = this.answer(answerKey, timeoutMs);
    this.child.send(message, () => undefined);
    return answer;
  }

  async ready(): Promise<void> {
    if (!(await this.answer('ready', CHILD_START_TIMEOUT_MS))) throw new Error(`Node-RED did not start: ${this.failed ?? ''}\n${this.output}`);
  }

  /** The child's next message of this key; undefined when it died first. */
  private async answer(key: string, timeoutMs: number): Promise<ChildMessage | undefined> {
    const answer = new Promise<ChildMessage>((resolve) => this.waiting.set(key, resolve));
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs)));
    try {
      const first = await Promise.race([answer, this.exited.then(() => undefined), timeout]);
      if (first === 'timeout') throw new Error(`the child did not answer ${key} within ${timeoutMs} ms\n${this.output}`);
      return first;
    } finally {
      clearTimeout(timer);
      this.waiting.delete(key);
    }
  }

  kill(): void {
    if (this.alive) this.child.kill('SIGKILL');
  }
}

function messageKey(m: ChildMessage): string {
  if ('ready' in m) return 'ready';
  if ('fed' in m) return `fed ${m.fed}`;
  if ('barrier' in m) return `barrier ${m.barrier}`;
  if ('stopped' in m) return 'stopped';
  return 'failed';
}

// ---- reading what happened ----

function readLines(file: string): Array<Record<string, unknown>> {
  if (!fs.existsSync(file)) return [];
  const text = fs.readFileSync(file, 'utf8');
  // The child appends whole lines while this reads: a line caught half written is not one yet.
  return text.slice(0, text.lastIndexOf('\n') + 1).split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>);
}

function reportsBySeq(file: string): Map<number, Report[]> {
  const out = new Map<number, Report[]>();
  for (const line of readLines(file)) {
    const fullstory = line.fullstory as { recovered?: unknown } | undefined;
    const report: Report = { life: line.life as number, port: line.port as number, recovered: fullstory?.recovered === true };
    if (typeof line.code === 'string') report.code = line.code;
    for (const seq of seqsOf(line.payload)) {
      const list = out.get(seq) ?? [];
      list.push(report);
      out.set(seq, list);
    }
  }
  return out;
}

interface SandboxHolding {
  /** Imports per record: what FullStory holds. */
  imported: Map<number, number>;
  /** Per-record errors: records FullStory refused. */
  refused: Map<number, number>;
  jobs: number;
}

async function getJson(sandbox: Sandbox, pathname: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${sandbox.url}${pathname}`, { headers: { authorization: `Basic ${ADMIN_KEY}` } });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** Every record of every job the sandbox created, read through the API (faults are off by now). */
async function sandboxHolding(sandbox: Sandbox): Promise<SandboxHolding> {
  const imported = new Map<number, number>();
  const refused = new Map<number, number>();
  const count = (map: Map<number, number>, item: unknown): void => {
    for (const seq of seqsOf(item)) map.set(seq, (map.get(seq) ?? 0) + 1);
  };
  for (const job of sandbox.jobs.values()) {
    for (const kind of ['imports', 'errors'] as const) {
      let token: string | undefined;
      do {
        const query = token === undefined ? '' : `?page_token=${encodeURIComponent(token)}`;
        const page = await getJson(sandbox, `/v2/${job.resource}/batch/${encodeURIComponent(job.id)}/${kind}${query}`);
        if (page.status !== 200) throw new Error(`sandbox ${kind} of job ${job.id}: ${page.status} ${JSON.stringify(page.body)}`);
        for (const result of page.body.results as unknown[]) count(kind === 'imports' ? imported : refused, kind === 'imports' ? result : (result as { user?: unknown; event?: unknown }).user ?? (result as { event?: unknown }).event);
        token = page.body.next_page_token as string | undefined;
      } while (token !== undefined);
    }
  }
  return { imported, refused, jobs: sandbox.jobs.size };
}

const tick = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The promise's value, or undefined when it takes longer than `ms`. */
async function within<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([promise, new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

/** Polls a condition on state (files, the sandbox) until it holds or the deadline passes. */
async function until(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) return false;
    await tick(20);
  }
  return true;
}

/**
 * Waits until a life has settled: every one of `owed` reported, no sandbox job PROCESSING, no
 * record left owed in the journal, and nothing more reaching the collector across a delivery round
 * trip. False when the life died first or the deadline passed.
 */
async function settle(life: Life, owed: readonly number[], where: { collectorFile: string; userDir: string; sandbox: Sandbox }): Promise<boolean> {
  const { collectorFile, userDir, sandbox } = where;
  const size = (): number => (fs.existsSync(collectorFile) ? fs.statSync(collectorFile).size : 0);
  const deadline = Date.now() + SETTLE_TIMEOUT_MS;
  while (life.alive && Date.now() < deadline) {
    const reports = reportsBySeq(collectorFile);
    const calm =
      owed.every((s) => reports.has(s)) &&
      ![...sandbox.jobs.values()].some((j) => j.status === 'PROCESSING') &&
      journalSnapshot(userDir).live.length === 0;
    if (calm) {
      const before = size();
      barriers++;
      if ((await life.ask({ barrier: barriers }, `barrier ${barriers}`)) && size() === before) return true;
    }
    await tick(20);
  }
  return false;
}
let barriers = 0;

// ---- one run ----

export async function runCrash(plan: KillPlan): Promise<CrashRunResult> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fullstory-crash-'));
  const userDir = path.join(dir, 'user');
  const collectorFile = path.join(dir, 'collector.jsonl');
  const sendsFile = path.join(dir, 'sends.jsonl');
  const flowsFile = path.join(dir, 'flows-to-deploy.json');
  const problems: string[] = [];
  const sandbox = await startSandbox({ seed: plan.seed, jobProcessingMs: 30 });
  const lives: Life[] = [];
  const started = Date.now();
  const timings: string[] = [];
  try {
    sandbox.rejectRecord = (_resource, record) =>
      (record as { properties?: { crash_reject?: unknown } } | null)?.properties?.crash_reject === true
        ? { code: 'crash_rejected', message: 'rejected by the crash test (properties.crash_reject)' }
        : undefined;
    const cli = parseCli([...FAULT_ARGS, '--seed', String(plan.seed)]);
    if (cli.kind !== 'run') throw new Error('fault options');
    for (const fault of cli.options.faults) sandbox.inject(fault);
    fs.writeFileSync(flowsFile, JSON.stringify(flows(sandbox.url)));
    const load = workload(plan.seed);
    const base = { userDir, collectorFile, sendsFile, pollIntervalMs: 50, nodeCloseTimeout: 5000 };

    // Life 1: stream until the point kills it. A point not reached by the end of the stream may
    // still come while the node works off what it has; once it has settled, the harness kills it.
    const life1 = new Life({ ...base, life: 1, flowsFile }, `${plan.point}:${plan.pass}`);
    lives.push(life1);
    await life1.ready();
    const fedSeqs: number[] = [];
    for (let i = 0; i < load.life1.length && life1.alive; i += CHUNK_MSGS) {
      const chunk = load.life1.slice(i, i + CHUNK_MSGS);
      const answer = await life1.ask({ feed: chunk, id: i }, `fed ${i}`);
      if (answer) for (const m of chunk) fedSeqs.push(...seqsOf(m.payload));
      await tick(STREAM_TICK_MS);
    }
    const fed = fedSeqs.length;
    if (life1.alive) await settle(life1, fedSeqs, { collectorFile, userDir, sandbox });
    const killedBy = life1.alive ? 'after settling' : 'point';
    life1.kill();
    const exit1 = await life1.exited;
    timings.push(`life 1 ${Date.now() - started} ms`);
    const life1Requests = requestCounts(sandbox);
    if (exit1.signal !== 'SIGKILL') problems.push(`life 1 ended by itself (code ${exit1.code}, signal ${exit1.signal}) ${life1.failed ?? ''}`);

    // What had been accepted at the kill.
    const atKill: JournalSnapshot = journalSnapshot(userDir);
    const reports1 = reportsBySeq(collectorFile);
    const accepted = new Set<number>(atKill.named);
    for (const seq of reports1.keys()) accepted.add(seq);

    // Life 2: the same user directory, no kill; a few new msgs; settle.
    const life2 = new Life({ ...base, life: 2 }, undefined);
    lives.push(life2);
    await life2.ready();
    timings.push(`life 2 ready ${Date.now() - started} ms`);
    for (let i = 0; i < load.life2.length; i += CHUNK_MSGS) await life2.ask({ feed: load.life2.slice(i, i + CHUNK_MSGS), id: 1000 + i }, `fed ${1000 + i}`);
    const life2Seqs = [...load.records.values()].filter((r) => r.life === 2).map((r) => r.seq);
    const calm = await settle(life2, life2Seqs, { collectorFile, userDir, sandbox });
    timings.push(`life 2 settled ${Date.now() - started} ms`);
    if (!calm) problems.push(life2.alive ? `life 2 did not settle within ${SETTLE_TIMEOUT_MS / 1000} s (records owed a report stayed in the journal, or jobs stayed PROCESSING)` : 'life 2 died');
    await life2.ask({ stop: true }, 'stopped');
    const exit2 = await within(life2.exited, 30_000);
    if (!exit2 || exit2.code !== 0) problems.push(`life 2 did not stop cleanly (${JSON.stringify(exit2)})`);
    life2.kill();

    // Count.
    sandbox.clearFaults();
    if (!(await until(() => ![...sandbox.jobs.values()].some((j) => j.status === 'PROCESSING'), 10_000))) problems.push('sandbox jobs still PROCESSING');
    const holding = await sandboxHolding(sandbox);
    const reports = reportsBySeq(collectorFile);
    const sends = reportsBySeq(sendsFile);
    const end = journalSnapshot(userDir);
    const result = countRun({ plan, killedBy, fed, accepted, records: load.records, reports, sends, holding, journalLeft: end.readable ? end.live.length : undefined, problems });
    timings.push(`counted ${Date.now() - started} ms`);
    result.diagnosis = diagnosis(result, lives, atKill, holding, [`life 1 requests: ${life1Requests}`, `timings: ${timings.join(', ')}`]);
    return result;
  } finally {
    for (const life of lives) life.kill();
    await Promise.all(lives.map((l) => l.exited));
    await sandbox.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

interface Observed {
  plan: KillPlan;
  killedBy: CrashRunResult['killedBy'];
  fed: number;
  accepted: Set<number>;
  records: Map<number, Record_>;
  reports: Map<number, Report[]>;
  sends: Map<number, Report[]>;
  holding: SandboxHolding;
  journalLeft: number | undefined;
  problems: string[];
}

/** The checks of one run, as counts of records (see the file's head for what each side counts). */
export function countRun(o: Observed): CrashRunResult {
  const { accepted, reports, holding } = o;
  // Life 2 ran without a kill: every record fed to it is owed a report and its place at FullStory too.
  const owed = new Set(accepted);
  for (const r of o.records.values()) if (r.life === 2) owed.add(r.seq);
  const lost: number[] = [];
  const reportsMissing: number[] = [];
  const recoveredUnflagged: number[] = [];
  for (const seq of owed) {
    const list = reports.get(seq) ?? [];
    const imported = holding.imported.get(seq) ?? 0;
    const reportedFailed = list.some((r) => r.port === 2);
    if (imported === 0 && !reportedFailed) lost.push(seq);
    if (list.length === 0) reportsMissing.push(seq);
    if (o.records.get(seq)?.life === 1 && list.some((r) => r.life === 2 && !r.recovered)) recoveredUnflagged.push(seq);
  }
  const duplicated = [...holding.imported].filter(([, n]) => n > 1).map(([seq]) => seq);
  const reportsRepeated = [...reports].filter(([, list]) => list.length > 1).map(([seq]) => seq);
  const inSandbox = new Set([...holding.imported.keys(), ...holding.refused.keys()]);
  const unacceptedInSandbox = [...inSandbox].filter((seq) => !owed.has(seq));
  const sentNotDelivered = [...o.sends].filter(([seq, list]) => list.length > (reports.get(seq)?.length ?? 0)).map(([seq]) => seq);
  const recovered = [...reports].filter(([seq, list]) => o.records.get(seq)?.life === 1 && list.some((r) => r.life === 2)).length;
  return {
    plan: o.plan,
    killedBy: o.killedBy,
    fed: o.fed,
    accepted: accepted.size,
    lost: lost.sort((a, b) => a - b),
    duplicated,
    reportsMissing: reportsMissing.sort((a, b) => a - b),
    reportsRepeated,
    unacceptedInSandbox,
    recoveredUnflagged,
    recovered,
    journalLeft: o.journalLeft,
    sentNotDelivered,
    problems: o.problems,
    diagnosis: '',
  };
}

/** What the sandbox saw so far, as passes of the points it can see: jobs created, status polls answered. */
function requestCounts(sandbox: Sandbox): string {
  const created = sandbox.requests.filter((r) => r.method === 'POST' && /^\/v2\/(users|events)\/batch$/.test(r.path) && r.status === 200).length;
  const polled = sandbox.requests.filter((r) => r.method === 'GET' && /^\/v2\/(users|events)\/batch\/[^/]+$/.test(r.path) && r.status === 200).length;
  return `${created} job creations answered 200, ${polled} status polls answered 200, ${sandbox.requests.length} in all`;
}

function diagnosis(r: CrashRunResult, lives: Life[], atKill: JournalSnapshot, holding: SandboxHolding, notes: string[]): string {
  const list = (xs: number[]): string => (xs.length > 20 ? `${xs.slice(0, 20).join(',')}… (${xs.length})` : xs.join(','));
  return [
    `run ${r.plan.run}: ${r.plan.point}:${r.plan.pass} (seed ${r.plan.seed}), killed by ${r.killedBy}`,
    `fed ${r.fed}, accepted ${r.accepted} (journal named ${atKill.named.length}, held live ${atKill.live.length}${atKill.readable ? '' : ', no journal'}${atKill.torn.length ? `, torn: ${atKill.torn.join('; ')}` : ''}), recovered reports ${r.recovered}`,
    ...notes,
    `sandbox: ${holding.jobs} jobs, ${holding.imported.size} records imported, ${holding.refused.size} refused`,
    `lost [${list(r.lost)}] duplicated [${list(r.duplicated)}] reports missing [${list(r.reportsMissing)}] repeated [${list(r.reportsRepeated)}]`,
    `in sandbox, never accepted [${list(r.unacceptedInSandbox)}] recovered without the flag [${list(r.recoveredUnflagged)}] sent, not delivered [${list(r.sentNotDelivered)}] journal left ${r.journalLeft ?? '-'}`,
    ...r.problems,
    ...lives.map((l, i) => `--- life ${i + 1} output ---\n${l.output.trim().split('\n').slice(-40).join('\n')}`),
  ].join('\n');
}

/** The failures of a run, one line each (empty when it kept every promise). */
export function failuresOf(r: CrashRunResult): string[] {
  const out: string[] = [...r.problems];
  const check = (what: string, xs: number[]): void => void (xs.length > 0 && out.push(`${xs.length} ${what}`));
  check('record(s) lost', r.lost);
  check('record(s) duplicated in the sandbox', r.duplicated);
  check('report(s) missing', r.reportsMissing);
  check('report(s) repeated', r.reportsRepeated);
  check('record(s) in the sandbox that were never accepted', r.unacceptedInSandbox);
  check('recovered record(s) without msg.fullstory.recovered', r.recoveredUnflagged);
  if (r.journalLeft !== undefined && r.journalLeft > 0) out.push(`${r.journalLeft} record(s) left in the journal`);
  return out;
}

/**
 * The figures table of `npm run test:crash`: one row per kill point and a total. "killed there":
 * runs whose first life died at the point (the others were killed at the end of the stream);
 * "recovered": records of life 1 reported by life 2.
 */
export function figuresTable(results: readonly CrashRunResult[]): string {
  const header = ['kill point', 'runs', 'killed there', 'accepted', 'lost', 'duplicated', 'reports missing', 'reports repeated', 'recovered', 'unaccepted in sandbox', 'journal left'];
  const row = (label: string, rs: readonly CrashRunResult[]): string[] => {
    const sum = (f: (r: CrashRunResult) => number): string => String(rs.reduce((n, r) => n + f(r), 0));
    return [
      label,
      String(rs.length),
      sum((r) => (r.killedBy === 'point' ? 1 : 0)),
      sum((r) => r.accepted),
      sum((r) => r.lost.length),
      sum((r) => r.duplicated.length),
      sum((r) => r.reportsMissing.length),
      sum((r) => r.reportsRepeated.length),
      sum((r) => r.recovered),
      sum((r) => r.unacceptedInSandbox.length),
      rs.some((r) => r.journalLeft !== undefined) ? sum((r) => r.journalLeft ?? 0) : '-',
    ];
  };
  const rows = [header, ...CRASH_POINTS.map((p) => row(p, results.filter((r) => r.plan.point === p))), row('total', results)];
  const widths = header.map((_, i) => Math.max(...rows.map((r) => (r[i] as string).length)));
  const line = (cells: string[]): string => `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number))).join(' | ')} |`;
  return [line(header), `|${widths.map((w, i) => (i === 0 ? `:${'-'.repeat(w + 1)}` : `${'-'.repeat(w + 1)}:`)).join('|')}|`, ...rows.slice(1).map(line)].join('\n');
}
