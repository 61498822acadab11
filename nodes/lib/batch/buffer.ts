// Batch mode of a data node: records wait in a bounded buffer until a size, an interval or
// msg.flush turns them into import jobs; job outcomes are handed back to the msgs they came from.

import { setMaxListeners } from 'node:events';
import { randomUUID } from 'node:crypto';
import type { BatchResource } from '../api/types';
import { asFullStoryError, FullStoryError } from '../api/errors';
import { catalogText, englishText, type CatalogText } from '../api/texts';
import type { FullStoryClient } from '../api/client';
import { runImportJob, MAX_RECORDS_PER_JOB, type JobReport } from './job';
import { recordImportKey, type JobRecord } from './outcomes';
import type { HeldMessage, MessageExit, RecordOutcome } from '../delivery/held-message';
import { looseRecords, type Journal, type JournalRecord, type JournalState } from './journal';
import { crashPoint } from './crash-points';
import { sameJson } from './same-json';

export interface BatchSettings {
  batchSize: number;
  flushIntervalMs: number;
  jobTimeoutMs: number;
  maxBuffered: number;
  /** Bytes of record JSON the buffer may hold (with the journal on: the live data on disk is about this size). */
  maxBufferedBytes: number;
  pollIntervalMs: number;
  maxPollIntervalMs: number;
  /** Time a closing node gives its final job(s) to be accepted by FullStory. */
  closeBudgetMs: number;
}

/** One record in the buffer: its serialised form plus where its outcome must go. */
export interface BufferedRecord extends JobRecord {
  held: HeldMessage;
  index: number;
  /** Its number in the journal (journal on only). */
  seq?: number;
}

/** A job the journal holds from an earlier life: created again with the same key, or polled by id. */
interface PlannedJob {
  jobSeq: number;
  idempotencyKey: string;
  jobId?: string;
  /** When the earlier life planned it, if that life saw it created: the job timeout counts from then. */
  plannedAt?: number;
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
  /** The journal could not be written: batch msgs are refused from now on. */
  journalFailed?(error: NodeJS.ErrnoException): void;
  /** Closing for a restart / redeploy: what stays in the journal for the next instance. */
  journalKept?(records: number, file: string): void;
  /** A removed node could not settle everything: its store stays, with this many records owed. */
  journalOrphaned?(records: number, file: string): void;
}

/** The error of records a journal could not take (batch msgs refused while it cannot be written). */
export function journalUnavailableError(code: string): FullStoryError {
  return new FullStoryError(catalogText('config:errors.batch.journalUnavailable', { code }), { code: 'journal_unavailable', retryable: true, attempts: 0 });
}

/** FullStory keeps an Idempotency-Key for 24 hours; a planned job older than this is not sent again with it (events). */
export const KEY_TRUSTED_MS = 23 * 60 * 60 * 1000;

function keyExpiredError(): FullStoryError {
  return new FullStoryError(catalogText('config:errors.batch.keyExpired'), { code: 'outcome_unknown', retryable: false, attempts: 0 });
}

/** Stands for "the built record is not at hand" (bulk msgs): the payload is then serialised. */
const NOT_AT_HAND: unique symbol = Symbol('not at hand');

/**
 * JSON of what the msg gave for a record (for a recovered msg's payload); undefined when it could
 * not be serialised or is the same JSON as the record (`built`, the object the record's JSON was
 * made from): then it is not serialised at all.
 */
function payloadJson(record: BufferedRecord, built: unknown): string | undefined {
  const held = record.held;
  const given = held.bulkItems ? held.bulkItems[record.index] : held.msg.payload;
  if (built !== NOT_AT_HAND && sameJson(given, built)) return undefined;
  try {
    return JSON.stringify(given);
  } catch {
    return undefined; // circular, BigInt…: a recovered msg then carries the built record
  }
}

/** One abort signal per node, listened to by every request and backoff in flight: many listeners
 * are normal here, not a leak (Node's default warns past 10). */
export function newCloseController(): AbortController {
  const controller = new AbortController();
  setMaxListeners(0, controller.signal);
  return controller;
}

