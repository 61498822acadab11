// The flush interval with the journal on: a record whose group commit reached the disk after a
// size dispatch had emptied the buffer (and stopped the timer) still leaves within the interval.
// Found by the crash test (a second life's last few msgs stayed in the journal, never sent).

import assert from 'node:assert/strict';
import { collect, dataFlow, loadFlow, tick } from '../support/harness';
import { send } from '../support/exits';
import { useSandboxSuite } from '../support/sandbox-suite';
import { holdJournalSyncs, type SyncHolder } from '../support/journal-syncs';

describe('batch journal: the flush interval covers records that reach the disk after a size dispatch', function () {
  let syncs: SyncHolder | undefined;
  afterEach(function () {
    syncs?.restore();
    syncs = undefined;
  });
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

  it('a record written while a flush waits for the disk leaves within the flush interval', async function () {
    // A flush (msg.flush, or the interval itself) that finds records on their way to the disk
    // waits for their group and stops the timer. A record accepted in that wait goes in the next
    // group: once it lands, the interval must run for it, or it waits for a full batch (the soak
    // saw a node's last records stay until the flow stopped).
    syncs = holdJournalSyncs();
    await loadFlow(dataFlow(env.sandbox.url, { type: 'fullstory-user', operation: 'upsert', mode: 'batch', batchSize: 100, flushInterval: 0.2 }));
    const out = collect();
    send({ payload: { uid: 'f1' }, flush: true });
    await syncs.held();
    send({ payload: { uid: 'f2' } });
    syncs.releaseAll();
    await out.waitFor(2);
    assert.equal(out.fail.length, 0, JSON.stringify(out.fail.map((m) => (m as { error?: unknown }).error)));
    assert.equal(env.sandbox.jobs.size, 2, 'f1 by the flush, f2 by the interval');
  });
});
