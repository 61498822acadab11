// When building a request throws something that is not one of our own errors, either the msg holds
// a value that throws when read (a getter, a proxy trap) or we have a bug. This finds out which, by
// reading the msg again property by property, so that the user gets `invalid_payload` naming the
// field instead of `internal_error` with an exception text. Runs on that failure path only.

import { FullStoryError, invalidInput } from '../api/errors';
import { catalogText, englishText } from '../api/texts';
import { describeType } from './values';

/** Property reads a search may make: enough for any msg a flow sends, bounded for a hostile one. */
const MAX_READS = 10_000;
// eslint-disable-next-line no-control-regex -- a thrown text goes into a one-line message
const CONTROL_RUNS_RE = /[\u0000-\u001f\u007f-\u009f]+/g;
/** Node-RED's HTTP request/response objects: large, never read by these nodes. */
const SKIPPED_MSG_KEYS: ReadonlySet<string> = new Set(['req', 'res']);

type Segment = string | number;

interface Unreadable {
  path: Segment[];
  error: unknown;
}

/** A short, single-line text for anything thrown (which may itself be hostile). */
export function thrownText(thrown: unknown, max = 120): string {
  let text: string;
  try {
    if (typeof thrown === 'string') text = thrown;
    else if (thrown instanceof Error && typeof thrown.message === 'string') text = thrown.message;
    else text = englishText(describeType(thrown));
  } catch {
    text = englishText(catalogText('config:errors.input.unreadableThrown'));
  }
  text = text.replace(CONTROL_RUNS_RE, ' ').trim();
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** The first property below `root` (depth first, in key order) whose reading throws. */
function findUnreadable(root: unknown, skipKeys?: ReadonlySet<string>): Unreadable | undefined {
  const seen = new Set<object>();
  const stack: Array<{ value: unknown; path: Segment[] }> = [{ value: root, path: [] }];
  let reads = 0;
  while (stack.length > 0) {
    const { value, path } = stack.pop()!;
    if (typeof value !== 'object' || value === null || seen.has(value)) continue;
    seen.add(value);
    let keys: string[];
    let isArray: boolean;
    try {
      if (ArrayBuffer.isView(value)) continue; // binary data: no getters of its own
      Object.getPrototypeOf(value); // what isPlainObject asks of a value; a proxy trap may throw
      isArray = Array.isArray(value);
      keys = Object.keys(value);
    } catch (error) {
      return { path, error };
    }
    const children: Array<{ value: unknown; path: Segment[] }> = [];
    for (const key of keys) {
      if (path.length === 0 && skipKeys?.has(key)) continue;
      if (++reads > MAX_READS) return undefined;
      const segment: Segment = isArray && /^\d+$/.test(key) ? Number(key) : key;
      try {
        children.push({ value: (value as Record<string, unknown>)[key], path: [...path, segment] });
      } catch (error) {
        return { path: [...path, segment], error };
      }
    }
    for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]);
  }
  return undefined;
}

function joinPath(path: readonly Segment[]): string {
  let out = '';
  for (const segment of path) out += typeof segment === 'number' ? `[${segment}]` : out === '' ? segment : `.${segment}`;
  return out;
}

/** `base` followed by the path: msg.payload.a, msg.payload[2].b. */
function below(base: string, path: readonly Segment[]): string {
  if (path.length === 0) return base;
  return typeof path[0] === 'number' ? `${base}${joinPath(path)}` : `${base}.${joinPath(path)}`;
}

function unreadableError(where: string, field: string | undefined, thrown: unknown): FullStoryError {
  const detail = thrownText(thrown);
  return invalidInput('invalid_payload', catalogText('config:errors.input.unreadable', { where, detail }), field);
}

/**
 * For a single msg (single mode, or one record in batch mode): `invalid_payload` naming the
 * property of the msg that cannot be read, or undefined when every property reads fine.
 * `field` is relative to msg.payload, like every other input error (`properties.plan`), or the
 * msg property itself when it is outside the payload (`operation`).
 */
export function unreadableMsgError(msg: unknown): FullStoryError | undefined {
  const found = findUnreadable(msg, SKIPPED_MSG_KEYS);
  if (!found) return undefined;
  const where = below('msg', found.path);
  const inPayload = found.path[0] === 'payload' && found.path.length > 1;
  const field = found.path.length === 0 ? undefined : joinPath(inPayload ? found.path.slice(1) : found.path);
  return unreadableError(where, field, found.error);
}

/** For one item of a bulk msg (payload is an array): the field is relative to the item. */
export function unreadableItemError(item: unknown, index: number, msg: unknown): FullStoryError | undefined {
  const found = findUnreadable(item);
  if (found) {
    return unreadableError(below(`msg.payload[${index}]`, found.path), found.path.length === 0 ? undefined : joinPath(found.path), found.error);
  }
  // The editor's fields may read other msg properties (msg.customer.id…).
  const outside = findUnreadable(msg, new Set([...SKIPPED_MSG_KEYS, 'payload']));
  return outside ? unreadableError(below('msg', outside.path), joinPath(outside.path), outside.error) : undefined;
}

/** Reading one item of a bulk msg's array threw (a getter on the array itself). */
export function unreadableIndexError(index: number, thrown: unknown): FullStoryError {
  return unreadableError(`msg.payload[${index}]`, undefined, thrown);
}
