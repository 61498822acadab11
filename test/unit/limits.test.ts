import assert from 'node:assert/strict';
import { RequestGate, Semaphore } from '../../nodes/shared/limits';

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
});
