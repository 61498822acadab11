// How a data node's msgs leave: the one implementation of MessageExit. Every msg leaves once, on
// output 1 or 2 (or both, for a bulk msg), with its outcome and notes attached and done() called;
// one that cannot leave ends via done(err) with code `undeliverable`. Each exit counts in the
// node's status, and in the log line of a node that is stopping.

import type { Node, NodeMessage } from 'node-red';
import { FullStoryError } from '../api/errors';
import { catalogText } from '../api/texts';
import { localizeError, sayText, type Translate } from '../delivery/error-text';
import { RecoveredMessage, type BulkResult, type HeldMessage, type MessageExit, type RecordNote } from '../delivery/held-message';
import { shallowCopy, withFields, type MsgFields } from '../delivery/msg-fields';
import { undeliverableError, type DeliveryOutcome, type UndeliverableReason } from '../delivery/undeliverable';
import type { InputNote, MsgNote } from '../validate/notes';
import { thrownText, unreadableMsgError } from '../validate/unreadable-input';
import type { NodeStatusBoard } from './node-status';

/** How a msg leaves (DataNodeExit.leave): the fields we set for each output it goes to. */
interface Departure {
  /** Output 1: fields set on the msg itself. */
  ok?: MsgFields;
  /** Output 2: fields set on the msg, or on a shallow copy of it when it also goes to output 1. */
  fail?: MsgFields;
  /** The error behind `fail` (status, Catch nodes). */
  error?: FullStoryError;
  /** The text of `fail`'s msg.error, for an undeliverable msg's report. */
  failText?: string;
  /** A flush / reset control msg: no result to count. */
  control?: boolean;
}

export class DataNodeExit implements MessageExit {
  /** Notes of single-mode msgs, from planning until the msg leaves. */
  private readonly singleNotes = new WeakMap<object, RecordNote[]>();
  private stopping: { ok: number; failed: number; codes: Set<string> } | undefined;

  constructor(
    private readonly status: NodeStatusBoard,
    private readonly translate: Translate,
    private readonly log: Pick<Node, 'warn' | 'error'>,
    /** The node's setting: a failure also ends via done(err), so Catch nodes fire. */
    private readonly reportToCatch: boolean,
  ) {}

  // ---- MessageExit: the only places a msg leaves ----

  success(held: HeldMessage, fullstory: Record<string, unknown>): void {
    if (held instanceof RecoveredMessage) fullstory = { ...fullstory, recovered: true, acceptedAt: held.acceptedAt };
    const notes = this.notesOf(held);
    this.leave(held, { ok: { error: undefined, fullstory: notes ? { ...fullstory, notes } : fullstory } });
  }

  failure(held: HeldMessage, error: FullStoryError, fullstory?: Record<string, unknown>): void {
    if (held instanceof RecoveredMessage) fullstory = { ...fullstory, recovered: true, acceptedAt: held.acceptedAt };
    const cause = this.explained(error, held);
    const msgError = cause.toMsgError();
    msgError.message = this.errorText(cause);
    const notes = this.notesOf(held);
    const fail: Record<string, unknown> = { error: msgError };
    if (fullstory) fail.fullstory = notes ? { ...fullstory, notes } : fullstory;
    this.leave(held, { fail, error: cause, failText: msgError.message });
  }

  split(held: HeldMessage, result: BulkResult, firstError: FullStoryError | undefined): void {
    const notes = this.notesOf(held);
    const summary = notes ? { ...result.summary, notes } : result.summary;
    // A msg back from a retry loop still carries the error(s) of its last failure: not on a success.
    const ok = result.succeeded.length > 0 ? { payload: result.succeeded, fullstory: summary, error: undefined, errors: undefined } : undefined;
    if (result.failed.length === 0 || !firstError) {
      this.leave(held, { ok });
      return;
    }
    const codes = new Set(result.errors.map((e) => e.code));
    const shared = codes.size === 1 ? [...codes][0] : undefined;
    const text = this.summaryText(result.errors.length, held.size, shared, this.errorText(firstError));
    const error = {
      message: text,
      code: shared ?? 'partial_failure',
      // The summary covers every failed record: resending them all is safe only if each one is.
      retryable: result.errors.length > 0 && result.errors.every((e) => e.retryable === true),
      attempts: firstError.attempts,
      ...(firstError.jobId ? { jobId: firstError.jobId } : {}),
    };
    this.leave(held, { ok, fail: { payload: result.failed, errors: result.errors, fullstory: summary, error }, error: firstError, failText: text });
  }

  release(held: HeldMessage): void {
    if (held.exited) return;
    held.exited = true;
    // Its outcome is unknown here (the node is closing): nothing to say about FullStory.
    this.callDone(held, undefined, { control: true });
  }

  errorText(error: FullStoryError): string {
    return localizeError(this.translate, error);
  }

  /** A flush / reset control msg leaves on output 1 with what it did; it is no result to count. */
  control(held: HeldMessage, fullstory: Record<string, unknown>): void {
    this.leave(held, { ok: { fullstory }, control: true });
  }

  /** Single mode: the notes of planning the msg's call, kept until the msg leaves. */
  keepNotes(msg: object, notes: InputNote[]): void {
    this.singleNotes.set(msg, notes);
  }

