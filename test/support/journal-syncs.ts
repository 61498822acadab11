// Waiting for a batch journal's group commit in tests: a record counts as accepted (queued, status,
// eligible for a job) only once its group is on disk. Counting completed fdatasync calls (after the
// journal's own callback has run) gives a state to wait on, not a time.

import fs from 'node:fs';
import sinon from 'sinon';

export interface SyncCounter {
  /** fdatasync calls whose callback has run. */
  readonly count: number;
  restore(): void;
}

export function countJournalSyncs(): SyncCounter {
  const original = fs.fdatasync;
  let count = 0;
  const stub = sinon.stub(fs, 'fdatasync').callsFake(((fd: number, callback: (err: NodeJS.ErrnoException | null) => void) =>
    original(fd, (err) => {
      callback(err);
      count++;
    })) as typeof fs.fdatasync);
  return {
    get count() {
      return count;
    },
    restore: () => stub.restore(),
  };
}
