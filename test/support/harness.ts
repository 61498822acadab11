// Shared test plumbing: the sandbox on loopback, node-red-node-test-helper with our three nodes,
// and output collectors that count how often each msg leaves.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import helper from 'node-red-node-test-helper';
import type { Node, NodeMessage } from 'node-red';
import configNode from '../../nodes/fullstory-config/fullstory-config';
import userNode from '../../nodes/fullstory-user/fullstory-user';
import eventNode from '../../nodes/fullstory-event/fullstory-event';
import { editorNode } from './editor-defaults';

helper.init(process.env.FULLSTORY_NODE_RED_PATH ?? require.resolve('node-red'));

export { helper };

// Node-RED's user directory, where batch nodes keep their journals (<userDir>/fullstory-journal).
// Every flow load gets a fresh one, so no test sees another's journal, unless a test pins one to
// load the same node ids again over the same journals (a restart, a redeploy).
const userDirRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'fullstory-test-'));
process.on('exit', () => fs.rmSync(userDirRoot, { recursive: true, force: true }));
let pinnedUserDir: string | undefined;

/** A new, empty user directory (removed when the test process ends). */
export function freshUserDir(): string {
  return fs.mkdtempSync(path.join(userDirRoot, 'user-'));
}

/** Loads from now on use `dir` as the user directory (undefined: a fresh one per load again). */
export function pinUserDir(dir: string | undefined): void {
  pinnedUserDir = dir;
}

const loadWithoutUserDir = helper.load.bind(helper);
helper.load = ((...args: Parameters<typeof helper.load>) => {
  const settings = (helper as unknown as { _settings?: Record<string, unknown> })._settings;
  if (settings) settings.userDir = pinnedUserDir ?? freshUserDir();
  return loadWithoutUserDir(...args);
}) as typeof helper.load;
export const ADMIN_KEY = 'na1.admin-key';
export const STANDARD_KEY = 'na1.standard-key';
export const NODES = [configNode, userNode, eventNode];

export type FlowNode = Record<string, unknown> & { id: string; type: string };

/**
 * A config node pointing at the sandbox: the editor's defaults, with small retry settings so
 * failing tests stay fast.
 */
export function configFor(url: string, extra: Record<string, unknown> = {}): FlowNode {
  return editorNode('fullstory-config', { id: 'cfg', baseUrl: url, timeout: 2, maxAttempts: 3, retryBudget: 10, ...extra });
}

/**
 * A data node as the editor saves it (its `defaults` from the .html, the server set to `cfg`)
 * with only `changes` applied; an unknown setting throws (see editorNode).
 */
export function dataNode(changes: Record<string, unknown> & { id: string; type: string }): FlowNode {
  const { type, ...rest } = changes;
  return editorNode(type, { server: 'cfg', ...rest });
}

/** A data node (see dataNode) wired to two helper nodes: `ok` (output 1) and `fail` (output 2). */
export function dataFlow(url: string, node: Record<string, unknown> & { type: string }, config: Record<string, unknown> = {}): FlowNode[] {
  return [
    { id: 'f1', type: 'tab', label: 'test' },
    configFor(url, config),
    dataNode({ id: 'n1', z: 'f1', wires: [['ok'], ['fail']], ...node }),
    { id: 'ok', z: 'f1', type: 'helper' },
    { id: 'fail', z: 'f1', type: 'helper' },
  ];
}

export interface Collected {
  ok: NodeMessage[];
  fail: NodeMessage[];
  /** Resolves once `count` msgs have left on either output in total. */
  waitFor(count: number, timeoutMs?: number): Promise<void>;
}

export function collect(okId = 'ok', failId = 'fail'): Collected {
  const ok: NodeMessage[] = [];
  const fail: NodeMessage[] = [];
  const waiters: Array<{ count: number; resolve: () => void }> = [];
  const check = () => {
    for (const w of [...waiters]) {
      if (ok.length + fail.length >= w.count) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  };
  (helper.getNode(okId) as Node).on('input', (msg: NodeMessage) => { ok.push(msg); check(); });
  (helper.getNode(failId) as Node).on('input', (msg: NodeMessage) => { fail.push(msg); check(); });
  return {
    ok,
    fail,
    waitFor(count: number, timeoutMs = 15_000) {
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`timed out waiting for ${count} msgs (ok ${ok.length}, fail ${fail.length})`)), timeoutMs);
        waiters.push({ count, resolve: () => { clearTimeout(timer); resolve(); } });
        check();
      });
    },
  };
}

/** Loads a flow; `apiKey: null` loads the config node without a key. */
export async function loadFlow(flow: FlowNode[], apiKey: string | null = ADMIN_KEY): Promise<void> {
  await helper.load(NODES as never, flow, apiKey === null ? {} : { cfg: { apiKey } });
}

export function inject(msg: Record<string, unknown>, nodeId = 'n1'): void {
  (helper.getNode(nodeId) as Node).receive(msg as NodeMessage);
}

/** Counts exits per _msgid across both outputs: each input msg must leave exactly once. */
export function exitCounts(c: Collected): Map<string, number> {
  const counts = new Map<string, number>();
  for (const m of [...c.ok, ...c.fail]) counts.set(m._msgid as string, (counts.get(m._msgid as string) ?? 0) + 1);
  return counts;
}

export const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
export const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
