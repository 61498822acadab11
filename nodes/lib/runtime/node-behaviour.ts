// What a data node (user, event) tells the shared controller: how to build its requests from a msg.
// Everything else (input, batch buffer, exits, status) is the controller's (data-node.ts).

import type { NodeMessageInFlow } from 'node-red';
import type { BatchResource } from '../api/types';
import type { ApiCall } from '../api/endpoints';
import type { FullStoryError } from '../api/errors';
import type { NoteSink } from '../validate/notes';

/** One single-mode call: the FullStory call (api/endpoints.ts) and how to read its checked answer. */
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

export type MaybePromise<T> = T | Promise<T>;

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

export const isPromise = <T>(value: MaybePromise<T>): value is Promise<T> =>
  typeof (value as Promise<T> | undefined)?.then === 'function';
