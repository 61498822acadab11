import assert from 'node:assert/strict';
import fc from 'fast-check';
import { sameJson } from '../../nodes/lib/batch/same-json';
import { numRuns } from '../support/fc-runs';

describe('sameJson (is a payload worth journaling beside its record?)', function () {
  it('"same" only when both serialise to the same JSON, for any two values', function () {
    const value = fc.anything({ withDate: true, withNullPrototype: true, withObjectString: true, withBoxedValues: true, withSparseArray: true, maxDepth: 3 });
    fc.assert(
      fc.property(value, value, (a, b) => {
        if (!sameJson(a, b)) return;
        assert.equal(JSON.stringify(a), JSON.stringify(b));
      }),
      { numRuns: numRuns(500) },
    );
    // And for a value against a near copy of itself (the usual case: a record built from the payload).
    fc.assert(
      fc.property(value, (a) => {
        let copy: unknown;
        try {
          copy = JSON.parse(JSON.stringify(a) ?? 'null');
        } catch {
          return;
        }
        if (sameJson(a, copy)) assert.equal(JSON.stringify(a), JSON.stringify(copy));
      }),
      { numRuns: numRuns(500) },
    );
  });

  it('a record built as a copy of the payload is "same" (its payload is not serialised again)', function () {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), (payload) => {
        const copy: unknown = JSON.parse(JSON.stringify(payload));
        // -0 reads back as 0 and still writes "0": the same JSON.
        assert.equal(sameJson(payload, copy), true);
      }),
      { numRuns: numRuns(300) },
    );
  });

  it('differences JSON would show, or that it cannot decide without serialising, are "not same"', function () {
    assert.equal(sameJson({ a: 1, b: 2 }, { b: 2, a: 1 }), false); // key order shows in the JSON
    assert.equal(sameJson({ a: 1 }, { a: 1, b: undefined }), false); // undecided: serialised instead
    assert.equal(sameJson([1, 2], { 0: 1, 1: 2 }), false);
    assert.equal(sameJson({ at: new Date(0) }, { at: new Date(0) }), false); // toJSON
    assert.equal(sameJson({ n: NaN }, { n: NaN }), false);
    assert.equal(sameJson({ n: 1n }, { n: 1n }), false);
    const throwing = Object.defineProperty({}, 'x', { enumerable: true, get: () => { throw new Error('no'); } });
    assert.equal(sameJson(throwing, { x: 1 }), false);
    let deep: unknown = 1;
    for (let i = 0; i < 40; i++) deep = [deep];
    assert.equal(sameJson(deep, JSON.parse(JSON.stringify(deep))), false); // too deep to compare: serialised
    assert.equal(sameJson({ uid: 'u1', properties: { plan: 'pro', seats: 3, trial: true } }, { uid: 'u1', properties: { plan: 'pro', seats: 3, trial: true } }), true);
  });
});
