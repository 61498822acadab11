// Deletes are idempotent where the user's goal is met (issue 11, point 7): a delete FullStory
// answers 404 "no such user" (already deleted, or never there) leaves on output 1, marked with
// msg.fullstory.alreadyDeleted and the status 404. Any other 404 (a wrong host or path, a proxy)
// and a 404 on any other operation stay failures. The sandbox answers like FullStory here
// (API README §2.1, §6: 404 user_not_found for an unknown id or uid).

import assert from 'node:assert/strict';
import { assertEachOnce, send, type Out } from '../support/exits';
import { collect, dataFlow, loadFlow, type Collected } from '../support/harness';
import { useSandboxSuite } from '../support/sandbox-suite';

describe('fullstory-user delete: a user already gone is a success (sandbox over HTTP)', function () {
  const env = useSandboxSuite();

  const deleteFlow = () => dataFlow(env.sandbox.url, { type: 'fullstory-user', operation: 'delete' });
  const byId = (out: Collected, id: string) => [...out.ok, ...out.fail].find((m) => m._msgid === id) as Out;

  async function createUser(uid: string): Promise<string> {
    const res = await fetch(`${env.sandbox.url}/v2/users`, {
      method: 'POST',
      headers: { authorization: 'Basic na1.admin-key', 'content-type': 'application/json' },
      body: JSON.stringify({ uid }),
    });
    return ((await res.json()) as { id: string }).id;
  }

  it('the sandbox answers 404 user_not_found for an unknown uid and an unknown id, as FullStory documents', async function () {
    for (const path of ['/v2/users?uid=nobody', '/v2/users/987654321']) {
      const res = await fetch(`${env.sandbox.url}${path}`, { method: 'DELETE', headers: { authorization: 'Basic na1.admin-key' } });
      assert.equal(res.status, 404);
      assert.equal(((await res.json()) as { code: string }).code, 'user_not_found');
    }
  });

  it('by uid and by id: an unknown user leaves on output 1, marked alreadyDeleted with the status 404', async function () {
    await loadFlow(deleteFlow());
    const out = collect();
    const byUid = send({ payload: { uid: 'nobody' }, error: { code: 'user_not_found', message: 'from an earlier try' } });
    const byFsId = send({ payload: { id: '987654321' } });
    await out.waitFor(2);
    assertEachOnce(out, [byUid, byFsId]);
    assert.equal(out.fail.length, 0);
    const uidMsg = byId(out, byUid);
    assert.equal(uidMsg.error, undefined, 'the error of an earlier try is gone');
    assert.deepEqual(uidMsg.fullstory, { mode: 'single', operation: 'delete', status: 404, attempts: 1, alreadyDeleted: true });
    assert.deepEqual(byId(out, byFsId).fullstory, { mode: 'single', operation: 'delete', status: 404, attempts: 1, alreadyDeleted: true, id: '987654321' });
    assert.deepEqual(env.sandbox.requests.map((r) => `${r.method} ${r.path} ${JSON.stringify(r.query)}`), [
      'DELETE /v2/users {"uid":"nobody"}',
      'DELETE /v2/users/987654321 {}',
    ]);
  });

  it('deleting the same user twice: the first deletes, the second is already done', async function () {
    await createUser('twice');
    await loadFlow(deleteFlow());
    const out = collect();
    const first = send({ payload: { uid: 'twice' } });
    await out.waitFor(1);
    const second = send({ payload: { uid: 'twice' } });
    await out.waitFor(2);
    assertEachOnce(out, [first, second]);
    assert.equal(byId(out, first).fullstory!.status, 200);
    assert.equal(byId(out, first).fullstory!.alreadyDeleted, undefined);
    assert.equal(byId(out, second).fullstory!.status, 404);
    assert.equal(byId(out, second).fullstory!.alreadyDeleted, true);
  });

  it('a 404 on get or update is still a failure', async function () {
    await loadFlow(dataFlow(env.sandbox.url, { type: 'fullstory-user' }));
    const out = collect();
    const get = send({ operation: 'get', payload: { id: '987654321' } });
    const update = send({ operation: 'update', payload: { id: '987654321', display_name: 'X' } });
    await out.waitFor(2);
    assertEachOnce(out, [get, update]);
    for (const id of [get, update]) {
      const m = byId(out, id);
      assert.equal(m.error?.code, 'user_not_found');
      assert.equal(m.error?.status, 404);
      assert.equal(m.fullstory?.alreadyDeleted, undefined);
    }
    assert.equal(out.ok.length, 0);
  });

  it('a 404 that is not FullStory\'s "no such user" (e.g. a wrong path behind a proxy) is still a failure', async function () {
    await createUser('kept');
    env.sandbox.inject({ match: { method: 'DELETE' }, fault: { type: 'status', status: 404 } });
    await loadFlow(deleteFlow());
    const out = collect();
    const id = send({ payload: { uid: 'kept' } });
    await out.waitFor(1);
    assertEachOnce(out, [id]);
    assert.equal(byId(out, id).error?.code, 'not_found');
    assert.equal(byId(out, id).error?.status, 404);
  });
});
