// Batch mode of a data node: records wait in a bounded buffer until a size, an interval or
// msg.flush turns them into import jobs; job outcomes are handed back to the msgs they came from.

import { setMaxListeners } from 'node:events';
import type { BatchResource } from '../api/types';
import { asFullStoryError, FullStoryError } from '../api/errors';
import { catalogText, englishText, type CatalogText } from '../api/texts';
import type { FullStoryClient } from '../api/client';
import { runImportJob, MAX_RECORDS_PER_JOB, type JobReport } from './job';
import type { JobRecord } from './outcomes';
import type { HeldMessage, MessageExit, RecordOutcome } from '../delivery/held-message';

export interface BatchSettings {
  batchSize: number;
  flushIntervalMs: number;
  jobTimeoutMs: number;
  maxBuffered: number;
  pollIntervalMs: number;
  maxPollIntervalMs: number;
  /** Time a closing node gives its final job(s) to be accepted by FullStory. */
  closeBudgetMs: number;
}

/** One record in the buffer: its serialised form plus where its outcome must go. */
export interface BufferedRecord extends JobRecord {
  held: HeldMessage;
  index: number;
}

export interface BatchObserver {
  queued(count: number): void;
  jobs(count: number): void;
  jobFinished(ok: boolean, code?: string): void;
  /** After each HTTP attempt of a job (create, poll, pages): undefined when FullStory answered. */
  attempt?(failure: FullStoryError | undefined): void;
  warn(text: CatalogText): void;
  /** Records that could not be handed to FullStory at all (close during an outage). */
  error(text: CatalogText): void;
}

/** One abort signal per node, listened to by every request and backoff in flight: many listeners
 * are normal here, not a leak (Node's default warns past 10). */
export function newCloseController(): AbortController {
  const controller = new AbortController();
  setMaxListeners(0, controller.signal);
  return controller;
}

export class BatchBuffer {
  private buffer: BufferedRecord[] = [];
  /** Records taken out of the buffer but still waiting for a free job slot. */
  private waitingForSlot = 0;
  private runningJobs = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly jobs = new Set<Promise<void>>();
  private readonly liveJobIds = new Set<string>();
  private readonly closing = newCloseController();
  private closeStarted: (() => void) | undefined;
  private readonly closeSignal = new Promise<void>((resolve) => (this.closeStarted = resolve));

  constructor(
    private readonly resource: BatchResource,
    private readonly settings: BatchSettings,
    private readonly client: () => FullStoryClient,
    private readonly exit: MessageExit,
    private readonly observer: BatchObserver,
  ) {}

  /** Records held and not yet sent to FullStory (buffered or waiting for a job slot). */
  get queuedCount(): number {
    return this.buffer.length + this.waitingForSlot;
  }

  /** Room for `count` more records? Checked before a msg is accepted, so a msg is all in or all out. */
  hasRoomFor(count: number): boolean {
    return this.queuedCount + count <= this.settings.maxBuffered;
  }

  /** The one-record-per-msg hot path: no array, no copy. */
  addOne(record: BufferedRecord): void {
    if (this.closing.signal.aborted) {
      this.submitFinal([record]);
      return;
    }
    if (this.buffer.length === 0) this.startTimer();
    this.buffer.push(record);
    if (this.buffer.length >= this.settings.batchSize) this.dispatch(false);
    this.observer.queued(this.queuedCount);
  }

  add(records: BufferedRecord[]): void {
    if (records.length === 0) return;
    if (this.closing.signal.aborted) {
      // Node-RED delivers msgs until a node's close has finished: straight to FullStory as a final
      // job (never dropped, done() called), not into a buffer that nobody will empty.
      this.submitFinal(records);
      return;
    }
    if (this.buffer.length === 0 && records.length > 0) this.startTimer();
    for (const record of records) this.buffer.push(record);
    if (this.buffer.length >= this.settings.batchSize) this.dispatch(false);
    this.observer.queued(this.queuedCount);
  }