/** Records on their way to the journal, in seq order: taken from the front without copying the rest each time. */
class PendingRecords {
  private items: BufferedRecord[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(record: BufferedRecord): void {
    this.items.push(record);
  }

  /** Takes the records at the front while `take` holds for them. */
  takeWhile(take: (record: BufferedRecord) => boolean): BufferedRecord[] {
    let end = this.head;
    while (end < this.items.length && take(this.items[end]!)) end++;
    if (this.head === 0 && end === this.items.length) return this.takeAll();
    const out = this.items.slice(this.head, end);
    this.head = end;
    // Drop the taken front once it is most of the array (amortised: each record is copied about once).
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return out;
  }

  takeAll(): BufferedRecord[] {
    const out = this.head === 0 ? this.items : this.items.slice(this.head);
    this.items = [];
    this.head = 0;
    return out;
  }

  /** Removes (and returns) the records for which `drop` holds. */
  remove(drop: (record: BufferedRecord) => boolean): BufferedRecord[] {
    const all = this.takeAll();
    const removed: BufferedRecord[] = [];
    for (const record of all) (drop(record) ? removed : this.items).push(record);
    return removed;
  }
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
  /** Aborted by a close that keeps the journal: journaled job creations in flight stop too (the next life sends them again). */
  private readonly suspending = newCloseController();
  private closeStarted: (() => void) | undefined;
  private readonly closeSignal = new Promise<void>((resolve) => (this.closeStarted = resolve));
  /** Journal on: records written to it whose group is not on disk yet (not yet accepted). */
  private readonly pending = new PendingRecords();
  /** A flush asked for while records were pending: it goes once every record accepted before it (seq below this) is on disk. */
  private flushUpTo: number | undefined;
  private queuedBytes = 0;
  /** Seqs of every record of a bulk msg (a one-record msg's seq is on its record). */
  private readonly bulkSeqs = new WeakMap<HeldMessage, number[]>();
  /** Records of jobs in progress, for a close that keeps them in the journal. */
  private readonly inJobs = new Set<BufferedRecord[]>();
  /** Closed for a restart / redeploy: what is left stays in the journal, nothing more is reported. */
  private suspended = false;
  /** Removed node: records whose final job could not be created (the store then stays). */
  private unsettled = 0;
  /** The journal holds records of an earlier life that resume() has not taken yet. */
  private awaitingResume = false;

  constructor(
    private readonly resource: BatchResource,
    private readonly settings: BatchSettings,
    private readonly client: () => FullStoryClient,
    private readonly exit: MessageExit,
    private readonly observer: BatchObserver,
    private readonly journal?: Journal,
  ) {
    if (journal) {
      journal.canDropAll = () => this.buffer.length === 0 && this.pending.length === 0 && this.inJobs.size === 0 && this.waitingForSlot === 0;
      journal.onSynced = (upTo) => this.admit(upTo);
      journal.onFailed = (error, from, upTo) => this.journalFailed(error, from, upTo);
    }
  }

  /** Records held and not yet sent to FullStory (buffered or waiting for a job slot). */
  get queuedCount(): number {
    return this.buffer.length + this.waitingForSlot + this.pending.length;
  }

  /** Why batch msgs are refused (the journal could not be written), if they are. */
  get journalProblem(): string | undefined {
    const failure = this.journal?.failure;
    return failure ? failure.code ?? 'EIO' : undefined;
  }

  /** Room for `count` more records? Checked before a msg is accepted, so a msg is all in or all out. */
  hasRoomFor(count: number): boolean {
    return this.queuedCount + count <= this.settings.maxBuffered;
  }

  /** Room for `bytes` more bytes of record JSON? Checked once the records are built. */
  hasRoomForBytes(bytes: number): boolean {
    return this.queuedBytes + bytes <= this.settings.maxBufferedBytes;
  }

  /** The one-record-per-msg hot path: no array, no copy. `built`: the object record.json was made from. */
  addOne(record: BufferedRecord, built: unknown = NOT_AT_HAND): void {
    if (this.closing.signal.aborted) {
      this.lateRecords([record]);
      return;
    }
    this.queuedBytes += record.json.length;
    if (this.journal) {
      this.journalRecord(record, built);
      if (this.pending.length === 1 && this.buffer.length === 0) this.startTimer();
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
      this.lateRecords(records);
      return;
    }
    for (const record of records) this.queuedBytes += record.json.length;
    if (this.journal) {
      const startTimer = this.pending.length === 0 && this.buffer.length === 0;
      const seqs: number[] = [];
      for (const record of records) seqs.push(this.journalRecord(record, NOT_AT_HAND));
      this.bulkSeqs.set(records[0]!.held, seqs);
      if (startTimer) this.startTimer();
      return;
    }
    if (this.buffer.length === 0 && records.length > 0) this.startTimer();
    for (const record of records) this.buffer.push(record);
    if (this.buffer.length >= this.settings.batchSize) this.dispatch(false);
    this.observer.queued(this.queuedCount);
  }

  /**
   * Records that arrive while the node closes: Node-RED delivers msgs until a node's close has
   * finished. Kept for the next start when the journal can still take them; otherwise straight to
   * FullStory as a final job (never dropped, done() called), not into a buffer nobody will empty.
   */
  private lateRecords(records: BufferedRecord[]): void {
    if (!this.suspended) {
      this.submitFinal(records);
      return;
    }
    if (this.journal && !this.journal.isClosed) {
      for (const record of records) this.journalRecord(record, NOT_AT_HAND);
      this.releaseAll(records);
      return;
    }
    const error = new FullStoryError(catalogText('config:errors.batch.closedLate'), { code: 'closed', retryable: true, attempts: 0 });
    this.settle(records, () => ({ ok: false, error }));
  }

  /** Writes a record to the journal; it joins the buffer once its group is on disk (admit). */
  private journalRecord(record: BufferedRecord, built: unknown): number {
    const seq = this.journal!.accept(record.json, payloadJson(record, built), Date.now());
    record.seq = seq;
    this.pending.push(record);
    return seq;
  }

  /** The journal's group commit reached the disk: its records are accepted now. */
  private admit(upTo: number): void {
    if (this.suspended || this.closing.signal.aborted) return;
    const admitted = this.pending.takeWhile((record) => record.seq! < upTo);
    if (admitted.length === 0) return;
    for (const record of admitted) this.buffer.push(record);
    if (this.flushUpTo !== undefined && upTo >= this.flushUpTo) {
      // The flush (msg.flush, the interval) came while these were on their way to the disk.
      this.flushUpTo = undefined;
      this.dispatch(true);
    } else if (this.buffer.length >= this.settings.batchSize) this.dispatch(false);
    // A flush that waited for the disk stopped the timer; records accepted meanwhile (in a later
    // group) would otherwise wait for a full batch, or for the close.
    if (this.buffer.length > 0 || this.pending.length > 0) this.startTimer();
    this.observer.queued(this.queuedCount);
  }

  /** A group could not be written: its records were never accepted (journal_unavailable). */
  private journalFailed(error: NodeJS.ErrnoException, from: number, upTo: number): void {
    const lost = this.pending.remove((record) => record.seq! >= from && record.seq! < upTo);
    if (lost.length === 0) {
      this.observer.journalFailed?.(error);
      return;
    }
    for (const record of lost) this.queuedBytes -= record.json.length;
    this.observer.journalFailed?.(error);
    const refused = journalUnavailableError(error.code ?? 'EIO');
    this.settle(lost, () => ({ ok: false, error: refused }));
    this.observer.queued(this.queuedCount);
  }

  /** The journal holds an earlier life's records; resume() will take them (until then a removal keeps the store). */
  expectResume(): void {
    this.awaitingResume = true;
  }

  /**
   * Picks up what an earlier life of this node left in the journal: jobs are created again with
   * their key (or polled by id), loose records go back to the buffer and leave in a job at once.
   * `held` makes the new msg each record will leave as.
   */
  resume(state: JournalState, held: (record: JournalRecord) => HeldMessage): void {
    this.awaitingResume = false;
    const buffered = (record: JournalRecord): BufferedRecord => {
      const out = held(record);
      // Reported in the earlier life, still part of its job: matched, never reported again.
      if (record.reported) out.exited = true;
      return { json: record.json, importKey: recordImportKey(this.resource, JSON.parse(record.json)), held: out, index: 0, seq: record.seq };
    };
    for (const job of state.jobs.values()) {
      const records = job.seqs.map((seq) => buffered(state.records.get(seq)!));
      if (job.id === undefined && this.resource === 'events' && Date.now() - job.plannedAt > KEY_TRUSTED_MS) {
        // FullStory may have forgotten the key: a resend could create a second job and count the
        // events twice (users are upserts: sending them again is harmless).
        const error = keyExpiredError();
        this.settle(records, () => ({ ok: false, error }));
        continue;
      }
      // Its timeout runs on from the earlier life only if that life saw it created (its id was
      // journaled); a job sent again with its key may be created only now, so its timeout starts now.
      const plannedAt = job.id !== undefined ? job.plannedAt : undefined;
      this.track(this.runJob(records, { jobSeq: job.jobSeq, idempotencyKey: job.idempotencyKey, jobId: job.id, plannedAt }));
    }
    const loose = looseRecords(state).map(buffered);
    if (loose.length === 0) return;
    for (const record of loose) {
      this.buffer.push(record);
      this.queuedBytes += record.json.length;
    }
    this.dispatch(true);
  }

  flush(): number {
    const count = this.buffer.length + this.pending.length;
    this.flushAll();
    return count;
  }

  /** Sends everything buffered; records still on their way to the journal go with it once on disk. */
  private flushAll(): void {
    if (this.pending.length > 0) {
      this.flushUpTo = this.journal!.acceptedUpTo;
      this.stopTimer();
      return;
    }
    this.dispatch(true);
  }

  /** Empties the buffer; every msg with a record in it fails with code `reset`. */
  reset(): number {
    const dropped = this.pending.length === 0 ? this.buffer : [...this.buffer, ...this.pending.takeAll()];
    this.buffer = [];
    this.flushUpTo = undefined;
    this.queuedBytes = 0;
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

  /** Whether a close leaves what is owed in the journal for the next instance (nothing to send now). */
  keepsOnClose(removed: boolean): boolean {
    return this.journal !== undefined && !removed && !this.journal.failure;
  }

  /**
   * Node closing. With the journal on and the node staying in the flow (a restart, a redeploy),
   * nothing is squeezed into the close timeout: buffered records and jobs in progress stay in the
   * journal for the next instance of this node, and their msgs are released (done(), they can no
   * longer leave). Otherwise (journal off, or the node removed from the flow) buffered records go
   * to FullStory as final jobs (never dropped); polling stops and the ids of jobs still in progress
   * are logged; every held msg is released. A removed node then deletes its store if every record
   * was handed over, else keeps it and says where.
   */
  async close(removed = true): Promise<void> {
    if (this.keepsOnClose(removed)) {
      await this.suspend();
      return;
    }
    this.stopTimer();
    this.closeStarted?.();
    const finalRecords = this.pending.length === 0 ? this.buffer : [...this.buffer, ...this.pending.takeAll()];
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
    if (!this.journal) return;
    if (this.unsettled === 0 && !this.awaitingResume && !this.journal.failure) {
      await this.journal.remove();
      return;
    }
    await this.journal.close();
    this.observer.journalOrphaned?.(Math.max(this.unsettled, this.journal.owed), this.journal.file);
  }

  /** Closing for a restart or redeploy: what is owed stays in the journal for the next instance. */
  private async suspend(): Promise<void> {
    const journal = this.journal!;
    this.suspended = true;
    this.stopTimer();
    // Taken before anything is aborted or awaited: an aborted job leaves inJobs on its own a few
    // turns later (it reports nothing once suspended), and while the close below waits for a group
    // commit on its way to the disk, every job in progress would be gone and its msgs never released.
    const held = [...this.buffer, ...this.pending.takeAll()];
    for (const records of this.inJobs) for (const record of records) held.push(record);
    this.buffer = [];
    this.closeStarted?.();
    this.closing.abort();
    this.suspending.abort();
    // Released once the journal holds them all (close() writes what is still queued).
    await journal.close();
    this.releaseAll(held);
    if (journal.owed > 0) this.observer.journalKept?.(journal.owed, journal.file);
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
      if (this.buffer.length === 0 && this.pending.length === 0) this.queuedBytes = 0;
      else for (const record of batch) this.queuedBytes -= record.json.length;
      this.track(this.runJob(batch));
    }
    // Records still on their way to the journal keep the flush interval running for them.
    if (this.buffer.length === 0 && this.pending.length === 0) this.stopTimer();
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
  private async runJob(records: BufferedRecord[], planned?: PlannedJob): Promise<void> {
    this.inJobs.add(records);
    try {
      await this.runJobOnce(records, planned);
    } catch (err) {
      if (this.suspended) return;
      const error = asFullStoryError(err);
      this.settle(records, () => ({ ok: false, error }));
      this.observer.jobFinished(false, error.code);
    } finally {
      this.inJobs.delete(records);
    }
  }

  /**
   * Journal on: the job, its records and its Idempotency-Key go to disk before the POST, so a
   * restart can create it again with the same key (FullStory answers with the same job).
   */
  private async planJob(records: BufferedRecord[]): Promise<PlannedJob | undefined> {
    const journal = this.journal;
    if (!journal || this.closing.signal.aborted) return undefined;
    const idempotencyKey = randomUUID();
    const seqs = new Array<number>(records.length);
    for (let i = 0; i < records.length; i++) seqs[i] = records[i]!.seq!;
    const jobSeq = await journal.planJob(seqs, idempotencyKey);
    crashPoint('after-journal-write');
    return { jobSeq, idempotencyKey };
  }

  private async runJobOnce(records: BufferedRecord[], recovered?: PlannedJob): Promise<void> {
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
      if (this.suspended) return;
      let planned = recovered;
      if (!planned) {
        try {
          planned = await this.planJob(records);
        } catch (err) {
          if (this.suspended) return;
          const error = journalUnavailableError((err as NodeJS.ErrnoException).code ?? 'EIO');
          this.settle(records, () => ({ ok: false, error }));
          this.observer.jobFinished(false, error.code);
          return;
        }
      }
      if (this.suspended) return;
      const report = await this.importJob(records, planned);
      if (this.suspended) return;
      if (report.jobId && !report.abandoned) this.liveJobIds.delete(report.jobId);
      if (report.abandoned) {
        // A removed node: the job has the records; its outcome cannot be reported any more.
        this.handedOver(records);
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
  private importJob(records: BufferedRecord[], planned?: PlannedJob): Promise<JobReport> {
    const closing = this.closing.signal.aborted;
    const journal = this.journal;
    return runImportJob(records, {
      idempotencyKey: planned?.idempotencyKey,
      jobId: planned?.jobId,
      plannedAt: planned?.plannedAt,
      createSignal: planned ? this.suspending.signal : undefined,
      client: this.client(),
      resource: this.resource,
      pollIntervalMs: this.settings.pollIntervalMs,
      maxPollIntervalMs: this.settings.maxPollIntervalMs,
      timeoutMs: this.settings.jobTimeoutMs,
      signal: this.closing.signal,
      createBudgetMs: closing ? this.settings.closeBudgetMs : undefined,
      lastChance: closing,
      onCreated: (id) => {
        this.liveJobIds.add(id);
        if (planned && planned.jobId === undefined && journal) journal.jobCreated(planned.jobSeq, id);
      },
      onAttempt: (failure) => this.observer.attempt?.(failure),
    });
  }

  /** Creates the job for records still buffered at close; its outcome is logged, not routed. */
  private async submitFinalJob(records: BufferedRecord[]): Promise<void> {
    try {
      const report = await this.importJob(records);
      if (report.jobId === undefined) this.finalJobNotCreated(records, report);
      else this.handedOver(records);
    } catch (err) {
      this.unsettled += records.length;
      this.observer.error(catalogText('config:log.batch.notSent', { records: records.length, detail: asFullStoryError(err).message }));
    } finally {
      this.releaseAll(records);
    }
  }

  /** A closing node's records that FullStory has (a job was created): the journal owes nothing for them. */
  private handedOver(records: BufferedRecord[]): void {
    if (!this.journal) return;
    const seqs: number[] = [];
    for (const record of records) if (record.seq !== undefined) seqs.push(record.seq);
    this.journal.reported(seqs);
  }

  private finalJobNotCreated(records: BufferedRecord[], report: JobReport): void {
    this.unsettled += records.length;
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

  /**
   * Hands each record its outcome; a msg leaves once all of its records have one. With the journal
   * on, the records of the msgs that left are marked reported in one synchronous write once the
   * next nodes have them: Node-RED hands a sent msg on in an immediate that send() queues, and the
   * mark's immediate is queued after those. A crash before the deliveries loses nothing (the next
   * start reports the records again; the old sends never reached anyone); a crash between the
   * deliveries and the mark repeats those reports (the README's window). Marking right after the
   * send() calls instead lost them whenever anything else ran first (another job's answer, a group
   * commit): the crash test saw whole jobs' reports go missing.
   */
  private settle(records: BufferedRecord[], outcomeOf: (i: number) => RecordOutcome | undefined, jobId?: string): void {
    const journal = this.journal;
    const left: number[] | undefined = journal ? [] : undefined;
    records.forEach((record, i) => {
      const outcome = outcomeOf(i) ?? {
        ok: false as const,
        error: new FullStoryError(catalogText('config:errors.batch.noOutcome'), { code: 'outcome_unknown', jobId }),
      };
      const held = record.held;
      if (!held.settle(record.index, outcome, jobId)) return;
      // Reported before (a recovered job's record: marked already), or released by a close.
      if (held.exited) return;
      if (left) crashPoint('while-reporting');
      held.deliver(this.exit);
      if (!left) return;
      const seqs = this.bulkSeqs.get(held);
      if (seqs) for (const seq of seqs) left.push(seq);
      else if (record.seq !== undefined) left.push(record.seq);
    });
    if (left && left.length > 0) setImmediate(() => journal!.reported(left));
  }

  private startTimer(): void {
    if (this.timer || this.settings.flushIntervalMs <= 0) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flushAll();
    }, this.settings.flushIntervalMs);
  }

  private stopTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
