import assert from 'node:assert/strict';
import fc from 'fast-check';
import { RequestGate, Semaphore } from '../../nodes/lib/api/limits';
import { MAX_RETRY_AFTER_MS } from '../../nodes/lib/api/retry-policy';
import { numRuns } from '../support/fc-runs';

describe('limits', function () {
  it('Semaphore hands out at most capacity slots, FIFO', async function () {
    const sem = new Semaphore(2);
    const order: number[] = [];
    const r1 = await sem.acquire();
    const r2 = await sem.acquire();
    const p3 = sem.acquire().then((r) => { order.push(3); return r; });
    const p4 = sem.acquire().then((r) => { order.push(4); return r; });
    await new Promise((r) => setImmediate(r));
    assert.equal(sem.inUse, 2);
    assert.equal(sem.waiting, 2);
    r1();
    r1(); // releasing twice must not free two slots
    const r3 = await p3;
    assert.equal(sem.inUse, 2);
    assert.deepEqual(order, [3]);
    r2();
    await p4;
    assert.deepEqual(order, [3, 4]);
    r3();
  });

  it('RequestGate spaces requests by the rate limit and honours a pause', function () {
    let now = 1000;
    const gate = new RequestGate(10, () => now);
    assert.equal(gate.reserve(), 0);
    assert.equal(gate.reserve(), 100);
    assert.equal(gate.reserve(), 200);
    now = 5000;
    gate.pauseUntil(8000);
    assert.equal(gate.reserve(), 3000);
    const unlimited = new RequestGate(0, () => now);
    assert.equal(unlimited.reserve(), 0);
    assert.equal(unlimited.reserve(), 0);
  });

  it('RequestGate never pauses for longer than MAX_RETRY_AFTER_MS, whatever it is told', function () {
    let now = 1_000_000;
    const gate = new RequestGate(0, () => now);
    gate.pauseUntil(now + 1e12);
    assert.equal(gate.reserve(), MAX_RETRY_AFTER_MS, 'an absurd pause is cut to the cap');
    now += MAX_RETRY_AFTER_MS;
    assert.equal(gate.reserve(), 0, 'after the cap, requests flow again');
    gate.pauseUntil(Number.NaN);
    gate.pauseUntil(Number.NEGATIVE_INFINITY);
    assert.equal(gate.reserve(), 0);
  });

  it('RequestGate: any sequence of pauses and reservations waits at most the cap (plus rate spacing)', function () {
    const until = fc.oneof(fc.double(), fc.integer({ min: -1e6, max: 1e13 }), fc.constantFrom(Number.POSITIVE_INFINITY, Number.NaN));
    const step = fc.oneof(
      fc.record({ pause: until, relative: fc.boolean() }),
      fc.record({ advance: fc.integer({ min: 0, max: 2 * MAX_RETRY_AFTER_MS }) }),
      fc.constant({ reserve: true }),
    );
    fc.assert(
      fc.property(fc.constantFrom(0, 10), fc.array(step, { maxLength: 30 }), (rate, steps) => {
        let now = 5_000_000;
        const gate = new RequestGate(rate, () => now);
        let reserved = 0;
        for (const s of steps) {
          if ('pause' in s) gate.pauseUntil(s.relative ? now + s.pause : s.pause);
          else if ('advance' in s) now += s.advance;
          else {
            const wait = gate.reserve();
            reserved++;
            assert.ok(wait >= 0 && wait <= MAX_RETRY_AFTER_MS + (rate ? (reserved * 1000) / rate : 0), `waited ${wait}`);
          }
        }
        now += MAX_RETRY_AFTER_MS;
        if (rate === 0) assert.equal(gate.reserve(), 0, 'the cap has passed: nothing waits');
      }),
      { numRuns: numRuns(300) },
    );
  });
});
