import assert from 'node:assert/strict';
import { canonicalJson, matchJobResults, recordImportKey, type JobRecord } from '../../nodes/lib/batch/outcomes';

const user = (u: Record<string, unknown>): JobRecord => ({ json: JSON.stringify(u), importKey: recordImportKey('users', u) });

describe('matching job results to records', function () {
  it('canonical JSON ignores key order', function () {
    assert.equal(canonicalJson({ b: 1, a: { d: [1, { y: 1, x: 2 }], c: null } }), canonicalJson({ a: { c: null, d: [1, { x: 2, y: 1 }] }, b: 1 }));
  });

  it('gives each error to the record with exactly that content, even among similar records', function () {
    const records = [
      user({ uid: 'u1', properties: { plan: 'pro' } }),
      user({ uid: 'u1', properties: { plan: 'pro', seats: 'x' } }),
      user({ uid: 'u2', properties: { plan: 'pro' } }),
    ];
    // FullStory echoes the item with keys in another order.
    const errors = [{ code: 'invalid_argument', message: 'bad seats', item: { properties: { seats: 'x', plan: 'pro' }, uid: 'u1' } }];
    const imports = [{ id: 'id-1', uid: 'u1' }, { id: 'id-2', uid: 'u2' }];
    const out = matchJobResults('users', records, errors, imports, 1, 'job1');
    assert.deepEqual(out[0], { ok: true, id: 'id-1' });
    assert.equal(out[1].ok, false);
    assert.equal(!out[1].ok && out[1].error.code, 'invalid_argument');
    assert.equal(!out[1].ok && out[1].error.jobId, 'job1');
    assert.deepEqual(out[2], { ok: true, id: 'id-2' });
  });

  it('identical records share errors one by one, in order', function () {
    const records = [user({ uid: 'a' }), user({ uid: 'a' }), user({ uid: 'a' })];
    const errors = [{ code: 'x', message: 'm', item: { uid: 'a' } }, { code: 'x', message: 'm', item: { uid: 'a' } }];
    const out = matchJobResults('users', records, errors, [{ id: '9', uid: 'a' }], 2, 'j');
    assert.deepEqual(out.map((o) => o.ok), [false, false, true]);
    assert.deepEqual(out[2], { ok: true, id: '9' });
  });

  it('reports outcome_unknown instead of guessing when an error cannot be matched', function () {
    const records = [user({ uid: 'a' }), user({ uid: 'b' }), user({ uid: 'c' })];
    const errors = [{ code: 'x', message: 'm', item: { uid: 'zzz' } }];
    const out = matchJobResults('users', records, errors, [{ id: '1', uid: 'a' }], 1, 'j');
    assert.deepEqual(out[0], { ok: true, id: '1' }, 'confirmed by an import');
    assert.equal(!out[1].ok && out[1].error.code, 'outcome_unknown');
    assert.equal(!out[2].ok && out[2].error.code, 'outcome_unknown');
  });

  it('trusts the job error count when fewer error results arrive', function () {
    const records = [user({ uid: 'a' }), user({ uid: 'b' })];
    const out = matchJobResults('users', records, [], [], 1, 'j');
    assert.deepEqual(out.map((o) => !o.ok && o.error.code), ['outcome_unknown', 'outcome_unknown']);
  });

  it('a COMPLETED job makes every record a success, ids where imports say', function () {
    const records = [user({ uid: 'a' }), user({ email: 'x@y.z' })];
    const out = matchJobResults('users', records, [], [{ id: '1', uid: 'a' }], 0, 'j');
    assert.deepEqual(out, [{ ok: true, id: '1' }, { ok: true }]);
  });

  it('matches events by content too', function () {
    const e1 = { name: 'Order', timestamp: '2026-01-01T00:00:00.000Z', user: { uid: 'a' }, properties: { n: 1 } };
    const e2 = { ...e1, properties: { n: 2 } };
    const records = [{ json: JSON.stringify(e1) }, { json: JSON.stringify(e2) }];
    const out = matchJobResults('events', records, [{ code: 'c', message: 'm', item: e2 }], [], 1, 'j');
    assert.deepEqual(out.map((o) => o.ok), [true, false]);
  });

  it('events: an unmatched error leaves only the records confirmed by an import as successes', function () {
    const sent = [
      { name: 'A', timestamp: '2026-01-01T00:00:00.000Z', user: { uid: 'u' } },
      { name: 'B', timestamp: '2026-01-01T00:00:01.000Z', user: { uid: 'u' } },
    ];
    const records = sent.map((e) => ({ json: JSON.stringify(e) }));
    const imported = [{ name: 'A', timestamp: '2026-01-01T00:00:00Z', user: { uid: 'u', id: '7' } }];
    const out = matchJobResults('events', records, [{ code: 'c', message: 'm', item: { name: 'changed' } }], imported, 1, 'j');
    assert.deepEqual(out[0], { ok: true });
    assert.equal(!out[1].ok && out[1].error.code, 'outcome_unknown');
  });

  it('a user record keyed by id or email is found although the import also carries a uid', function () {
    const records = [user({ id: '42', properties: { a: 1 } }), user({ email: 'e@x.io' })];
    const out = matchJobResults('users', records, [], [{ id: '42', uid: 'has-one' }, { id: '43', uid: 'other', email: 'e@x.io' }], 0, 'j');
    assert.deepEqual(out, [{ ok: true, id: '42' }, { ok: true, id: '43' }]);
  });
});
