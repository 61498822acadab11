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

export interface SyncHolder {
  /** Resolves once an fdatasync is held (at once if one is held already). */
  held(): Promise<void>;
  /** Lets every held fdatasync go on, and every later one go through without being held. */
  releaseAll(): void;
  restore(): void;
}

/**
 * Holds the journal's fdatasync calls until released: a test can then put a record in while a
 * group commit is on its way to the disk, whatever the machine's speed.
 */
export function holdJournalSyncs(): SyncHolder {
  const original = fs.fdatasync;
  let holding = true;
  const heldCalls: Array<() => void> = [];
  let wake: (() => void) | undefined;
  const stub = sinon.stub(fs, 'fdatasync').callsFake(((fd: number, callback: (err: NodeJS.ErrnoException | null) => void) => {
    const go = (): void => original(fd, callback);
    if (!holding) return go();
    heldCalls.push(go);
    wake?.();
  }) as typeof fs.fdatasync);
  return {
    held: () =>
      heldCalls.length > 0
        ? Promise.resolve()
        : new Promise<void>((resolve) => {
            wake = () => {
              wake = undefined;
              resolve();
            };
          }),
    releaseAll() {
      holding = false;
      for (const go of heldCalls.splice(0)) go();
    },
    restore: () => stub.restore(),
  };
}
