// The life of one FullStory batch import job: create → poll until it ends → page through imports
// (and errors when it FAILED) → one outcome per record.

import { randomUUID } from 'node:crypto';
import type { BatchResource, FailedEventImport, FailedUserImport, JobStatus, JobStatusResponse } from '../api/types';
import { FullStoryError } from '../api/errors';
import { catalogText } from '../api/texts';
import { sleep, type FullStoryClient } from '../api/client';
import { callApi, createJob, getJobErrors, getJobImports, getJobStatus, type CallOptions, type JobPageAnswer, type PagedCall } from '../api/endpoints';
import { followPages, maxPagesFor } from '../api/paging';
import { matchJobResults, type ErrorResult, type JobRecord } from './outcomes';
import type { RecordOutcome } from '../delivery/held-message';
import { crashPoint } from './crash-points';

export const MAX_RECORDS_PER_JOB = 50_000;
/** Pages of /imports (or /errors) one job may take: what 50,000 results justify (see paging.ts). */
export const MAX_RESULT_PAGES_PER_JOB = maxPagesFor(MAX_RECORDS_PER_JOB);

export interface ImportJobOptions {
  client: FullStoryClient;
  resource: BatchResource;
  /** First wait between status polls; grows ×1.5 up to maxPollIntervalMs. */
  pollIntervalMs: number;
  maxPollIntervalMs: number;
  /** A job (creation to last page) that takes longer fails its records with job_timeout. */
  timeoutMs: number;
  /** Aborted when the node closes: polling stops (creation is never cut off), the job is reported as abandoned. */
  signal?: AbortSignal;
  /** Retry budget for the creation request (shorter while closing). */
  createBudgetMs?: number;
  /** A closing node's final job: sent even during a 429 pause (see ApiRequest.lastChance). */
  lastChance?: boolean;
  onCreated?: (jobId: string) => void;
  /** The key journaled with the job before its POST (a new one when absent). */
  idempotencyKey?: string;
  /** A job created in an earlier life of the node (its id was journaled): polled, not created again. */
  jobId?: string;
  /**
   * When an earlier life planned this job, which it saw created (epoch ms; a job resumed from the
   * journal with its id): its timeout counts from then, not from the restart, but it is always
   * read once more (see RESUMED_JOB_GRACE_MS).
   */
  plannedAt?: number;
  /**
   * Cuts the creation off (a journaled job only, when its node closes for a restart: the next life
   * sends it again with the same key, so nothing is left in limbo).
   */
  createSignal?: AbortSignal;
  /** After each HTTP attempt (see ApiRequest.onAttempt): lets the node show an outage at once. */
  onAttempt?: (failure: FullStoryError | undefined) => void;
}

export interface JobReport {
  jobId?: string;
  status?: JobStatus;
  idempotencyKey: string;
  /** Polling stopped because the node closed: the job is still running at FullStory. */
  abandoned: boolean;
  /** The creation failed but FullStory may have created the job all the same. */
  creationMaybeApplied?: boolean;
  outcomes: RecordOutcome[];
}

function everyRecord(count: number, error: FullStoryError): RecordOutcome[] {
  return new Array<RecordOutcome>(count).fill({ ok: false, error });
}

export function jobBody(records: readonly JobRecord[]): string {
  // Records were serialised once when they entered the buffer; a job body is a concatenation
  // (V8 builds it as a rope, flattened once when written), not a walk over objects.
  let body = '{"requests":[';
  for (let i = 0; i < records.length; i++) body += i === 0 ? records[i].json : `,${records[i].json}`;
  return `${body}]}`;
}

class JobTimeout extends Error {}

/**
 * A job resumed after a restart whose timeout ran out while the node was down still gets this
 * long (or its whole timeout, if shorter) to be polled and read once: it has most likely finished
 * at FullStory, and its outcome beats a job_timeout that says nothing.
 */
export const RESUMED_JOB_GRACE_MS = 60_000;

