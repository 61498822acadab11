// Where a data node's batch journal lives and how opening it goes: the path from the config node's
// setting and Node-RED's user directory, and what to tell the user when it cannot be used; then
// how a node wires its journal in: notices in the status and the log, recovered records resumed.

import fs from 'node:fs';
import path from 'node:path';
import type { Node, NodeAPI, NodeMessage, NodeMessageInFlow } from 'node-red';
import { catalogText, type CatalogText } from '../api/texts';
import type { BatchBuffer } from '../batch/buffer';
import { Journal, type JournalNotice, type JournalRecord, type JournalState } from '../batch/journal';
import { sayText, type Translate } from '../delivery/error-text';
import { RecoveredMessage, type HeldMessage } from '../delivery/held-message';
import type { NodeStatusBoard } from './node-status';
import type { JournalSetting } from './settings';

/** Default place, under Node-RED's user directory (one file per node id). */
export const JOURNAL_DIR_NAME = 'fullstory-journal';

export type OpenedNodeJournal =
  | { journal: Journal; state: JournalState; notices: JournalNotice[] }
  | { problem: string; file?: string };

/** A node id as a file name: ids are hex (subflow instances add `-`), anything else is replaced. */
export function journalFile(directory: string, nodeId: string): string {
  return path.join(directory, `${nodeId.replace(/[^A-Za-z0-9_.-]/g, '_')}.journal`);
}

/** The node's journal file: in the config's folder (relative to the user directory), else in the default one. */
export function journalPath(setting: JournalSetting, userDir: unknown, nodeId: string): string | undefined {
  const home = typeof userDir === 'string' && userDir !== '' ? userDir : undefined;
  const directory = setting.directory !== '' ? path.resolve(home ?? '.', setting.directory) : home && path.join(home, JOURNAL_DIR_NAME);
  return directory === undefined ? undefined : journalFile(directory, nodeId);
}

/** A journal left by an earlier life in batch mode with the journal on, now unused (single mode, or journal off). */
export function unusedJournal(setting: JournalSetting, userDir: unknown, nodeId: string): string | undefined {
  const file = journalPath(setting, userDir, nodeId);
  return file !== undefined && fs.existsSync(file) ? file : undefined;
}

/**
 * Opens the node's journal, or says why it cannot be used (an errno code such as EACCES, or
 * NO_USER_DIR when the runtime names no user directory and the config names no directory).
 */
export function openNodeJournal(setting: JournalSetting, userDir: unknown, nodeId: string): OpenedNodeJournal {
  const file = journalPath(setting, userDir, nodeId);
  if (file === undefined) return { problem: 'NO_USER_DIR' };
  try {
    return Journal.open(file);
  } catch (err) {
    return { problem: (err as NodeJS.ErrnoException).code ?? 'EIO', file };
  }
}

/** A journal of an earlier life (batch mode, journal on) that this one will not read: said, never deleted. */
export function warnOfUnusedJournal(RED: NodeAPI, node: Node, setting: JournalSetting, translate: Translate): void {
  const unused = unusedJournal({ ...setting, enabled: true }, (RED.settings as unknown as { userDir?: unknown }).userDir, node.id);
  if (unused) node.warn(sayText(translate, catalogText('config:log.journal.unused', { file: unused })));
}

/**
 * A batch-mode node's journal: opened, what opening it found said in the status and the log, and
 * the records it holds from an earlier life resumed as new msgs once the flows have started.
 */
export class DataNodeJournal {
  /** Batch mode with the journal on, when it could not be opened: why (an errno code). */
  private unusable: string | undefined;
  /** Picks up what the journal holds once the flows have started (so recovered msgs have somewhere to go). */
  private stopResume: (() => void) | undefined;

  constructor(
    private readonly RED: NodeAPI,
    private readonly node: Node,
    private readonly status: NodeStatusBoard,
    private readonly translate: Translate,
  ) {}

  /** Why the journal cannot be used (an errno code), while it cannot: batch msgs are refused. */
  get problem(): string | undefined {
    return this.unusable;
  }

  /** Opens the batch journal (when on); says so in the status and the log when it cannot be used. */
  open(setting: JournalSetting): { journal: Journal; state: JournalState } | undefined {
    if (!setting.enabled) return undefined;
    const opened = openNodeJournal(setting, (this.RED.settings as unknown as { userDir?: unknown }).userDir, this.node.id);
    if ('problem' in opened) {
      const where = opened.file ?? setting.directory;
      this.node.error(this.say(catalogText('config:log.journal.unavailable', { code: opened.problem, file: where })));
      this.unavailable(opened.problem);
      return undefined;
    }
    for (const notice of opened.notices) this.reportNotice(opened.journal.file, notice);
    return opened;
  }

  private reportNotice(file: string, notice: JournalNotice): void {
    if (notice.kind === 'torn') {
      this.node.warn(this.say(catalogText('config:log.journal.torn', { file, offset: notice.offset, bytes: notice.bytes })));
      this.status.journalNotice('torn');
    } else {
      this.node.error(this.say(catalogText('config:log.journal.unreadable', { file, movedTo: notice.movedTo })));
      this.status.journalNotice('unreadable');
    }
  }

  unavailable(code: string): void {
    this.unusable = code;
    this.status.journalUnavailable(code);
  }

  /** Closing for a restart / redeploy: the records that stay in the journal for the next instance. */
  kept(records: number, file: string): void {
    this.node.log(this.say(catalogText('config:log.journal.kept', { records, file })));
  }

  /** A removed node could not settle everything: its journal stays, with this many records owed. */
  orphaned(records: number, file: string): void {
    this.node.error(this.say(catalogText('config:log.journal.orphaned', { records, file })));
  }

  /** The records the journal held when opened (if any) go to `batch`, as new msgs of `batchOperation`. */
  resume(batch: BatchBuffer, opened: { journal: Journal; state: JournalState }, batchOperation: string): void {
    if (opened.state.records.size === 0) return;
    const { state } = opened;
    // Recovered records leave as new msgs: only once every node of the flow exists to take them.
    const resume = (): void => {
      this.stopResume = undefined;
      this.node.log(this.say(catalogText('config:log.journal.recovered', { records: state.records.size, jobs: state.jobs.size, file: opened.journal.file })));
      batch.resume(state, (record) => this.recoveredMessage(record, batchOperation));
    };
    batch.expectResume();
    this.RED.events.once('flows:started', resume);
    this.stopResume = () => this.RED.events.removeListener('flows:started', resume);
  }

  /** The node is closing: a resume still waiting for the flows to start will not happen. */
  stop(): void {
    this.stopResume?.();
  }

  /** The new msg a recovered record leaves as: payload as it was given, marked as recovered. */
  private recoveredMessage(record: JournalRecord, batchOperation: string): HeldMessage {
    let payload: unknown;
    try {
      payload = JSON.parse(record.payloadJson ?? record.json);
    } catch {
      payload = JSON.parse(record.json);
    }
    const acceptedAt = new Date(record.acceptedAt).toISOString();
    const msg = { _msgid: this.RED.util.generateId(), payload, fullstory: { recovered: true, acceptedAt } } as unknown as NodeMessageInFlow;
    return new RecoveredMessage(msg, (out) => this.node.send(out as NodeMessage), batchOperation, acceptedAt);
  }

  /** A log text in the runtime's language (English where the runtime has no catalog). */
  private say(text: CatalogText): string {
    return sayText(this.translate, text);
  }
}
