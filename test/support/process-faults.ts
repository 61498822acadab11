// Mocha root hooks (registered in .mocharc.json): an unhandled promise rejection or an uncaught
// exception raised anywhere while the suite runs makes the run fail, naming the test it happened
// in. Without this, mocha swallows unhandled rejections (it re-emits them on `process` with no
// listener left), while in Node-RED one of them stops the whole runtime.

import { inspect } from 'node:util';

export interface ProcessFault {
  kind: 'unhandled rejection' | 'uncaught exception';
  /** The test that was running (or had just run) when it was raised. */
  during: string;
  error: unknown;
}

const faults: ProcessFault[] = [];
/** Mocha re-emits each unhandled rejection once more: count every promise once. */
const seen = new WeakSet<Promise<unknown>>();
let during = '(before the first test)';
let reported = 0;

process.on('unhandledRejection', (error: unknown, promise: Promise<unknown>) => {
  if (seen.has(promise)) return;
  seen.add(promise);
  faults.push({ kind: 'unhandled rejection', during, error });
});
// A monitor only watches: mocha still fails the running test for the exception as it always did.
process.on('uncaughtExceptionMonitor', (error: unknown) => {
  faults.push({ kind: 'uncaught exception', during, error });
});

/** How many faults have been seen so far (tests that provoke hostile cases compare before/after). */
export function processFaultCount(): number {
  return faults.length;
}

/** The faults seen since `from` (an earlier processFaultCount()). */
export function processFaultsSince(from: number): readonly ProcessFault[] {
  return faults.slice(from);
}

export function describeFault(fault: ProcessFault): string {
  // The first stack lines say where it came from; the rest is Node-RED's and lodash's plumbing.
  const text = inspect(fault.error, { depth: 3 }).split('\n').slice(0, 14).join('\n');
  return `${fault.kind} during "${fault.during}": ${text}`;
}

export const mochaHooks = {
  beforeEach(this: Mocha.Context): void {
    during = this.currentTest?.fullTitle() ?? during;
  },
  afterEach(): void {
    // Said at once (the run goes on, so that every other test still runs); the run fails in afterAll.
    for (const fault of faults.slice(reported)) console.error(`\n[process-faults] ${describeFault(fault)}`);
    reported = faults.length;
  },
  afterAll(): void {
    if (faults.length === 0) return;
    throw new Error(
      `${faults.length} unhandled rejection(s) / uncaught exception(s) while the suite ran; ` +
        `our code must never let one escape:\n${faults.map(describeFault).join('\n')}`,
    );
  },
};
