// The controller both data nodes share: takes each msg in, sends it as a single request or puts
// its records in the batch buffer, and makes sure it leaves exactly once (output 1 = success,
// output 2 = failure) with done() called. The user and event nodes only say how to build requests.

import type { Node, NodeAPI, NodeMessage, NodeMessageInFlow } from 'node-red';
import type { BatchResource, Page } from '../api/types';
import { callApi, isPaged, type ApiCall, type CallOptions, type PagedCall } from '../api/endpoints';
import { followPages, maxPagesFor } from '../api/paging';
import { asFullStoryError, FullStoryError } from '../api/errors';
import { localizeError, sayText, type Translate } from '../delivery/error-text';
import { catalogText, type CatalogText } from '../api/texts';
import type { FullStoryClient } from '../api/client';
import { BatchBuffer, journalUnavailableError, newCloseController, type BufferedRecord } from '../batch/buffer';
import type { Journal, JournalNotice, JournalRecord, JournalState } from '../batch/journal';
import { openNodeJournal, unusedJournal } from './node-journal';
import { batchSettings, journalSetting as journalSettingOf, type JournalSetting } from './settings';
import { recordImportKey } from '../batch/outcomes';
import { flatString } from '../batch/flat-string';
import { HeldMessage, RecoveredMessage, type BulkResult, type Done, type MessageExit, type RecordNote, type Send } from '../delivery/held-message';
import { idempotencyKeyFor, requestDigest } from '../api/idempotency';
import { NodeStatusBoard } from './node-status';
import type { DataNodeDef } from './node-settings';
import { shallowCopy, withFields, workingMsg, type MsgFields } from '../delivery/msg-fields';
import type { InputNote, MsgNote, NoteSink } from '../validate/notes';
import { thrownText, unreadableIndexError, unreadableItemError, unreadableMsgError } from '../validate/unreadable-input';
import { internalFaultText, undeliverableError, type DeliveryOutcome, type UndeliverableReason } from '../delivery/undeliverable';

/** One single-mode call: the FullStory call (fullstory-api.ts) and how to read its checked answer. */
export interface SingleCall<T = unknown> {
  operation: string;
  call: ApiCall<T>;
  /** A paged call (list): follow next_page_token, gathering `results`, up to this many items. */
  collectPagesUpTo?: number;
  /** What the answer means: FullStory user id, and the new msg.payload (get / list). */
  interpret(data: T): { id?: string; payload?: unknown };
  /**
   * A failure that still means the user's goal is met (a delete of a user that is already
   * gone): what to add to msg.fullstory on output 1, or undefined for a real failure.
   */
  goalMet?(error: FullStoryError): Record<string, unknown> | undefined;
}

type MaybePromise<T> = T | Promise<T>;

export interface DataNodeBehaviour {
  resource: BatchResource;
  /** Name reported in msg.fullstory.operation for batch records. */
  batchOperation: string;
  /** Does this msg go to the batch buffer (batch mode on and the operation can be batched)? */
  goesToBatch(msg: NodeMessageInFlow): boolean;
  /**
   * Builds one import record from msg.payload (bulk items are presented as their own msg).
   * Whatever the builder changed in the input that the user should know goes to `notes`.
   */
  buildRecord(msg: NodeMessageInFlow, notes?: NoteSink): MaybePromise<unknown>;
  planSingle(msg: NodeMessageInFlow, notes?: NoteSink): MaybePromise<SingleCall>;
}

export interface ClientProvider {
  client(): FullStoryClient;
  /** Batch mode's write-ahead journal: on (default) or off, and where (absent: on, default place). */
  journal?: JournalSetting;
}

/** How a msg leaves (DataNodeController.leave): the fields we set for each output it goes to. */
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

const isPromise = <T>(value: MaybePromise<T>): value is Promise<T> =>
  typeof (value as Promise<T> | undefined)?.then === 'function';

/** A msg whose payload is no record but flush / reset is a control msg, not an input record. */
function isControlOnly(msg: NodeMessageInFlow): boolean {
  const m = msg as NodeMessageInFlow & { flush?: unknown; reset?: unknown };
  if (m.flush === undefined && m.reset === undefined) return false;
  return m.payload === null || typeof m.payload !== 'object';
}

