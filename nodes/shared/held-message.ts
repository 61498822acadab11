// A msg a data node holds until every one of its records has an outcome, and how it then leaves.

import type { NodeMessage, NodeMessageInFlow } from 'node-red';
import { FullStoryError, type MsgError } from './errors';
import type { RecordOutcome } from './batch-outcomes';

export type Send = (msg: NodeMessage | Array<NodeMessage | NodeMessage[] | null>) => void;
export type Done = (err?: Error) => void;

/** What a node does with a msg once its fate is known; implemented once in data-node.ts. */
export interface MessageExit {
  success(held: HeldMessage, fullstory: Record<string, unknown>): void;
  failure(held: HeldMessage, error: FullStoryError, fullstory?: Record<string, unknown>): void;
  /** Bulk msg with some records failed: output 1 gets the successes, output 2 a copy with the rest. */
  split(held: HeldMessage, succeeded: NodeMessage | null, failed: NodeMessage | null, firstError: FullStoryError | undefined): void;
  /** Node closing: the msg's records were handed to FullStory but no outcome will be reported. */
  release(held: HeldMessage): void;
  /** The text an error shows in msg.error / msg.errors (localized when the catalog has it). */
  errorText?(error: FullStoryError): string;
}

export class HeldMessage {
  // Batch mode holds one of these per msg (100,000s at a time), so it stays small: a one-record msg
  // keeps its outcome and job id in plain fields; only bulk msgs get an array and a set.
  private outcome: RecordOutcome | undefined;
  private jobId: string | undefined;
  private readonly outcomes: Array<RecordOutcome | undefined> | undefined;
  private jobIdSet: Set<string> | undefined;
  private remaining: number;
  released = false;

  constructor(
    readonly msg: NodeMessageInFlow,
    readonly send: Send,
    readonly done: Done,
    /** The original array items for a bulk msg (payload was an array), else undefined. */
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

  /** Sends the msg on its way once every record is settled. */
  deliver(exit: MessageExit): void {
    if (this.released) return;
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
    const ok: unknown[] = [];
    const failed: unknown[] = [];
    const errors: Array<MsgError & { index: number }> = [];
    let firstError: FullStoryError | undefined;
    this.outcomes.forEach((outcome, index) => {
      const item = this.bulkItems![index];
      if (outcome!.ok) {
        const id = outcome!.id;
        ok.push(id && item !== null && typeof item === 'object' && !Array.isArray(item) ? { ...item, id } : item);
      } else {
        failed.push(item);
        firstError ??= outcome!.error;
        const error = outcome!.error;
        const msgError = error.toMsgError();
        if (exit.errorText) msgError.message = exit.errorText(error);
        errors.push({ ...msgError, index });
      }
    });
    const summary = { operation: this.operation, mode: 'batch', jobIds, records: this.size, succeeded: ok.length, failed: failed.length };
    // Two msgs leave when a bulk import partly fails: the same msg for the successes, a shallow copy
    // for the failures (sharing everything but payload), so a retry loop resends only what failed.
    const successMsg = ok.length > 0 ? Object.assign(this.msg, { payload: ok, fullstory: summary }) : null;
    const failureMsg =
      failed.length > 0
        ? Object.assign(successMsg ? { ...this.msg } : this.msg, { payload: failed, errors, fullstory: summary })
        : null;
    exit.split(this, successMsg, failureMsg, firstError);
  }
}
