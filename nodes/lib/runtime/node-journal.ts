// Where a data node's batch journal lives and how opening it goes: the path from the config node's
// setting and Node-RED's user directory, and what to tell the user when it cannot be used.

import fs from 'node:fs';
import path from 'node:path';
import { Journal, type JournalNotice, type JournalState } from '../batch/journal';
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
