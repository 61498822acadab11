// Batch import jobs. Processing is lazy: a job is worked off the first time anything looks at the
// sandbox after its due time, so there are no timers to leak and results are deterministic.

import { randomBytes } from 'node:crypto';
import { createEvent, upsertUser, type ApplyEnv } from './apply';
import { isObject } from './properties';
import type { JobResource, SandboxJob, StoredEvent, StoredUser } from './types';

/** Reference §5: past 200 in-progress batches or 500,000 in-progress operations → 429. */
export const MAX_IN_PROGRESS_JOBS = 200;
export const MAX_IN_PROGRESS_OPS = 500_000;

export interface ImportEntry {
  result: Record<string, unknown>;
  /** The record's own schema declaration, for include_schema. */
  declared?: unknown;
}

export interface JobState {
  job: SandboxJob;
  records: unknown[] | undefined; // dropped once processed
  shared?: Record<string, unknown>;
  sharedContext?: Record<string, unknown>;
  due: number;
  imports: ImportEntry[];
  errors: Record<string, unknown>[];
  /** GETs of /imports or /errors that still answer 202 after the job ended. */
  remaining202: number;
}

export interface NewJob {
  resource: JobResource;
  requests: unknown[];
  shared?: Record<string, unknown>;
  sharedContext?: Record<string, unknown>;
  idempotencyKey?: string;
  stuck: boolean;
}

export class Jobs {
  readonly jobs = new Map<string, SandboxJob>();
  private readonly states = new Map<string, JobState>();
  // A fixed processing delay keeps this FIFO ordered by due time; settling looks at its head only.
  private queue: JobState[] = [];
  private head = 0;
  private inProgress = 0;
  private inProgressOps = 0;

  constructor(private readonly processingMs: number) {}

  /** Seconds a client should wait before a job of `count` records fits, or undefined if it fits now. */
  capacityWait(count: number, now: number): number | undefined {
    if (this.inProgress < MAX_IN_PROGRESS_JOBS && this.inProgressOps + count <= MAX_IN_PROGRESS_OPS) return undefined;
    const next = this.queue[this.head];
    return next ? Math.max(1, Math.ceil((next.due - now) / 1000)) : 1;
  }

  create(spec: NewJob, now: number): SandboxJob {
    let id: string;
    do id = randomBytes(11).toString('base64'); // 16 chars ending in '=', may hold '+' and '/'
    while (this.jobs.has(id));
    const job: SandboxJob = {
      id,
      resource: spec.resource,
      status: 'PROCESSING',
      created: new Date(now).toISOString(),
      requestCount: spec.requests.length,
      importsCount: 0,
      errorsCount: 0,
    };
    if (spec.idempotencyKey !== undefined) job.idempotencyKey = spec.idempotencyKey;
    const state: JobState = {
      job,
      records: spec.requests,
      due: spec.stuck ? Infinity : now + this.processingMs,
      imports: [],
      errors: [],
      remaining202: 0,
    };
    if (spec.shared) state.shared = spec.shared;
    if (spec.sharedContext) state.sharedContext = spec.sharedContext;
    this.jobs.set(id, job);
    this.states.set(id, state);
    this.inProgress++;
    this.inProgressOps += job.requestCount;
    if (!spec.stuck) this.queue.push(state);
    return job;
  }

  state(resource: JobResource, id: string): JobState | undefined {
    const s = this.states.get(id);
    return s && s.job.resource === resource ? s : undefined;
  }

  /** Processes every job that is due; returns how many records were imported. O(1) when none is due. */
  settle(env: ApplyEnv, processingResponsesFor202: number): number {
    let imported = 0;
    while (this.head < this.queue.length) {
      const s = this.queue[this.head];
      if (s === undefined || s.due > env.now) break;
      this.head++;
      imported += this.process(s, { ...env, now: s.due });
      s.remaining202 = processingResponsesFor202;
    }
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    return imported;
  }

  private process(s: JobState, env: ApplyEnv): number {
    const { job } = s;
    const records = s.records ?? [];
    for (let i = 0; i < records.length; i++) {
      const rec = records[i];
      if (job.resource === 'users') {
        const r = upsertUser(env, rec, i, true);
        if (r.ok) s.imports.push(userImport(rec, r.value));
        else s.errors.push({ message: r.failure.message, code: r.failure.code, user: rec });
      } else {
        const opts = { via: 'batch' as const, jobId: job.id, ...(job.idempotencyKey !== undefined ? { idempotencyKey: job.idempotencyKey } : {}), ...(s.sharedContext ? { sharedContext: s.sharedContext } : {}) };
        const r = createEvent(env, rec, i, opts);
        if (r.ok) s.imports.push(eventImport(rec, r.value, r.value.userId === undefined ? undefined : env.store.users.get(r.value.userId)));
        else {
          const err: Record<string, unknown> = { message: r.failure.message, code: r.failure.code, event: rec };
          if (s.shared && s.sharedContext && isObject(rec) && rec['context'] !== undefined) err['shared'] = s.shared;
          s.errors.push(err);
        }
      }
    }
    s.records = undefined;
    job.importsCount = s.imports.length;
    job.errorsCount = s.errors.length;
    job.status = job.errorsCount === 0 ? 'COMPLETED' : 'FAILED';
    job.finished = new Date(s.due).toISOString();
    this.inProgress--;
    this.inProgressOps -= job.requestCount;
    return job.importsCount;
  }

  clear(): void {
    this.jobs.clear();
    this.states.clear();
    this.queue = [];
    this.head = 0;
    this.inProgress = 0;
    this.inProgressOps = 0;
  }
}

/** BatchUserImportResponse: the record as imported, with the FullStory id it landed on. */
function userImport(rec: unknown, user: StoredUser): ImportEntry {
  const r = rec as Record<string, unknown>;
  const result: Record<string, unknown> = { id: user.id };
  for (const k of ['uid', 'display_name', 'email', 'properties'] as const) if (r[k] !== undefined) result[k] = r[k];
  if (result['uid'] === undefined && user.uid !== undefined) result['uid'] = user.uid;
  return r['schema'] === undefined ? { result } : { result, declared: r['schema'] };
}

/** BatchCreateEventsResponse: {name, timestamp, properties, user:{id,uid}, session:{id}, context}. */
function eventImport(rec: unknown, ev: StoredEvent, user: StoredUser | undefined): ImportEntry {
  const result: Record<string, unknown> = { name: ev.name, timestamp: ev.timestamp };
  if (ev.properties !== undefined) result['properties'] = ev.properties;
  if (user) result['user'] = user.uid !== undefined ? { id: user.id, uid: user.uid } : { id: user.id };
  if (ev.session?.id !== undefined) result['session'] = { id: ev.session.id };
  if (ev.context !== undefined) result['context'] = ev.context;
  const declared = (rec as Record<string, unknown>)['schema'];
  return declared === undefined ? { result } : { result, declared };
}