/** When a job's records fail with job_timeout: its timeout after it was planned (this life or an earlier one). */
export function jobDeadline(now: number, timeoutMs: number, plannedAt?: number): number {
  if (plannedAt === undefined || plannedAt > now) return now + timeoutMs;
  return Math.max(plannedAt + timeoutMs, now + Math.min(timeoutMs, RESUMED_JOB_GRACE_MS));
}

/**
 * What a failed job creation means for its records. If FullStory may have created the job (a
 * timeout, a dropped connection, a 5xx), a resend would form a new job with a new key: harmless
 * for users (an upsert applied twice is the same user) but events would be counted twice. So
 * events then fail as `outcome_unknown`, not retryable; a creation that certainly did not happen
 * (429, refused connection) stays retryable.
 */
function creationFailure(resource: BatchResource, error: FullStoryError): FullStoryError {
  if (resource !== 'events' || !error.maybeApplied) return error;
  const unknown = new FullStoryError(
    catalogText('config:errors.batch.creationUnknown', { cause: error.i18n ?? error.message }),
    { code: 'outcome_unknown', status: error.status, retryable: false, attempts: error.attempts },
  );
  unknown.maybeApplied = true;
  return unknown;
}

export async function runImportJob(records: readonly JobRecord[], options: ImportJobOptions): Promise<JobReport> {
  const { client, resource, signal } = options;
  const idempotencyKey = options.idempotencyKey ?? randomUUID();
  const deadline = jobDeadline(Date.now(), options.timeoutMs, options.plannedAt);
  let jobId: string;
  if (options.jobId !== undefined) {
    jobId = options.jobId;
  } else {
    try {
      const created = await callApi(client, createJob(resource, jobBody(records)), {
        idempotencyKey,
        // No close signal here: a creation cut off mid-flight would leave its records in limbo,
        // unless the journal holds the job with its key (createSignal).
        signal: options.createSignal,
        budgetMs: options.createBudgetMs,
        lastChance: options.lastChance,
        onAttempt: options.onAttempt,
      });
      jobId = created.data.job.id;
      crashPoint('after-job-post');
    } catch (err) {
      const error = err instanceof FullStoryError ? err : new FullStoryError(String(err), { code: 'internal_error' });
      return { idempotencyKey, abandoned: false, creationMaybeApplied: error.maybeApplied, outcomes: everyRecord(records.length, creationFailure(resource, error)) };
    }
  }
  options.onCreated?.(jobId);

  const report = (status: JobStatus | undefined, outcomes: RecordOutcome[], abandoned = false): JobReport => ({
    jobId,
    status,
    idempotencyKey,
    abandoned,
    outcomes,
  });
  let interval = options.pollIntervalMs;
  /** Waits before the next poll; the interval backs off so long jobs cost few requests. */
  const wait = async (): Promise<void> => {
    const remaining = deadline - Date.now();
    if (remaining <= 0) throw new JobTimeout();
    await sleep(Math.min(interval, remaining), signal);
    interval = Math.min(Math.round(interval * 1.5), options.maxPollIntervalMs);
    if (Date.now() >= deadline) throw new JobTimeout();
  };

  // Reading the job never runs past its deadline (a request's own retries included), so when
  // FullStory cannot be reached its records leave at the job timeout, not a retry budget later.
  const reading: CallOptions = { signal, deadline, jobId, onAttempt: options.onAttempt };

  // Created while the node was closing (final job): FullStory has the records, stop here.
  if (signal?.aborted) return report('PROCESSING', [], true);
  try {
    let status: JobStatusResponse;
    for (;;) {
      await wait();
      if (signal?.aborted) return report('PROCESSING', [], true);
      status = (await patiently(() => callApi(client, getJobStatus(resource, jobId), reading), wait)).data;
      crashPoint('while-polling');
      if (status.job.status !== 'PROCESSING') break;
    }
    const jobStatus = status.job.status;
    const job: JobPages = { client, jobId, records: records.length, deadline, wait, reading };
    // Users: the imports pages carry each user's FullStory id, so they are always read. Events: an
    // import carries nothing we report, so a COMPLETED events job (every record imported) skips
    // them; a FAILED one reads them to confirm records when an error cannot be matched.
    const imports = resource === 'users' || jobStatus === 'FAILED' ? await collectPages(getJobImports(resource, jobId), job) : [];
    const errors: ErrorResult[] =
      jobStatus === 'FAILED'
        ? (await collectPages(getJobErrors(resource, jobId), job)).map((e) => ({
            code: e.code,
            message: e.message,
            item: echoedRecord(e),
          }))
        : [];
    if (signal?.aborted) return report(jobStatus, [], true);
    if (jobStatus === 'FAILED' && errors.length === 0 && imports.length === 0) {
      // FAILED with nothing imported and no record blamed: the job failed as a whole, so nothing
      // of it was applied and sending the records again is safe.
      const error = new FullStoryError(catalogText('config:errors.batch.jobFailed', { jobId }), {
        code: 'job_failed',
        retryable: true,
        attempts: 1,
        jobId,
      });
      return report(jobStatus, everyRecord(records.length, error));
    }
    const expectedErrors = jobStatus === 'FAILED' ? Math.max(status.errors ?? 0, errors.length, 1) : 0;
    return report(jobStatus, matchJobResults(resource, records, errors, imports, expectedErrors, jobId));
  } catch (err) {
    if (signal?.aborted) return report('PROCESSING', [], true);
    if (err instanceof JobTimeout) {
      const error = new FullStoryError(
        catalogText('config:errors.batch.jobTimeout', { jobId, seconds: Math.round(options.timeoutMs / 1000) }),
        { code: 'job_timeout', retryable: false, attempts: 1, jobId },
      );
      return report('PROCESSING', everyRecord(records.length, error));
    }
    const cause = err instanceof FullStoryError ? err : undefined;
    const error = new FullStoryError(
      catalogText('config:errors.batch.resultUnreadable', { jobId, cause: cause?.i18n ?? cause?.message ?? String(err) }),
      { code: 'outcome_unknown', status: cause?.status, retryable: false, attempts: cause?.attempts ?? 1, jobId },
    );
    return report(undefined, everyRecord(records.length, error));
  }
}

