// Batch mode's intake: a msg's payload becomes records in the batch buffer (one, or one per item
// of an array payload), and flush / reset control msgs act on the buffer. A record that cannot be
// built fails at once; the others leave once their import job reports (batch/).

import type { NodeMessageInFlow } from 'node-red';
import { asFullStoryError, FullStoryError } from '../api/errors';
import { catalogText } from '../api/texts';
import { journalUnavailableError, type BatchBuffer, type BufferedRecord } from '../batch/buffer';
import { flatString } from '../batch/flat-string';
import { recordImportKey } from '../batch/outcomes';
import { HeldMessage, type Done, type Send } from '../delivery/held-message';
import { unreadableIndexError, unreadableItemError, unreadableMsgError } from '../validate/unreadable-input';
import type { DataNodeExit } from './message-exit';
import { isPromise, type DataNodeBehaviour } from './node-behaviour';
import type { DataNodeJournal } from './node-journal';

/** A msg whose payload is no record but flush / reset is a control msg, not an input record. */
function isControlOnly(msg: NodeMessageInFlow): boolean {
  const m = msg as NodeMessageInFlow & { flush?: unknown; reset?: unknown };
  if (m.flush === undefined && m.reset === undefined) return false;
  return m.payload === null || typeof m.payload !== 'object';
}

/**
 * flush / reset: acts on the batch buffer (single mode has none). True when the msg was only that
 * and has left; a msg that also carries a record goes on as input.
 */
export function handleControl(msg: NodeMessageInFlow, send: Send, done: Done, batch: BatchBuffer | undefined, exit: DataNodeExit): boolean {
  const m = msg as NodeMessageInFlow & { flush?: unknown; reset?: unknown };
  const controlOnly = isControlOnly(msg);
  if (m.reset !== undefined && batch) {
    const dropped = batch.reset();
    if (controlOnly) return controlDone(msg, send, done, exit, { control: 'reset', records: dropped });
  }
  if (controlOnly) {
    const flushed = m.flush !== undefined && batch ? batch.flush() : 0;
    return controlDone(msg, send, done, exit, { control: m.flush !== undefined ? 'flush' : 'reset', records: flushed });
  }
  return false;
}

function controlDone(msg: NodeMessageInFlow, send: Send, done: Done, exit: DataNodeExit, fullstory: Record<string, unknown>): true {
  exit.control(new HeldMessage(msg, send, done, undefined, ''), fullstory);
  return true;
}

export class BatchIntake {
  constructor(
    private readonly batch: BatchBuffer,
    private readonly behaviour: DataNodeBehaviour,
    private readonly exit: DataNodeExit,
    /** Why the node's journal could not be opened, if so: batch msgs are refused meanwhile. */
    private readonly journal: DataNodeJournal,
    /** Keeps async work in sight for the node's close(). */
    private readonly track: (work: Promise<void>) => void,
  ) {}

  enqueue(msg: NodeMessageInFlow, send: Send, done: Done): void {
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
    const batch = this.batch;
    const items = held.bulkItems;
    if (items && items.length === 0) {
      this.exit.success(held, { operation: held.operation, mode: 'batch', records: 0, succeeded: 0, failed: 0, jobIds: [] });
      return;
    }
    const journalProblem = this.journal.problem ?? batch.journalProblem;
    if (journalProblem !== undefined) {
      this.exit.failure(held, journalUnavailableError(journalProblem));
      return;
    }
    if (!batch.hasRoomFor(held.size)) {
      this.exit.failure(held, bufferFull(batch.queuedCount));
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
    const batch = this.batch;
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
    if (held.settle(index, { ok: false, error })) held.deliver(this.exit);
  }
}

function bufferFull(queued: number): FullStoryError {
  return new FullStoryError(catalogText('config:errors.batch.bufferFull', { queued }), { code: 'buffer_full', retryable: true });
}