export class DataNodeController implements MessageExit {
  private readonly status: NodeStatusBoard;
  private readonly batch: BatchBuffer | undefined;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly closing = newCloseController();
  private readonly closeBudgetMs: number;
  private stopping: { ok: number; failed: number; codes: Set<string> } | undefined;
  private readonly warn: (text: string) => void;
  private readonly logError: (text: string) => void;
  private readonly translate: Translate;
  private readonly behaviour: DataNodeBehaviour;
  /** Notes of single-mode msgs, from planning until the msg leaves. */
  private readonly singleNotes = new WeakMap<object, RecordNote[]>();
  /** Batch mode with the journal on, when it could not be opened: why (an errno code). */
  private journalProblem: string | undefined;
  /** Picks up what the journal holds once the flows have started (so recovered msgs have somewhere to go). */
  private stopResume: (() => void) | undefined;

  constructor(
    RED: NodeAPI,
    node: Node,
    private readonly def: DataNodeDef,
    private readonly config: ClientProvider | null,
    behaviour: DataNodeBehaviour,
  ) {
    this.warn = (text) => node.warn(text);
    this.logError = (text) => node.error(text);
    this.translate = (key, vars) => RED._(key, vars);
    this.behaviour = { ...behaviour, planSingle: (msg) => this.planWithNotes(behaviour, msg) };
    this.status = new NodeStatusBoard(node, (key, vars) => RED._(`${def.type}.${key}`, vars as Record<string, string | number>));
    const settings = RED.settings as unknown as { nodeMessageBufferMaxLength?: unknown; nodeCloseTimeout?: unknown; fullstory?: { pollIntervalMs?: unknown } };
    const closeTimeout = typeof settings.nodeCloseTimeout === 'number' ? settings.nodeCloseTimeout : 15_000;
    const batch = batchSettings(def, settings.nodeMessageBufferMaxLength, closeTimeout, settings.fullstory ?? {});
    this.closeBudgetMs = batch.closeBudgetMs;
    if (!config) this.status.notConfigured();
    else this.status.start();
    const journalSetting = config?.journal ?? journalSettingOf({});
    if (config && (def.mode !== 'batch' || !journalSetting.enabled)) {
      // A journal of an earlier life (batch mode, journal on) that this one will not read: said, never deleted.
      const unused = unusedJournal({ ...journalSetting, enabled: true }, (RED.settings as unknown as { userDir?: unknown }).userDir, node.id);
      if (unused) node.warn(this.say(catalogText('config:log.journal.unused', { file: unused })));
    }
    if (def.mode === 'batch' && config) {
      const journal = this.openJournal(RED, node, journalSetting);
      this.batch = new BatchBuffer(behaviour.resource, batch, () => config.client(), this, {
        queued: (n) => this.status.setQueued(n),
        jobs: (n) => this.status.setJobs(n),
        jobFinished: (ok, code) => this.status.recordResult(ok, code),
        attempt: this.onAttempt,
        warn: (text) => node.warn(sayText(this.translate, text)),
        error: (text) => node.error(sayText(this.translate, text)),
        journalFailed: (error) => this.journalUnavailable(error.code ?? 'EIO'),
        journalKept: (records, file) => node.log(this.say(catalogText('config:log.journal.kept', { records, file }))),
        journalOrphaned: (records, file) =>
          node.error(this.say(catalogText('config:log.journal.orphaned', { records, file }))),
      }, journal?.journal);
      if (journal && journal.state.records.size > 0) {
        const { state } = journal;
        const batchBuffer = this.batch;
        // Recovered records leave as new msgs: only once every node of the flow exists to take them.
        const resume = (): void => {
          this.stopResume = undefined;
          node.log(this.say(catalogText('config:log.journal.recovered', { records: state.records.size, jobs: state.jobs.size, file: journal.journal.file })));
          batchBuffer.resume(state, (record) => this.recoveredMessage(RED, node, record));
        };
        batchBuffer.expectResume();
        RED.events.once('flows:started', resume);
        this.stopResume = () => RED.events.removeListener('flows:started', resume);
      }
    }
  }

  /** Opens the batch journal (when on); says so in the status and the log when it cannot be used. */
  private openJournal(RED: NodeAPI, node: Node, setting: JournalSetting): { journal: Journal; state: JournalState } | undefined {
    if (!setting.enabled) return undefined;
    const opened = openNodeJournal(setting, (RED.settings as unknown as { userDir?: unknown }).userDir, node.id);
    if ('problem' in opened) {
      const where = opened.file ?? setting.directory;
      node.error(this.say(catalogText('config:log.journal.unavailable', { code: opened.problem, file: where })));
      this.journalUnavailable(opened.problem);
      return undefined;
    }
    for (const notice of opened.notices) this.reportNotice(node, opened.journal.file, notice);
    return opened;
  }

