// What batch nodes' journals hold, read from outside the nodes with the journal's own reader (the
// crash test reads them between the kill and the restart, and after the second life). Read-only.

import fs from 'node:fs';
import path from 'node:path';
import { readFrames } from '../../nodes/lib/batch/journal-file';
import { replay } from '../../nodes/lib/batch/journal';

export interface JournalSnapshot {
  /** A journal directory exists. */
  readable: boolean;
  /** crash_seq of every record a good frame of a store names (accepted; maybe reported since). */
  named: number[];
  /** crash_seq of the records a store still owes a report (replayed as the node would). */
  live: number[];
  /** Stores whose tail was torn or corrupt (the node cuts it off at its next start). */
  torn: string[];
}

/** crash_seq of a record JSON (the crash test's records carry it in their properties). */
function seqOf(json: unknown): number | undefined {
  const seq = (json as { properties?: { crash_seq?: unknown } } | null)?.properties?.crash_seq;
  return typeof seq === 'number' ? seq : undefined;
}

/** Every store (<node id>.journal) under <userDir>/fullstory-journal. */
export function journalSnapshot(userDir: string): JournalSnapshot {
  const dir = path.join(userDir, 'fullstory-journal');
  const snapshot: JournalSnapshot = { readable: fs.existsSync(dir), named: [], live: [], torn: [] };
  if (!snapshot.readable) return snapshot;
  const named = new Set<number>();
  for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.journal'))) {
    const read = readFrames(fs.readFileSync(path.join(dir, file)));
    if (read.stoppedBy || read.foreign) snapshot.torn.push(`${file}: ${read.foreign ? 'not a journal' : read.stoppedBy}`);
    for (const payload of read.payloads) {
      const entry = JSON.parse(payload) as { t?: unknown; r?: unknown };
      const seq = entry.t === 'a' ? seqOf(entry.r) : undefined;
      if (seq !== undefined) named.add(seq);
    }
    for (const record of replay(read.payloads).state.records.values()) {
      const seq = record.reported ? undefined : seqOf(JSON.parse(record.json));
      if (seq !== undefined) snapshot.live.push(seq);
    }
  }
  snapshot.named = [...named];
  return snapshot;
}
