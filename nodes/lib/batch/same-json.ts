// Whether two values serialise to the same JSON up to the order of object keys, decided without
// serialising them: with the journal on, a record's payload is journaled beside it only when it
// differs from the built record, and comparing the two costs a fraction of a JSON.stringify (and
// leaves no string behind). Key order is left out on purpose: the event node builds its request in
// a fixed key order (name, timestamp, properties, …), so comparing orders would journal nearly every
// event's payload a second time for a difference no reader of the recovered msg can see (the
// same keys with the same values, which deepEqual and RED.util.compareObjects treat as equal).

/** Deeper than this is not compared (the caller then serialises). */
const MAX_DEPTH = 32;

/**
 * True only when JSON.stringify(a) and JSON.stringify(b) certainly differ at most in the order of
 * object keys: plain objects with the same own enumerable keys, arrays of the same length, equal
 * strings, booleans, null and finite numbers. Anything else (a Date, a class instance, toJSON, undefined, NaN, a getter that throws…)
 * answers false, and the caller serialises as before: a false "no" costs time, never a wrong payload.
 */
export function sameJson(a: unknown, b: unknown): boolean {
  try {
    return sameValue(a, b, 0);
  } catch {
    return false;
  }
}

function sameValue(a: unknown, b: unknown, depth: number): boolean {
  switch (typeof a) {
    case 'string':
    case 'boolean':
      return a === b;
    case 'number':
      return a === b && Number.isFinite(a);
    case 'object':
      if (a === null) return b === null;
      return typeof b === 'object' && b !== null && sameObject(a, b, depth);
    default:
      return false;
  }
}

function sameObject(a: object, b: object, depth: number): boolean {
  if (depth >= MAX_DEPTH) return false;
  // toJSON (own or inherited, on either side) would decide what is written: not compared here.
  if (typeof (a as { toJSON?: unknown }).toJSON === 'function' || typeof (b as { toJSON?: unknown }).toJSON === 'function') return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameValue(a[i], b[i], depth + 1)) return false;
    return true;
  }
  if (Array.isArray(b) || !isPlain(a) || !isPlain(b)) return false;
  const keysA = Object.keys(a);
  if (keysA.length !== Object.keys(b).length) return false;
  for (let i = 0; i < keysA.length; i++) {
    const key = keysA[i]!;
    // Own and enumerable, as Object.keys and JSON.stringify see it.
    if (!Object.prototype.propertyIsEnumerable.call(b, key)) return false;
    if (!sameValue((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key], depth + 1)) return false;
  }
  return true;
}

function isPlain(value: object): boolean {
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}
