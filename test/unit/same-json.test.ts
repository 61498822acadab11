import assert from 'node:assert/strict';
import fc from 'fast-check';
import { sameJson } from '../../nodes/lib/batch/same-json';
import { numRuns } from '../support/fc-runs';

/** JSON with every object's keys sorted: equal exactly when two JSON texts differ at most in key order. */
function canonical(value: unknown): string | undefined {
  const text = JSON.stringify(value);
  if (text === undefined) return undefined;
  const sorted = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sorted);
    if (v === null || typeof v !== 'object') return v;
    const out: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
    for (const key of Object.keys(v).sort()) out[key] = sorted((v as Record<string, unknown>)[key]);
    return out;
  };
  return JSON.stringify(sorted(JSON.parse(text)));
}

describe('sameJson (is a payload worth journaling beside its record?)', function () {
  it('"same" only when both serialise to the same JSON up to key order, for any two values', function () {
    const value = fc.anything({ withDate: true, withNullPrototype: true, withObjectString: true, withBoxedValues: true, withSparseArray: true, maxDepth: 3 });
    fc.assert(
      fc.property(value, value, (a, b) => {
        if (!sameJson(a, b)) return;
        assert.equal(canonical(a), canonical(b));
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
        if (sameJson(a, copy)) assert.equal(canonical(a), canonical(copy));
      }),
      { numRuns: numRuns(500) },
    );
    // And against a copy with its keys in another order, some of them changed (a built record).
    const shuffled = fc.jsonValue({ maxDepth: 3 }).chain((a) => fc.tuple(fc.constant(a), reordered(a)));
    fc.assert(
      fc.property(shuffled, ([a, b]) => {
        if (sameJson(a, b)) assert.equal(canonical(a), canonical(b));
        else assert.notEqual(canonical(a), canonical(b), 'a copy in another key order is the same');
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
    assert.equal(sameJson({ a: 1, b: 2 }, { b: 2, a: 1 }), true); // key order is no difference
    assert.equal(sameJson({ a: 1, b: 2 }, { b: 2, c: 1 }), false);
    assert.equal(sameJson({ a: 1 }, Object.defineProperties({ b: 1 }, { a: { value: 1, enumerable: false } })), false); // JSON skips a hidden key
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
    // The event node's key order (name, properties, user) against the payload's (name, user, properties).
    assert.equal(sameJson({ name: 'E', user: { uid: 'u' }, properties: { step: 1 } }, { name: 'E', properties: { step: 1 }, user: { uid: 'u' } }), true);
  });
});

/** A copy of a JSON value with object keys in a generated order and, now and then, one value changed. */
function reordered(value: unknown): fc.Arbitrary<unknown> {
  if (Array.isArray(value)) return value.length === 0 ? fc.constant([]) : fc.tuple(...value.map(reordered));
  if (value === null || typeof value !== 'object') return fc.oneof({ weight: 9, arbitrary: fc.constant(value) }, { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 0 }) });
  const entries = Object.entries(value);
  if (entries.length === 0) return fc.constant({});
  return fc
    .tuple(fc.shuffledSubarray(entries, { minLength: entries.length, maxLength: entries.length }), ...entries.map(([, v]) => reordered(v)))
    .map(([order, ...values]) => {
      const changed = new Map(entries.map(([k], i) => [k, values[i]]));
      const out: Record<string, unknown> = {};
      for (const [key] of order) Object.defineProperty(out, key, { value: changed.get(key), enumerable: true, writable: true, configurable: true });
      return out;
    });
}