  flush(): number {
    const count = this.buffer.length;
    this.dispatch(true);
    return count;
  }

  /** Empties the buffer; every msg with a record in it fails with code `reset`. */
  reset(): number {
    const dropped = this.buffer;
    this.buffer = [];
    this.stopTimer();
    const error = new FullStoryError(catalogText('config:errors.batch.reset'), {
      code: 'reset',
      retryable: true,
      attempts: 0,
    });
    this.settle(dropped, () => ({ ok: false, error }));
    this.observer.queued(this.queuedCount);
    return dropped.length;
  }

  /**
   * Node closing: buffered records go to FullStory as final jobs (never dropped); polling stops and
   * the ids of jobs still in progress are logged; every held msg is released (done() is called).
   */
  async close(): Promise<void> {
    this.stopTimer();
    this.closeStarted?.();
    const finalRecords = this.buffer;
    this.buffer = [];
    this.closing.abort();
    this.submitFinal(finalRecords);
    // Loop: msgs that arrive while closing add final jobs of their own (see add).
    while (this.jobs.size > 0) await Promise.all([...this.jobs]);
    if (this.liveJobIds.size > 0) {
      this.observer.warn(
        catalogText('config:log.batch.jobsInProgress', { ids: [...this.liveJobIds].join(', ') }),
      );
    }
  }

  private jobSize(): number {
    return Math.min(this.settings.batchSize, MAX_RECORDS_PER_JOB);
  }

  private dispatch(all: boolean): void {
    const size = this.jobSize();
    while (this.buffer.length >= size || (all && this.buffer.length > 0)) {
      // Taking the whole array when it fits avoids copying it (the common case: size reached).
      const batch = this.buffer.length <= size ? this.buffer : this.buffer.slice(0, size);
      this.buffer = batch === this.buffer ? [] : this.buffer.slice(size);
      this.track(this.runJob(batch));
    }
    if (this.buffer.length === 0) this.stopTimer();
    this.observer.queued(this.queuedCount);
  }

  /** Keeps a job in sight for close(); the tracked promise cannot reject (a rejection is our bug: logged). */
  private track(job: Promise<void>): void {
    const tracked: Promise<void> = job.then(
      () => void this.jobs.delete(tracked),
      (err: unknown) => {
        this.jobs.delete(tracked);
        this.observer.error(catalogText('config:log.batch.internalFault', { detail: asFullStoryError(err).message }));
      },
    );
    this.jobs.add(tracked);
  }

  /** Whatever goes wrong around a job (no usable client, say), its records still get an outcome. */
  private async runJob(records: BufferedRecord[]): Promise<void> {
    try {
      await this.runJobOnce(records);
    } catch (err) {
      const error = asFullStoryError(err);
      this.settle(records, () => ({ ok: false, error }));
      this.observer.jobFinished(false, error.code);
    }
  }

  private async runJobOnce(records: BufferedRecord[]): Promise<void> {
    this.waitingForSlot += records.length;
    let release: () => void;
    try {
      release = await this.acquireJobSlot();
    } finally {
      this.waitingForSlot -= records.length;
    }
    this.runningJobs++;
    this.observer.jobs(this.runningJobs);
    this.observer.queued(this.queuedCount);
    try {
      const report = await this.importJob(records);
      if (report.jobId && !report.abandoned) this.liveJobIds.delete(report.jobId);
      if (report.abandoned) {
        this.releaseAll(records);
        return;
      }
      if (this.closing.signal.aborted && report.jobId === undefined) {
        // Created while closing and refused: output 2 leads nowhere any more (Node-RED has stopped
        // the nodes downstream), so this is said in the log, like a final job.
        this.finalJobNotCreated(records, report);
        this.releaseAll(records);
        return;
      }
      this.settle(records, (i) => report.outcomes[i], report.jobId);
      // After the msgs (each of which updates the status): the job's own verdict, so a failed record
      // stays visible as the last error whatever the order of the records in the job.
      const failed = this.firstFailure(records.length, report.outcomes);
      this.observer.jobFinished(failed === undefined, failed);
    } finally {
      release();
      this.runningJobs--;
      this.observer.jobs(this.runningJobs);
    }
  }