  private reportNotice(node: Node, file: string, notice: JournalNotice): void {
    if (notice.kind === 'torn') {
      node.warn(this.say(catalogText('config:log.journal.torn', { file, offset: notice.offset, bytes: notice.bytes })));
      this.status.journalNotice('torn');
    } else {
      node.error(this.say(catalogText('config:log.journal.unreadable', { file, movedTo: notice.movedTo })));
      this.status.journalNotice('unreadable');
    }
  }

  private journalUnavailable(code: string): void {
    this.journalProblem = code;
    this.status.journalUnavailable(code);
  }

  /** A log text in the runtime's language (English where the runtime has no catalog). */
  private say(text: CatalogText): string {
    return sayText(this.translate, text);
  }

  /** The new msg a recovered record leaves as: payload as it was given, marked as recovered. */
  private recoveredMessage(RED: NodeAPI, node: Node, record: JournalRecord): HeldMessage {
    let payload: unknown;
    try {
      payload = JSON.parse(record.payloadJson ?? record.json);
    } catch {
      payload = JSON.parse(record.json);
    }
    const acceptedAt = new Date(record.acceptedAt).toISOString();
    const msg = { _msgid: RED.util.generateId(), payload, fullstory: { recovered: true, acceptedAt } } as unknown as NodeMessageInFlow;
    return new RecoveredMessage(msg, (out) => node.send(out as NodeMessage), this.behaviour.batchOperation, acceptedAt);
  }

  /** The 'input' handler. Never throws, never leaves a msg behind. */
  handle(received: NodeMessageInFlow, send: Send, done: Done): void {
    // A frozen or sealed msg is worked on as a shallow copy: the msg itself stays as it was (and
    // Node-RED's own copies of a msg are not frozen either).
    const msg = workingMsg(received) ?? received;
    try {
      if (this.handleControl(msg, send, done)) return;
      if (!this.config) throw new FullStoryError(catalogText('config:errors.node.notConfigured'), { code: 'not_configured' });
      if (this.batch && this.behaviour.goesToBatch(msg)) this.enqueue(msg, send, done);
      else this.track(this.sendSingle(msg, send, done));
    } catch (err) {
      // Only before the msg is held anywhere: enqueue and sendSingle settle their own failures.
      this.failure(new HeldMessage(msg, send, done, undefined, ''), asFullStoryError(err));
    }
  }

  /** Keeps the config node's sockets open until this node's final requests are done. */
  holdConfigOpen(closing: Promise<void>): void {
    try {
      this.config?.client().holdOpenUntil(closing);
    } catch {
      // No usable client: nothing to hold open.
    }
  }

  /** After each HTTP attempt of this node: the status shows at once when FullStory cannot be reached. */
  private readonly onAttempt = (failure: FullStoryError | undefined): void => {
    this.status.setUnreachable(unreachableCode(failure));
  };

  /** `removed`: the node was deleted from the flow (its journal settles), not restarted or redeployed. */
  async close(removed = true): Promise<void> {
    this.stopResume?.();
    // A batch that stays in the journal for the next instance has nothing to send now.
    const sending = this.batch && !this.batch.keepsOnClose(removed) ? this.batch.queuedCount : 0;
    this.status.setClosing({ records: sending, requests: this.inFlight.size });
    this.stopping = { ok: 0, failed: 0, codes: new Set() };
    const pending = [...this.inFlight];
    if (this.batch) pending.push(this.batch.close(removed));
    // Single requests in flight get part of Node-RED's close timeout, then are cut off (they leave
    // on output 2 with code `closed`, retryable: their outcome at FullStory is unknown).
    const timer = setTimeout(() => this.closing.abort(), this.closeBudgetMs);
    try {
      await Promise.all(pending);
    } finally {
      clearTimeout(timer);
      this.status.dispose();
    }
    const { ok, failed, codes } = this.stopping;
    if (ok + failed > 0) {
      this.warn(sayText(this.translate, codes.size
        ? catalogText('config:log.finishedWhileStoppingCodes', { msgs: ok + failed, ok, failed, codes: [...codes].join(', ') })
        : catalogText('config:log.finishedWhileStopping', { msgs: ok + failed, ok, failed })));
    }
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
    const doneError = undeliverable ?? (fail && this.def.reportToCatch ? departure.error : undefined);
    this.callDone(held, doneError, departure);
  }