/** The record an /errors item echoes: `user` for users jobs, `event` for events jobs. */
function echoedRecord(error: FailedUserImport | FailedEventImport): unknown {
  return 'user' in error ? error.user : (error as FailedEventImport).event;
}

/**
 * Reading a job's state is safe to repeat, so a retryable failure that outlived the client's own
 * retry budget (a long 429 cool-down, a short outage) waits and tries again until the job deadline.
 */
async function patiently<T>(call: () => Promise<T>, wait: () => Promise<void>): Promise<T> {
  for (;;) {
    try {
      return await call();
    } catch (err) {
      if (!(err instanceof FullStoryError) || !err.retryable || err.code === 'closed') throw err;
      await wait();
    }
  }
}

/** What reading a finished job's pages needs. */
interface JobPages {
  client: FullStoryClient;
  jobId: string;
  /** Records in the job: no page can list more results than that. */
  records: number;
  deadline: number;
  wait: () => Promise<void>;
  /** What every request that reads the job carries. */
  reading: CallOptions;
}

/**
 * Follows next_page_token to the end; a 202 means "not ready yet": wait and ask again (until the
 * job deadline, see wait()). Bounded like every page loop: the job deadline, MAX_RESULT_PAGES_PER_JOB
 * pages, no more results than records, and progress (paging.ts).
 */
async function collectPages<T>(first: PagedCall<JobPageAnswer<T>>, job: JobPages): Promise<T[]> {
  const { client, jobId, deadline, wait, reading } = job;
  const signal = reading.signal;
  const fetchPage = async (pageToken: string | undefined) => {
    const call = pageToken === undefined ? first : first.page(pageToken);
    for (;;) {
      if (signal?.aborted) return { results: [] };
      const answer = (await patiently(() => callApi(client, call, reading), wait)).data;
      if (answer.ready) return answer.page;
      await wait();
    }
  };
  const bounds = { call: first.name, jobId, deadline, maxPages: MAX_RESULT_PAGES_PER_JOB, maxResults: job.records, retryable: false };
  return (await followPages<T>(fetchPage, bounds)).results;
}
