// The flush interval with the journal on: a record whose group commit reached the disk after a
// size dispatch had emptied the buffer (and stopped the timer) still leaves within the interval.
// Found by the crash test (a second life's last few msgs stayed in the journal, never sent).

import assert from 'node:assert/strict';
import { collect, dataFlow, loadFlow, tick } from '../support/harness';
import { send } from '../support/exits';
import { useSandboxSuite } from '../support/sandbox-suite';

describe('batch journal: the flush interval covers records that reach the disk after a size dispatch', function () {
  const env = useSandboxSuite({ pollIntervalMs: 20 });

  it('a record written in the group after a full batch leaves within the flush interval', async function () {
    await loadFlow(dataFlow(env.sandbox.url, { type: 'fullstory-user', operation: 'upsert', mode: 'batch', batchSize: 2, flushInterval: 0.2 }));
    const out = collect();
    // One turn: a full batch in one group commit. The next turn, while that group is on its way
    // to the disk, one more record: its group lands after the size dispatch stopped the timer.
    send({ payload: { uid: 't1' } });
    send({ payload: { uid: 't2' } });
    await tick();
    send({ payload: { uid: 't3' } });
    await out.waitFor(3);
    assert.equal(out.fail.length, 0, JSON.stringify(out.fail.map((m) => (m as { error?: unknown }).error)));
    assert.equal(env.sandbox.jobs.size, 2, 't1+t2 by size, t3 by the interval');
  });
});