  /**
   * The one way out: every msg leaves through here, once. Our fields go on the msg (or on a copy
   * when the msg refuses them: msg-fields.ts), the msg goes to its output(s), then done() is called
   * once. Never throws: a msg that can be neither written nor copied, or that Node-RED cannot pass
   * on (it deep-copies a msg going to more than one node), ends via done(err) with code
   * `undeliverable`, which says what happened at FullStory.
   */
  private leave(held: HeldMessage, departure: Departure): void {
    if (held.exited) return;
    held.exited = true;
    const { ok, fail } = departure;
    let okMsg: NodeMessage | null = null;
    let failMsg: NodeMessage | null = null;
    let problem: { key: UndeliverableReason; detail: string } | undefined;
    try {
      if (ok) okMsg = withFields(held.msg, ok);
      // Both outputs: the failures go on a shallow copy that shares everything but our fields.
      if (fail) failMsg = withFields(ok ? shallowCopy(held.msg) : held.msg, fail);
    } catch (err) {
      problem = { key: 'notWritable', detail: thrownText(err) };
    }
    if (okMsg || failMsg) {
      try {
        held.send([okMsg, failMsg]);
      } catch (err) {
        problem ??= { key: 'notSent', detail: thrownText(err) };
      }
    }
    const undeliverable = problem ? this.undeliverable(problem.key, problem.detail, departure) : undefined;
    if (!departure.control) {
      const code = undeliverable?.code ?? (fail ? departure.error?.code : undefined);
      this.status.recordResult(!fail && !undeliverable, code);
      this.noteExit(!fail && !undeliverable, code);
    }
    // done(err) makes Catch nodes fire (and logs once); off by default, output 2 is the route. An
    // undeliverable msg has no other route left.
    const doneError = undeliverable ?? (fail && this.reportToCatch ? departure.error : undefined);
    this.callDone(held, doneError, departure);
  }

  /** done() may throw: Node-RED copies the msg for Catch and Complete nodes, after it counted it. */
  private callDone(held: HeldMessage, error: FullStoryError | undefined, departure: Departure): void {
    try {
      if (error) held.done(error);
      else held.done();
    } catch (err) {
      // With an error, Node-RED hands Catch nodes a copy before it logs: log it here instead.
      this.log.error((error ?? this.undeliverable('notSent', thrownText(err), departure)).message);
    }
  }

  private undeliverable(reason: UndeliverableReason, detail: string, departure: Departure): FullStoryError {
    const text = departure.failText ?? '';
    const outcome: DeliveryOutcome = departure.control
      ? { kind: 'none' }
      : !departure.fail ? { kind: 'accepted' } : departure.ok ? { kind: 'partly', text } : { kind: 'failed', text };
    return undeliverableError(this.translate, reason, detail, outcome, departure.error?.attempts);
  }

  /** `internal_error` from building a request: a msg property that throws when read is the user's. */
  private explained(error: FullStoryError, held: HeldMessage): FullStoryError {
    if (error.code !== 'internal_error') return error;
    return unreadableMsgError(held.msg) ?? error;
  }

  /** Notes on the msg's record(s) in the runtime's language, for msg.fullstory.notes. */
  private notesOf(held: HeldMessage): MsgNote[] | undefined {
    let notes = held.notes;
    if (!notes) {
      notes = this.singleNotes.get(held.msg);
      if (!notes) return undefined;
      this.singleNotes.delete(held.msg);
    }
    return notes.map((note) => {
      const out: MsgNote = { code: note.code, message: localizeError(this.translate, note) };
      if (note.field !== undefined) out.field = note.field;
      if (note.index !== undefined) out.index = note.index;
      return out;
    });
  }

  private summaryText(failed: number, records: number, code: string | undefined, first: string): string {
    const summary = new FullStoryError(code !== undefined
      ? catalogText('config:errors.batch.partialFailureCode', { failed, records, code, first })
      : catalogText('config:errors.batch.partialFailure', { failed, records, first }), { code: 'partial_failure' });
    return localizeError(this.translate, summary);
  }

  // ---- a node that is stopping ----

  /** close() began: from now on, exits are counted for reportStopped(). */
  startStopping(): void {
    this.stopping = { ok: 0, failed: 0, codes: new Set() };
  }

  /** Counts msgs that leave after close began: Node-RED stops downstream nodes first, so they
   * cannot reach anything and are reported in the log instead. */
  private noteExit(ok: boolean, code?: string): void {
    if (!this.stopping) return;
    if (ok) this.stopping.ok++;
    else {
      this.stopping.failed++;
      if (code) this.stopping.codes.add(code);
    }
  }

  /** Once close() is done: one warning for the msgs that left while the node was stopping. */
  reportStopped(): void {
    if (!this.stopping) return;
    const { ok, failed, codes } = this.stopping;
    if (ok + failed > 0) {
      this.log.warn(sayText(this.translate, codes.size
        ? catalogText('config:log.finishedWhileStoppingCodes', { msgs: ok + failed, ok, failed, codes: [...codes].join(', ') })
        : catalogText('config:log.finishedWhileStopping', { msgs: ok + failed, ok, failed })));
    }
  }
}
