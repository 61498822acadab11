// How a value is inspected and named in an error text, whatever rule refuses it: the plain-object
// test every reader uses, the words for a value's type, a short safe excerpt of it, and the
// " (at field)" marker. No rule lives here.
// Objects are checked by shape, not instanceof, so payloads built in a Function node (another vm
// realm) pass too.

import { types as utilTypes } from 'node:util';
import { catalogText, type FixedText } from '../api/texts';

/** A plain data object (object literal, JSON.parse result or null-prototype), from any realm. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === null || Object.getPrototypeOf(proto) === null;
}

function constructorName(value: object): string | undefined {
  try {
    const ctor: unknown = Object.getPrototypeOf(value)?.constructor;
    if (typeof ctor === 'function' && typeof ctor.name === 'string' && ctor.name !== '') return ctor.name.slice(0, 40);
  } catch {
    // A hostile getter or proxy: fall through to the generic wording.
  }
  return undefined;
}

/** "a string", "an array", "a Buffer", "an instance of Foo"…: for error messages. */
export function describeType(value: unknown): FixedText {
  if (value === null) return catalogText('config:errors.type.null');
  switch (typeof value) {
    case 'undefined': return catalogText('config:errors.type.undefined');
    case 'string': return value === '' ? catalogText('config:errors.type.emptyString') : catalogText('config:errors.type.string');
    case 'number': return Number.isNaN(value) ? catalogText('config:errors.type.nan') : Number.isFinite(value) ? catalogText('config:errors.type.number') : catalogText('config:errors.type.infinite');
    case 'boolean': return catalogText('config:errors.type.boolean');
    case 'bigint': return catalogText('config:errors.type.bigint');
    case 'symbol': return catalogText('config:errors.type.symbol');
    case 'function': return catalogText('config:errors.type.function');
    default: break;
  }
  if (Array.isArray(value)) return catalogText('config:errors.type.array');
  if (Buffer.isBuffer(value)) return catalogText('config:errors.type.buffer');
  if (ArrayBuffer.isView(value)) {
    const name = constructorName(value);
    return name === undefined ? catalogText('config:errors.type.typedArrayAny') : catalogText('config:errors.type.typedArray', { name });
  }
  if (utilTypes.isAnyArrayBuffer(value)) return catalogText('config:errors.type.arrayBuffer');
  if (utilTypes.isDate(value)) return catalogText('config:errors.type.date');
  if (utilTypes.isMap(value)) return catalogText('config:errors.type.map');
  if (utilTypes.isSet(value)) return catalogText('config:errors.type.set');
  if (utilTypes.isRegExp(value)) return catalogText('config:errors.type.regexp');
  if (utilTypes.isPromise(value)) return catalogText('config:errors.type.promise');
  if (utilTypes.isBoxedPrimitive(value)) return catalogText('config:errors.type.boxed');
  if (isPlainObject(value)) return catalogText('config:errors.type.object');
  const name = constructorName(value);
  return name === undefined ? catalogText('config:errors.type.customPrototype') : catalogText('config:errors.type.instanceOf', { name });
}

/** The JavaScript kind of a value, plainly ("a number", "an array", "undefined"): for texts that quote no detail. */
export function kindOf(value: unknown): FixedText {
  if (value === null) return catalogText('config:errors.type.null');
  if (Array.isArray(value)) return catalogText('config:errors.type.array');
  switch (typeof value) {
    case 'undefined': return catalogText('config:errors.type.undefinedPlain');
    case 'string': return catalogText('config:errors.type.string');
    case 'number': return catalogText('config:errors.type.number');
    case 'boolean': return catalogText('config:errors.type.boolean');
    case 'bigint': return catalogText('config:errors.type.bigintPlain');
    case 'symbol': return catalogText('config:errors.type.symbol');
    case 'function': return catalogText('config:errors.type.function');
    default: return catalogText('config:errors.type.object');
  }
}

/** A short, safe rendering of a value for messages: ≤ 40 characters, never a whole object. */
export function excerpt(value: unknown): string | FixedText {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? value.slice(0, 37) + '…' : value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value === 'bigint') return `${String(value).slice(0, 38)}n`;
  return describeType(value);
}

/**
 * The text cut to `max` characters (an ellipsis marks the cut), for names quoted in error texts:
 * long paths are cut so that messages stay readable.
 */
export function shorten(text: string, max = 80): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** The field path as `at` shows it, for the `at` var of a catalog key ('' when there is none). */
export function atField(field: string | undefined): string {
  return field ? shorten(field, 120) : '';
}

/** "a, b, c and d": names listed in the runtime's language. */
export function commaList(items: readonly string[]): FixedText {
  let text: FixedText = catalogText('config:errors.list.one', { item: items[0] ?? '' });
  items.slice(1).forEach((item, i) => {
    text = i === items.length - 2 ? catalogText('config:errors.list.and', { first: text, item }) : catalogText('config:errors.list.comma', { first: text, item });
  });
  return text;
}

/** "a and b and c": names joined in the runtime's language. */
export function andList(items: readonly string[]): FixedText {
  let text: FixedText = catalogText('config:errors.list.one', { item: items[0] ?? '' });
  for (const item of items.slice(1)) text = catalogText('config:errors.list.and', { item, first: text });
  return text;
}
