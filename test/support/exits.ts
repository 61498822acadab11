// Counting how msgs leave the data nodes under test: exits on the two outputs (per _msgid) and
// done() calls (through Node-RED's onComplete hook, which still fires while a node closes).

import assert from 'node:assert/strict';
import { hooks } from '@node-red/util';
import type { Node, NodeMessage } from 'node-red';
import { exitCounts, helper, type Collected } from './harness';

export type MsgError = { code: string; message: string; retryable: boolean; attempts: number; status?: number; jobId?: string; index?: number; field?: string };
export type Out = NodeMessage & { _msgid: string; topic?: string; error?: MsgError; errors?: MsgError[]; fullstory?: Record<string, unknown> };

/** done() calls per _msgid of the data nodes n1 and n2. */
export const completions = new Map<string, number>();
/** The error each msg's done(err) was called with (done() without one is not listed). */
export const doneErrors = new Map<string, Error & { code?: string }>();

export function trackDone(): void {
  completions.clear();
  doneErrors.clear();
  hooks.add('onComplete.exittest', (event: { msg: { _msgid: string }; node: { id: string }; error?: Error }) => {
    if (event.node.id !== 'n1' && event.node.id !== 'n2') return;
    completions.set(event.msg._msgid, (completions.get(event.msg._msgid) ?? 0) + 1);
    if (event.error) doneErrors.set(event.msg._msgid, event.error);
  });
}

export function untrackDone(): void {
  hooks.remove('*.exittest');
}

/** Sends a msg into a node; returns its _msgid. */
export function send(msg: Record<string, unknown>, node: string | Node = 'n1'): string {
  const m = { ...msg } as NodeMessage;
  (typeof node === 'string' ? (helper.getNode(node) as Node) : node).receive(m);
  return m._msgid as string;
}

export function assertDoneOnce(ids: string[]): void {
  assert.deepEqual([...completions.keys()].sort(), [...ids].sort(), 'done() was called for exactly these msgs');
  for (const id of ids) assert.equal(completions.get(id), 1, `done() called ${completions.get(id)} times for ${id}`);
}

/**
 * Each msg left exactly once (a partly failed bulk msg: once on each output, with the successes
 * and the failures) and had done() called exactly once; nothing else left.
 */
export function assertEachOnce(outs: Collected | Collected[], ids: string[], splitBulk: string[] = []): void {
  const all = Array.isArray(outs) ? outs : [outs];
  const counts = new Map<string, number>();
  for (const out of all) for (const [id, n] of exitCounts(out)) counts.set(id, (counts.get(id) ?? 0) + n);
  const expected = [...ids, ...splitBulk];
  assert.deepEqual([...counts.keys()].sort(), [...expected].sort(), 'the msgs that left are exactly the msgs sent');
  for (const id of ids) assert.equal(counts.get(id), 1, `msg ${id} left ${counts.get(id)} times`);
  for (const id of splitBulk) {
    assert.equal(all.flatMap((o) => o.ok).filter((m) => m._msgid === id).length, 1, `bulk msg ${id} once on output 1`);
    assert.equal(all.flatMap((o) => o.fail).filter((m) => m._msgid === id).length, 1, `bulk msg ${id} once on output 2`);
  }
  assertDoneOnce(expected);
}
