// Single mode: each msg is one FullStory call, sent at once (a list follows its pages); the msg
// leaves with the answer on output 1 or the error on output 2.

import type { NodeMessageInFlow } from 'node-red';
import type { Page } from '../api/types';
import { callApi, isPaged, type CallOptions, type PagedCall } from '../api/endpoints';
import { collectAllPages } from '../api/paging';
import { asFullStoryError, type FullStoryError } from '../api/errors';
import type { FullStoryClient } from '../api/client';
import { idempotencyKeyFor, requestDigest } from '../api/idempotency';
import { HeldMessage, type Done, type Send } from '../delivery/held-message';
import type { InputNote } from '../validate/notes';
import type { DataNodeExit } from './message-exit';
import { isPromise, type DataNodeBehaviour, type MaybePromise, type SingleCall } from './node-behaviour';
import type { NodeStatusBoard } from './node-status';

export class SingleMode {
  constructor(
    private readonly behaviour: DataNodeBehaviour,
    private readonly exit: DataNodeExit,
    private readonly status: NodeStatusBoard,
    private readonly config: { client(): FullStoryClient },
    /** Aborted when the node's close budget runs out: calls in flight are cut off. */
    private readonly closingSignal: AbortSignal,
    private readonly onAttempt: (failure: FullStoryError | undefined) => void,
  ) {}

  async send(msg: NodeMessageInFlow, send: Send, done: Done): Promise<void> {
    const held = new HeldMessage(msg, send, done, undefined, '');
    let call: SingleCall | undefined;
    const report: Record<string, unknown> = { mode: 'single' };
    try {
      const planned = this.planWithNotes(msg);
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
        const options: CallOptions = { idempotencyKey: report.idempotencyKey as string | undefined, signal: this.closingSignal, onAttempt: this.onAttempt };
        const client = this.config.client();
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
      this.exit.success(held, report);
    } catch (err) {
      const error = asFullStoryError(err);
      if (error.attempts) report.attempts = error.attempts;
      if (error.status) report.status = error.status;
      const met = call?.goalMet?.(error);
      if (met) this.exit.success(held, Object.assign(report, met));
      else this.exit.failure(held, error, report);
    }
  }

  /** Single mode: collects the notes of planning the msg's call until the msg leaves. */
  private planWithNotes(msg: NodeMessageInFlow): MaybePromise<SingleCall> {
    const notes: InputNote[] = [];
    const keep = (call: SingleCall): SingleCall => {
      if (notes.length > 0) this.exit.keepNotes(msg, notes);
      return call;
    };
    const planned = this.behaviour.planSingle(msg, { addNote: (note) => void notes.push(note) });
    return isPromise(planned) ? planned.then(keep) : keep(planned);
  }
}