  /** done() may throw: Node-RED copies the msg for Catch and Complete nodes, after it counted it. */
  private callDone(held: HeldMessage, error: FullStoryError | undefined, departure: Departure): void {
    try {
      if (error) held.done(error);
      else held.done();
    } catch (err) {
      // With an error, Node-RED hands Catch nodes a copy before it logs: log it here instead.
      this.logError((error ?? this.undeliverable('notSent', thrownText(err), departure)).message);
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

  /** Single mode: collects the notes of planning the msg's call until the msg leaves. */
  private planWithNotes(behaviour: DataNodeBehaviour, msg: NodeMessageInFlow): MaybePromise<SingleCall> {
    const notes: InputNote[] = [];
    const keep = (call: SingleCall): SingleCall => {
      if (notes.length > 0) this.singleNotes.set(msg, notes);
      return call;
    };
    const planned = behaviour.planSingle(msg, { addNote: (note) => void notes.push(note) });
    return isPromise(planned) ? planned.then(keep) : keep(planned);
  }

  private summaryText(failed: number, records: number, code: string | undefined, first: string): string {
    const summary = new FullStoryError(code !== undefined
      ? catalogText('config:errors.batch.partialFailureCode', { failed, records, code, first })
      : catalogText('config:errors.batch.partialFailure', { failed, records, first }), { code: 'partial_failure' });
    return localizeError(this.translate, summary);
  }

  // ---- batch mode ----

  private handleControl(msg: NodeMessageInFlow, send: Send, done: Done): boolean {
    const m = msg as NodeMessageInFlow & { flush?: unknown; reset?: unknown };
    const controlOnly = isControlOnly(msg);
    if (m.reset !== undefined && this.batch) {
      const dropped = this.batch.reset();
      if (controlOnly) return this.controlDone(msg, send, done, { control: 'reset', records: dropped });
    }
    if (controlOnly) {
      const flushed = m.flush !== undefined && this.batch ? this.batch.flush() : 0;
      return this.controlDone(msg, send, done, { control: m.flush !== undefined ? 'flush' : 'reset', records: flushed });
    }
    return false;
  }

  private controlDone(msg: NodeMessageInFlow, send: Send, done: Done, fullstory: Record<string, unknown>): true {
    this.leave(new HeldMessage(msg, send, done, undefined, ''), { ok: { fullstory }, control: true });
    return true;
  }

  private enqueue(msg: NodeMessageInFlow, send: Send, done: Done): void {
    const items = Array.isArray(msg.payload) ? (msg.payload as unknown[]) : undefined;
    // Each item is read once, here: a getter on the array fails that item, not the node.
    let unreadable: Map<number, unknown> | undefined;
    const values = items ? new Array<unknown>(items.length) : undefined;
    if (items && values) {
      for (let index = 0; index < values.length; index++) {
        try {
          values[index] = items[index];
        } catch (err) {
          (unreadable ??= new Map()).set(index, err);
        }
      }
    }
    const held = new HeldMessage(msg, send, done, values, this.behaviour.batchOperation);
    try {
      this.enqueueHeld(held, msg, unreadable);
    } catch (err) {
      // Our bug: every record without an outcome yet fails with it, so the msg still leaves.
      for (let index = 0; index < held.size; index++) this.rejectRecord(held, index, err);
    }
  }

  private enqueueHeld(held: HeldMessage, msg: NodeMessageInFlow, unreadable: Map<number, unknown> | undefined): void {
    const batch = this.batch!;
    const items = held.bulkItems;
    if (items && items.length === 0) {
      this.success(held, { operation: held.operation, mode: 'batch', records: 0, succeeded: 0, failed: 0, jobIds: [] });
      return;
    }
    const journalProblem = this.journalProblem ?? batch.journalProblem;
    if (journalProblem !== undefined) {
      this.failure(held, journalUnavailableError(journalProblem));
      return;
    }
    if (!batch.hasRoomFor(held.size)) {
      this.failure(held, bufferFull(batch.queuedCount));
      return;
    }
    if (!items) {
      this.enqueueOne(held, msg);
      return;
    }
    const records: BufferedRecord[] = [];
    const pending: Array<Promise<void>> = [];
    const count = held.size;
    for (let index = 0; index < count; index++) {
      if (unreadable?.has(index)) {
        this.rejectRecord(held, index, unreadableIndexError(index, unreadable.get(index)));
        continue;
      }
      try {
        // A bulk item is built as if it were the payload of its own msg, so editor fields that read
        // msg.payload.x apply per record.
        const view = { ...msg, payload: items[index] } as NodeMessageInFlow;
        const built = this.behaviour.buildRecord(view, { addNote: (note) => held.addNote({ ...note, index }) });
        if (isPromise(built)) {
          pending.push(built.then((r) => void records.push(this.bufferedRecord(held, index, r))).then(undefined, (err) => this.rejectRecord(held, index, err)));
        } else {
          records.push(this.bufferedRecord(held, index, built));
        }
      } catch (err) {
        this.rejectRecord(held, index, err);
      }
    }
    const hand = (): void => {
      let bytes = 0;
      for (const record of records) bytes += record.json.length;
      if (!batch.hasRoomForBytes(bytes)) {
        // All in or all out: the records built so far fail with the msg's other records.
        const error = bufferFull(batch.queuedCount);
        for (const record of records) this.rejectRecord(held, record.index, error);
        return;
      }
      if (records.length > 0) batch.add(records.sort((a, b) => a.index - b.index));
      if ((msg as { flush?: unknown }).flush !== undefined) batch.flush();
    };
    if (pending.length === 0) {
      hand();
      return;
    }
    this.track(
      Promise.all(pending)
        .then(hand)
        .then(undefined, (err) => {
          for (const record of records) this.rejectRecord(held, record.index, err);
        }),
    );
  }

  /** One record per msg: the hot path of batch mode, kept free of arrays, closures and promises. */
  private enqueueOne(held: HeldMessage, msg: NodeMessageInFlow): void {
    const flush = (msg as { flush?: unknown }).flush !== undefined;
    let built: unknown;
    try {
      built = this.behaviour.buildRecord(msg, held);
    } catch (err) {
      this.rejectRecord(held, 0, err);
      return;
    }
    if (isPromise(built)) {
      this.track(
        built
          .then((record) => this.addOne(held, record, flush))
          .then(undefined, (err) => this.rejectRecord(held, 0, err)),
      );
      return;
    }
    this.addOne(held, built, flush);
  }

  private addOne(held: HeldMessage, built: unknown, flush: boolean): void {
    const batch = this.batch!;
    const record = this.bufferedRecord(held, 0, built);
    if (!batch.hasRoomForBytes(record.json.length)) {
      this.rejectRecord(held, 0, bufferFull(batch.queuedCount));
      return;
    }
    batch.addOne(record, built);
    if (flush) batch.flush();
  }

  private bufferedRecord(held: HeldMessage, index: number, record: unknown): BufferedRecord {
    const json = flatString(JSON.stringify(record));
    // seq is set by the journal; declared here so every record has one shape (no property added later).
    return { json, importKey: recordImportKey(this.behaviour.resource, record), held, index, seq: undefined };
  }

  /** Invalid records fail at once and never reach a job (so they cannot poison it). */
  private rejectRecord(held: HeldMessage, index: number, err: unknown): void {
    let error = asFullStoryError(err);
    if (error.code === 'internal_error') {
      // Not one of our checks: a value in the msg that throws when read is the user's, not our bug.
      const unreadable = held.bulkItems ? unreadableItemError(held.bulkItems[index], index, held.msg) : unreadableMsgError(held.msg);
      error = unreadable ?? error;
    }
    if (held.settle(index, { ok: false, error })) held.deliver(this);
  }

  // ---- single mode ----

  private async sendSingle(msg: NodeMessageInFlow, send: Send, done: Done): Promise<void> {
    const held = new HeldMessage(msg, send, done, undefined, '');
    let call: SingleCall | undefined;
    const report: Record<string, unknown> = { mode: 'single' };
    try {
      const planned = this.behaviour.planSingle(msg);
      call = isPromise(planned) ? await planned : planned;
      report.operation = call.operation;
      const body = call.call.request.body === undefined ? undefined : JSON.stringify(call.call.request.body);
      if (call.call.idempotent) {
        const digest = requestDigest(call.call.request.method, call.call.request.path, body);
        report.idempotencyKey = idempotencyKeyFor((msg as { fullstory?: unknown }).fullstory, digest);
        report.requestDigest = digest;
      }
      this.status.requestStarted();
      try {
        const options: CallOptions = { idempotencyKey: report.idempotencyKey as string | undefined, signal: this.closing.signal, onAttempt: this.onAttempt };
        const client = this.config!.client();
        const response = call.collectPagesUpTo !== undefined && isPaged(call.call)
          ? await collectAllPages(client, call.call as PagedCall<Page<unknown>>, options, call.collectPagesUpTo)
          : await callApi(client, { ...call.call, request: { ...call.call.request, body } }, options);
        const { id, payload } = call.interpret(response.data);
        Object.assign(report, { status: response.status, attempts: response.attempts, response: response.data });
        if (id !== undefined) report.id = id;
        if ('truncated' in response) report.truncated = response.truncated;
        if (payload !== undefined) msg.payload = payload;
      } finally {
        this.status.requestEnded();
      }
      this.success(held, report);
    } catch (err) {
      const error = asFullStoryError(err);
      if (error.attempts) report.attempts = error.attempts;
      if (error.status) report.status = error.status;
      const met = call?.goalMet?.(error);
      if (met) this.success(held, Object.assign(report, met));
      else this.failure(held, error, report);
    }
  }

  /**
   * Keeps async work in sight for close(). The tracked promise cannot reject: a failure here would be
   * our bug (every msg's own failures are settled before), so it is logged, never left unhandled.
   */
  private track(work: Promise<void>): void {
    const tracked: Promise<void> = work.then(
      () => void this.inFlight.delete(tracked),
      (err: unknown) => {
        this.inFlight.delete(tracked);
        this.internalFault(err);
      },
    );
    this.inFlight.add(tracked);
  }

  private internalFault(err: unknown): void {
    this.logError(internalFaultText(this.translate, thrownText(err, 300)));
  }
}

function bufferFull(queued: number): FullStoryError {
  return new FullStoryError(catalogText('config:errors.batch.bufferFull', { queued }), { code: 'buffer_full', retryable: true });
}

/** The code to show as "FullStory unreachable" for a failed attempt; undefined when FullStory answered. */
function unreachableCode(failure: FullStoryError | undefined): string | undefined {
  if (!failure) return undefined;
  if (failure.code === 'network_error' || failure.code === 'timeout') return failure.code;
  // A gateway in front of FullStory answered for it: FullStory itself was not reached.
  if (failure.status === 502 || failure.status === 503 || failure.status === 504) return failure.code;
  return undefined;
}

/**
 * GET list endpoints: gathers every page's `results`, capped so a flow never pulls an unbounded
 * user list into memory, and bounded like every page loop (paging.ts): all pages share the
 * config's retry budget, and at most maxPagesFor(cap) pages are asked for.
 */
async function collectAllPages(
  client: FullStoryClient,
  first: PagedCall<Page<unknown>>,
  options: CallOptions,
  cap: number,
): Promise<{ status: number; attempts: number; data: unknown; truncated: boolean }> {
  let attempts = 0;
  let status = 200;
  const deadline = Date.now() + client.retryBudgetMs;
  const fetchPage = async (pageToken: string | undefined): Promise<Page<unknown>> => {
    try {
      const response = await callApi(client, pageToken === undefined ? first : first.page(pageToken), { ...options, deadline });
      attempts += response.attempts;
      status = response.status;
      return response.data;
    } catch (err) {
      if (err instanceof FullStoryError) attempts += err.attempts;
      throw err;
    }
  };
  try {
    const paged = await followPages<unknown>(fetchPage, { call: first.name, deadline, maxPages: maxPagesFor(cap), cap });
    const data = { ...paged.lastPage, results: paged.results, next_page_token: undefined };
    return { status, attempts, data, truncated: paged.truncated };
  } catch (err) {
    // A failure reports the attempts of every page, not only those of its own request.
    if (err instanceof FullStoryError) err.attempts = attempts;
    throw err;
  }
}

/** Registers the 'input' and 'close' handlers of a data node on its controller. */
export function attachController(RED: NodeAPI, node: Node, def: DataNodeDef, behaviour: DataNodeBehaviour): DataNodeController {
  const config = (RED.nodes.getNode(def.server) as unknown as ClientProvider | null) ?? null;
  const controller = new DataNodeController(RED, node, def, config && typeof config.client === 'function' ? config : null, behaviour);
  node.on('input', (msg: NodeMessageInFlow, send: Send, done: Done) => controller.handle(msg, send, done));
  // Two parameters: Node-RED then waits for done() (fn.length is checked).
  node.on('close', (removed: boolean, done: () => void) => {
    const closing = controller.close(removed === true);
    controller.holdConfigOpen(closing);
    closing.then(
      () => done(),
      (err: unknown) => {
        node.error(asFullStoryError(err).message);
        done();
      },
    );
  });
  return controller;
}
