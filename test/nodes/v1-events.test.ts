// v1 "Set User Events" with a uid and a session (session_url or device_session): the usual v1 shape,
// since v1 took the uid in the URL. FullStory v2 refuses a user beside session.id, so the event is
// sent with session.id alone, and msg.fullstory.notes says the uid was not sent: in single mode,
// for a one-record msg in batch mode, and per record (with its index) for a bulk msg. Against the
// sandbox over HTTP, which refuses a user beside session.id as FullStory does.

import assert from 'node:assert/strict';
import { assertEachOnce, send, type Out } from '../support/exits';
import { collect, dataFlow, loadFlow } from '../support/harness';
import { useSandboxSuite } from '../support/sandbox-suite';

type Note = { code: string; field?: string; message: string; index?: number };
const notesOf = (msg: Out) => (msg.fullstory as { notes?: Note[] } | undefined)?.notes;
const SESSION_URL = 'https://app.fullstory.com/ui/o-1/session/111%3A222';

describe('fullstory-event: v1 events with uid and a session (sandbox over HTTP)', function () {
  const env = useSandboxSuite({ pollIntervalMs: 20 });

  it('the sandbox refuses a user beside session.id, as FullStory does (what the conversion avoids)', async function () {
    const res = await fetch(`${env.sandbox.url}/v2/events`, {
      method: 'POST',
      headers: { authorization: 'Basic na1.admin-key', 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'E', user: { uid: 'u' }, session: { id: '111:222' } }),
    });
    assert.equal(res.status, 400);
  });

  it('single mode: session.id alone is sent; msg.fullstory.notes says the uid was not', async function () {
    await loadFlow(dataFlow(env.sandbox.url, { type: 'fullstory-event' }));
    const out = collect();
    const ids = [
      send({ payload: { uid: 'v1-user', event_name: 'From URL', session_url: SESSION_URL, event_data: { plan_str: 'pro' } } }),
      send({ payload: { uid: 'v1-user', event: { event_name: 'From device', device_session: '111:333' } } }),
      send({ payload: { uid: 'v1-user', event_name: 'Recent', use_recent_session: true } }),
    ];
    await out.waitFor(3);
    assert.equal(out.fail.length, 0, JSON.stringify(out.fail.map((m) => (m as Out).error)));
    const byName = new Map(env.sandbox.events.map((e) => [e.name, e]));
    assert.deepEqual(byName.get('From URL')!.session, { id: '111:222' });
    assert.equal(byName.get('From URL')!.user, undefined);
    assert.deepEqual(byName.get('From device')!.session, { id: '111:333' });
    assert.deepEqual(env.sandbox.requests.map((r) => (r.body as { user?: unknown }).user).filter(Boolean), [{ uid: 'v1-user' }], 'only the use_recent_session event names its user');
    const [url, device, recent] = ids.map((id) => out.ok.find((m) => m._msgid === id) as Out);
    assert.deepEqual(notesOf(url)!.map((n) => [n.code, n.field]), [['uid_not_sent', 'uid']]);
    assert.match(notesOf(url)![0].message, /uid \(at uid\) was not sent: FullStory v2 identifies this event by its session_url alone/);
    assert.deepEqual(notesOf(device)!.map((n) => [n.code, n.field]), [['uid_not_sent', 'uid']]);
    assert.equal(notesOf(recent), undefined, 'uid with use_recent_session is sent as user.uid: nothing to say');
    assertEachOnce(out, ids);
  });

  it('batch mode: a one-record msg gets the note, a bulk msg one note per record with its index', async function () {
    await loadFlow(dataFlow(env.sandbox.url, { type: 'fullstory-event', mode: 'batch', batchSize: 1000, flushInterval: 60 }));
    const out = collect();
    const one = send({ payload: { uid: 'v1-user', event_name: 'One', session_url: SESSION_URL } });
    const bulk = send({
      payload: [
        { uid: 'v1-user', event_name: 'Two', device_session: '111:444' },
        { event_name: 'Three', session_url: SESSION_URL },
        { uid: 'v1-user', event_name: 'Four', session_url: SESSION_URL, timestamp: 'yesterday' },
        { uid: 'v1-user', event: { event_name: 'Five', uid: 'v1-user', session_url: SESSION_URL } },
      ],
      flush: true,
    });
    await out.waitFor(3);
    const [job] = [...env.sandbox.jobs.values()];
    assert.equal(job.errorsCount, 0);
    assert.equal(job.requestCount, 4);
    for (const event of env.sandbox.events) assert.equal(event.user, undefined, event.name);
    const oneOut = out.ok.find((m) => m._msgid === one) as Out;
    assert.deepEqual(notesOf(oneOut)!.map((n) => [n.code, n.field, n.index]), [['uid_not_sent', 'uid', undefined]]);
    const bulkOk = out.ok.find((m) => m._msgid === bulk) as Out;
    const bulkFail = out.fail.find((m) => m._msgid === bulk) as Out;
    // Notes of the records that were sent, by their index in the original array (like msg.errors).
    const expected = [['uid_not_sent', 'uid', 0], ['uid_not_sent', 'event.uid', 3]];
    assert.deepEqual(notesOf(bulkOk)!.map((n) => [n.code, n.field, n.index]), expected);
    assert.deepEqual(notesOf(bulkFail)!.map((n) => [n.code, n.field, n.index]), expected);
    assert.equal(bulkFail.errors![0].code, 'invalid_timestamp');
    assert.equal(bulkFail.errors![0].index, 2);
    assertEachOnce(out, [one], [bulk]);
  });
});