  /** A job slot from the config node (shared limit), except while closing: final jobs go at once. */
  private async acquireJobSlot(): Promise<() => void> {
    if (this.closing.signal.aborted) return () => undefined;
    const acquired = this.client().jobSlots.acquire();
    const winner = await Promise.race([acquired, this.closeSignal.then(() => undefined)]);
    if (winner) return winner;
    // Closing won the race: hand the slot back as soon as the semaphore grants it.
    void acquired.then((release) => release());
    return () => undefined;
  }

  private submitFinal(records: BufferedRecord[]): void {
    const size = this.jobSize();
    for (let start = 0; start < records.length; start += size) this.track(this.submitFinalJob(records.slice(start, start + size)));
  }

  /** Runs one import job; once the node is closing, with the close budget and as a last chance. */
  private importJob(records: BufferedRecord[]): Promise<JobReport> {
    const closing = this.closing.signal.aborted;
    return runImportJob(records, {
      client: this.client(),
      resource: this.resource,
      pollIntervalMs: this.settings.pollIntervalMs,
      maxPollIntervalMs: this.settings.maxPollIntervalMs,
      timeoutMs: this.settings.jobTimeoutMs,
      signal: this.closing.signal,
      createBudgetMs: closing ? this.settings.closeBudgetMs : undefined,
      lastChance: closing,
      onCreated: (id) => this.liveJobIds.add(id),
      onAttempt: (failure) => this.observer.attempt?.(failure),
    });
  }

  /** Creates the job for records still buffered at close; its outcome is logged, not routed. */
  private async submitFinalJob(records: BufferedRecord[]): Promise<void> {
    try {
      const report = await this.importJob(records);
      if (report.jobId === undefined) this.finalJobNotCreated(records, report);
    } catch (err) {
      this.observer.error(catalogText('config:log.batch.notSent', { records: records.length, detail: asFullStoryError(err).message }));
    } finally {
      this.releaseAll(records);
    }
  }

  private finalJobNotCreated(records: BufferedRecord[], report: JobReport): void {
    const outcome = report.outcomes[0];
    const reason = outcome && !outcome.ok ? outcome.error.message : englishText(catalogText('config:errors.unknownError'));
    if (report.creationMaybeApplied) {
      this.observer.warn(catalogText('config:log.batch.finalJobUnknown', { records: records.length, reason }));
    } else {
      this.observer.error(
        catalogText('config:log.batch.finalJobRefused', { records: records.length, reason }),
      );
    }
  }

  /** Code of the first record of a job that did not succeed (a missing outcome is outcome_unknown). */
  private firstFailure(count: number, outcomes: readonly (RecordOutcome | undefined)[]): string | undefined {
    for (let i = 0; i < count; i++) {
      const outcome = outcomes[i];
      if (!outcome) return 'outcome_unknown';
      if (!outcome.ok) return outcome.error.code;
    }
    return undefined;
  }

  private releaseAll(records: BufferedRecord[]): void {
    for (const record of records) {
      const held = record.held;
      // release() marks it exited, so a msg with records in several jobs is released once.
      if (!held.exited) this.exit.release(held);
    }
  }

  private settle(records: BufferedRecord[], outcomeOf: (i: number) => RecordOutcome | undefined, jobId?: string): void {
    records.forEach((record, i) => {
      const outcome = outcomeOf(i) ?? {
        ok: false as const,
        error: new FullStoryError(catalogText('config:errors.batch.noOutcome'), { code: 'outcome_unknown', jobId }),
      };
      if (record.held.settle(record.index, outcome, jobId)) record.held.deliver(this.exit);
    });
  }

  private startTimer(): void {
    if (this.timer || this.settings.flushIntervalMs <= 0) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.dispatch(true);
    }, this.settings.flushIntervalMs);
  }

  private stopTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
