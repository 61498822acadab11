// Waiting helpers for tests that mix real loopback I/O with sinon fake timers (setImmediate is
// never faked, so I/O keeps running while fake time stands still).

import type sinon from 'sinon';

/** Lets real I/O run until `cond` holds (real time bound). */
export async function ioUntil(cond: () => boolean, what = 'condition', ms = 10_000): Promise<void> {
  const end = performance.now() + ms;
  while (!cond()) {
    if (performance.now() > end) throw new Error(`${what} not reached`);
    await new Promise((r) => setImmediate(r));
  }
}

/** Real I/O for a few turns: enough for a loopback request to be answered if one were on its way. */
export async function ioSettle(turns = 200): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise((r) => setImmediate(r));
}

/** With fake timers: advances fake time in steps, letting real I/O run between steps, until `cond`. */
export async function drive(clock: sinon.SinonFakeTimers, cond: () => boolean, stepMs = 20, maxMs = 120_000): Promise<void> {
  for (let t = 0; !cond(); t += stepMs) {
    if (t > maxMs) throw new Error('condition not reached in fake time');
    await ioSettle(20);
    if (!cond()) await clock.tickAsync(stepMs);
  }
}
