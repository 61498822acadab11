// A msg a data node holds until every one of its records has an outcome, and how it then leaves.

import type { NodeMessage, NodeMessageInFlow } from 'node-red';
import { FullStoryError, type MsgError } from '../api/errors';
import type { InputNote, NoteSink } from '../validate/notes';

/** What happened to one record: FullStory took it (with the id it gave, for users) or an error. */
export type RecordOutcome = { ok: true; id?: string } | { ok: false; error: FullStoryError };

export type Send = (msg: NodeMessage | Array<NodeMessage | NodeMessage[] | null>) => void;
export type Done = (err?: Error) => void;

/** What a bulk msg (payload was an array) comes to once every record has an outcome. */
export interface BulkResult {
  /** The records that succeeded (with their FullStory `id` where there is one), in input order. */
  succeeded: unknown[];
  /** The records that failed, in input order. */
  failed: unknown[];
  /** One error per failed record, with the record's index in the original array. */
  errors: Array<MsgError & { index: number }>;
  /** msg.fullstory of the msg(s) that leave. */
  summary: Record<string, unknown>;
}

/** What a node does with a msg once its fate is known; implemented once in runtime/message-exit.ts. */
export interface MessageExit {
  success(held: HeldMessage, fullstory: Record<string, unknown>): void;
  failure(held: HeldMessage, error: FullStoryError, fullstory?: Record<string, unknown>): void;
  /** Bulk msg: output 1 gets the successes, output 2 a copy with the rest (either may be empty). */
  split(held: HeldMessage, result: BulkResult, firstError: FullStoryError | undefined): void;
  /** Node closing: the msg's records were handed to FullStory but no outcome will be reported. */
  release(held: HeldMessage): void;
  /** The text an error shows in msg.error / msg.errors (localized when the catalog has it). */
  errorText?(error: FullStoryError): string;
}

/** A note on one of a held msg's records; `index` for an item of a bulk msg. */
export type RecordNote = InputNote & { index?: number };

export class HeldMessage implements NoteSink {
  // Batch mode holds one of these per msg (100,000s at a time), so it stays small: a one-record msg
  // keeps its outcome and job id in plain fields; only bulk msgs get an array and a set.
  private outcome: RecordOutcome | undefined;
  private jobId: string | undefined;
  private readonly outcomes: Array<RecordOutcome | undefined> | undefined;
  private jobIdSet: Set<string> | undefined;
  private remaining: number;
  /** Notes from building its record(s), for msg.fullstory.notes (rare: kept out of the common case). */
  private noteList: RecordNote[] | undefined;
  /**
   * Set by the controller once the msg has left, ended via done(err), or been released by a
   * closing node (done() called, no outcome): from then on nothing may send it again.
   */
  exited = false;

  constructor(
    readonly msg: NodeMessageInFlow,
    readonly send: Send,
    readonly done: Done,
    /** The items of a bulk msg's array as read when it arrived (payload was an array), else undefined. */
    readonly bulkItems: readonly unknown[] | undefined,
    readonly operation: string,
  ) {
    this.outcomes = bulkItems ? new Array(bulkItems.length) : undefined;
    this.remaining = bulkItems ? bulkItems.length : 1;
  }

  get size(): number {
    return this.bulkItems ? this.bulkItems.length : 1;
  }

  /** Records one record's outcome; true when it was the last one outstanding. */
  settle(index: number, outcome: RecordOutcome, jobId?: string): boolean {
    if (this.outcomes) {
      if (this.outcomes[index] !== undefined) return false;
      this.outcomes[index] = outcome;
      if (jobId) (this.jobIdSet ??= new Set()).add(jobId);
    } else {
      if (this.outcome !== undefined) return false;
      this.outcome = outcome;
      this.jobId = jobId;
    }
    return --this.remaining === 0;
  }

  addNote(note: RecordNote): void {
    (this.noteList ??= []).push(note);
  }

  /** Notes on its record(s), for msg.fullstory.notes; undefined when there are none. */
  get notes(): readonly RecordNote[] | undefined {
    return this.noteList;
  }

  /** Sends the msg on its way once every record is settled. */
  deliver(exit: MessageExit): void {
    if (this.exited) return;
    if (!this.outcomes) {
      const outcome = this.outcome!;
      if (outcome.ok) {
        const report: Record<string, unknown> = { operation: this.operation, mode: 'batch', jobId: this.jobId };
        if (outcome.id) report.id = outcome.id;
        exit.success(this, report);
      } else {
        exit.failure(this, outcome.error, { operation: this.operation, mode: 'batch', jobId: outcome.error.jobId ?? this.jobId });
      }
      return;
    }
    const jobIds = this.jobIdSet ? [...this.jobIdSet] : [];
    const succeeded: unknown[] = [];
    const failed: unknown[] = [];
    const errors: Array<MsgError & { index: number }> = [];
    let firstError: FullStoryError | undefined;
    this.outcomes.forEach((outcome, index) => {
      const item = this.bulkItems![index];
      if (outcome!.ok) {
        succeeded.push(withId(item, outcome!.id));
      } else {
        failed.push(item);
        firstError ??= outcome!.error;
        const error = outcome!.error;
        const msgError = error.toMsgError();
        if (exit.errorText) msgError.message = exit.errorText(error);
        errors.push({ ...msgError, index });
      }
    });
    const summary = { operation: this.operation, mode: 'batch', jobIds, records: this.size, succeeded: succeeded.length, failed: failed.length };
    exit.split(this, { succeeded, failed, errors, summary }, firstError);
  }
}

/** A succeeded record with the FullStory id it got; the record as it was when it cannot be copied. */
function withId(item: unknown, id: string | undefined): unknown {
  if (!id || item === null || typeof item !== 'object' || Array.isArray(item)) return item;
  try {
    return { ...item, id };
  } catch {
    return item; // a getter that throws on a second read
  }
}

/**
 * A record an earlier life of the node accepted (recovered from the journal after a restart or a
 * redeploy): its original msg is gone, so it leaves as a new msg of its own, marked as recovered.
 */
export class RecoveredMessage extends HeldMessage {
  constructor(
    msg: NodeMessageInFlow,
    send: Send,
    operation: string,
    /** When the earlier life accepted the record (ISO 8601). */
    readonly acceptedAt: string,
  ) {
    super(msg, send, () => undefined, undefined, operation);
  }
}
