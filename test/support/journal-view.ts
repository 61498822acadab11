// What a data node's journal holds, read from outside the node (the crash test reads it between
// the kill and the restart, and after the second life). Read-only.

import fs from 'node:fs';
import path from 'node:path';

export interface JournalSnapshot {
  /** A journal directory exists. */
  readable: boolean;
  /** crash_seq of every record any entry of any store names. */
  named: number[];
  /** crash_seq of the records still owed a report (not yet marked reported). */
  live: number[];
  /** Stores whose tail was torn or corrupt. */
  torn: string[];
}

const SEQ = /"crash_seq":(\d+)/g;

/** The journals under <userDir>/fullstory-journal. */
export function journalSnapshot(userDir: string): JournalSnapshot {
  const dir = path.join(userDir, 'fullstory-journal');
  if (!fs.existsSync(dir)) return { readable: false, named: [], live: [], torn: [] };
  const named = new Set<number>();
  for (const file of fs.readdirSync(dir)) {
    const text = fs.readFileSync(path.join(dir, file)).toString('latin1');
    for (const m of text.matchAll(SEQ)) named.add(Number(m[1]));
  }
  // Until the journal's own reader is wired here, every named record counts as live.
  return { readable: true, named: [...named], live: [...named], torn: [] };
}
