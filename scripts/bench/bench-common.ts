// Shared by the benchmark's processes (scripts/bench/bench.ts, bench-runner.ts, bench-sandbox.ts):
// sizes, scenario specs, results, the records every scenario sends, and small helpers.

import path from 'node:path';

export const BENCH_KEY = 'na1.admin-key';

export interface BenchSizes {
  name: 'full' | 'tiny';
  /** Scenario 1: one record per msg. A multiple of batchSize, so every job is full and no timer is involved. */
  batchRecords: number;
  batchSize: number;
  batchWarmup: number;
  /** Scenario 2: array payloads. */
  arrayMsgs: number;
  arrayLen: number;
  /** Scenario 3: the no-op chain and the empty chain (generator → sink). */
  noopMsgs: number;
  noopWarmup: number;
  /** Scenarios 4 and 5: one HTTP request per msg. */
  httpMsgs: number;
  httpWarmup: number;
  /** Scenario 6. */
  memoryRecords: number;
  memoryBatchSize: number;
  /** Scenario 7: records in the job, and measured repetitions (one more runs first as warm-up). */
  flushRecords: number;
  flushRepeats: number;
  /** Scenario 8: jobs per resource, records per job. */
  ingestJobs: number;
  ingestJobRecords: number;
  /** pollIntervalMs of the "default" and "short" runs (full size: 2000 = the shipped default). */
  pollDefaultMs: number;
  pollShortMs: number;
  /**
   * Scenario 1's ratio to the no-op chain is judged on paired rounds: the no-op chain and the batch
   * chains (poll short, journal on and off) run this many times, interleaved, and the verdict is the
   * median of each round's ratio (a shared machine's load drifts; a pair measured back to back
   * shares it).
   */
  pairedRounds: number;
  /** Msgs the generator hands over per event-loop turn. */
  chunk: number;
  scenarioTimeoutMs: number;
}

export const SIZES: Record<'full' | 'tiny', BenchSizes> = {
  full: {
    name: 'full',
    batchRecords: 200_000,
    batchSize: 50_000,
    batchWarmup: 20_000,
    arrayMsgs: 20,
    arrayLen: 10_000,
    noopMsgs: 200_000,
    noopWarmup: 20_000,
    httpMsgs: 5_000,
    httpWarmup: 500,
    memoryRecords: 100_000,
    memoryBatchSize: 40_000,
    flushRecords: 50_000,
    flushRepeats: 3,
    ingestJobs: 6,
    ingestJobRecords: 50_000,
    pollDefaultMs: 2000,
    pollShortMs: 100,
    pairedRounds: 3,
    chunk: 500,
    scenarioTimeoutMs: 120_000,
  },
  tiny: {
    name: 'tiny',
    batchRecords: 2_000,
    batchSize: 1_000,
    batchWarmup: 100,
    arrayMsgs: 4,
    arrayLen: 500,
    noopMsgs: 2_000,
    noopWarmup: 200,
    httpMsgs: 200,
    httpWarmup: 20,
    memoryRecords: 5_000,
    memoryBatchSize: 2_000,
    flushRecords: 2_000,
    flushRepeats: 1,
    ingestJobs: 2,
    ingestJobRecords: 2_000,
    pollDefaultMs: 100,
    pollShortMs: 20,
    pairedRounds: 2,
    chunk: 500,
    scenarioTimeoutMs: 30_000,
  },
};

export type Resource = 'users' | 'events';

export type ScenarioSpec =
  | { id: string; kind: 'empty' | 'noop'; msgs: number; warmup: number }
  /** journal: the config node's batch journal (default on, as shipped); off for the comparison rows. */
  | { id: string; kind: 'batch'; resource: Resource; records: number; batchSize: number; pollMs: number; warmup: number; journal?: boolean }
  | { id: string; kind: 'array'; resource: Resource; msgs: number; perMsg: number; batchSize: number; pollMs: number; warmup: number }
  | { id: string; kind: 'handbuilt' | 'single'; msgs: number; warmup: number }
  | { id: string; kind: 'memory'; records: number; batchSize: number; journal?: boolean }
  | { id: string; kind: 'flush'; records: number; repeats: number; pollMs: number };

export interface RunnerJob {
  sandboxUrl: string;
  controlUrl: string;
  chunk: number;
  scenarioTimeoutMs: number;
  scenarios: ScenarioSpec[];
}

export interface ScenarioResult {
  id: string;
  kind: ScenarioSpec['kind'];
  ok: boolean;
  error?: string;
  /** Figures, named with their unit (…PerSec, …Us, …Ms, …Bytes). */
  metrics: Record<string, number>;
  /** How the figure was obtained, and anything odd seen while measuring. */
  notes: string[];
  details?: Record<string, unknown>;
  /** Time the scenario took, set-up and warm-up included. */
  elapsedMs?: number;
}

export type RunnerMessage = { type: 'result'; result: ScenarioResult } | { type: 'log'; text: string } | { type: 'done' };

/** The user record every user scenario sends (one per msg, or as array items). */
export function userRecord(i: number): Record<string, unknown> {
  return {
    uid: `bench-user-${i}`,
    email: `user${i}@example.com`,
    display_name: `Bench User ${i}`,
    properties: { plan: i % 3 === 0 ? 'pro' : 'free', seats: i % 50, trial: i % 2 === 0 },
  };
}

/** The event every event scenario sends (batch, single and the hand-built flow). */
export function eventRecord(i: number): Record<string, unknown> {
  return {
    name: 'Bench Event',
    user: { uid: `bench-user-${i % 1000}` },
    properties: { step: i, plan: i % 3 === 0 ? 'pro' : 'free' },
  };
}

export function recordOf(resource: Resource, i: number): Record<string, unknown> {
  return resource === 'users' ? userRecord(i) : eventRecord(i);
}

/** A sibling script, .ts under tsx and .js when built: children run the way the parent runs. */
export function siblingScript(dir: string, self: string, name: string): string {
  return path.join(dir, name + path.extname(self));
}

export async function control(controlUrl: string, method: 'GET' | 'POST', route: string): Promise<Record<string, unknown>> {
  const res = await fetch(controlUrl + route, { method });
  if (!res.ok) throw new Error(`sandbox control ${method} ${route} answered ${res.status}`);
  return (await res.json()) as Record<string, unknown>;
}

export interface SandboxStats {
  counters: { requests: number; byRoute: Record<string, number>; recordsImported: number; idempotentReplays: number };
  cpu: { user: number; system: number };
  memory: NodeJS.MemoryUsage;
  batchCreates: Array<{ path: string; bytes: number; status: number; serverMs: number }>;
}

export async function sandboxStats(controlUrl: string): Promise<SandboxStats> {
  return (await control(controlUrl, 'GET', '/stats')) as unknown as SandboxStats;
}

export const cpuMicros = (u: NodeJS.CpuUsage): number => u.user + u.system;

export const median = (values: number[]): number => {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
