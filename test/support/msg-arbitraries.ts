// fast-check generators for msgs a flow could hand the data nodes, from valid to hostile: wrong
// types, odd strings (lone surrogates, control characters, sizes around FullStory's limits),
// arrays of mixed items, and "shapes" that make a msg or its payload hard to handle (frozen,
// sealed, read-only fields, getters and proxies that throw, one payload object shared by many
// msgs). A generated scenario is plain data (readable when fast-check reports a counterexample);
// `materialize` turns it into the msgs, with fresh getters and proxies, for each run.

import fc from 'fast-check';

/**
 * The nodes under test: user and event, single and batch; an event node that reads its name and
 * uid through editor fields; and a batch event node wired to two nodes on each output, so that
 * Node-RED deep-copies every msg it sends (where a msg that cannot be copied shows).
 */
export type NodeKey = 'userSingle' | 'userBatch' | 'eventSingle' | 'eventBatch' | 'eventFields' | 'eventFanOut';
export const NODE_KEYS: readonly NodeKey[] = ['userSingle', 'userBatch', 'eventSingle', 'eventBatch', 'eventFields', 'eventFanOut'];
export const BATCH_NODES: ReadonlySet<NodeKey> = new Set(['userBatch', 'eventBatch', 'eventFanOut']);
const USER_NODES: readonly NodeKey[] = ['userSingle', 'userBatch'];
const EVENT_NODES: readonly NodeKey[] = ['eventSingle', 'eventBatch', 'eventFields', 'eventFanOut'];

/** What is done to the payload before it is sent (on a copy: generated values are never changed). */
export type PayloadShape = 'plain' | 'frozen' | 'deepFrozen' | 'getterTop' | 'getterProperties' | 'getterItem' | 'proxy' | 'circular';
/** What is done to the msg itself. */
export type MsgShape = 'plain' | 'frozen' | 'sealed' | 'readOnlyError' | 'getterExtra' | 'getterPayload' | 'getterTwice';

export interface MsgRecipe {
  node: NodeKey;
  /** Index into the scenario's payload pool: msgs with the same index share one payload object. */
  payload: number;
  payloadShape: PayloadShape;
  msgShape: MsgShape;
  /** Set only when defined: msg.operation (user nodes), msg.topic, a msg.fullstory coming back. */
  operation?: unknown;
  topic?: unknown;
  fullstory?: unknown;
  /** msg.flush / msg.reset on a msg that also carries a payload. */
  control?: 'flush' | 'reset';
}

export interface Scenario {
  pool: unknown[];
  msgs: MsgRecipe[];
}

// ---- strings ----

const oddChar = fc.oneof(
  fc.constantFrom('\uD800', '\uDBFF', '\uDC00', '\uDFFF', '\u0000', '\u0007', '\r', '\n', '\t', '\u007F', '\u0085', '\u2028', '\u2029', '\uFEFF', '\u200B', 'e\u0301', '😀', '%2F', '/', '..', '?', '#', '&', '"', '\\', '<', ' '),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }),
);

/** Text around the limits FullStory and the nodes enforce: 250 (event name), 256 (uid), 8192 bytes (value). */
const bigString = fc
  .tuple(fc.constantFrom(250, 251, 256, 257, 4096, 4097, 8192, 8193, 20_000), fc.constantFrom('x', 'é', '😀', '\uD800', ' '))
  .map(([n, c]) => c.repeat(n));

export const oddString = fc.oneof(
  { weight: 4, arbitrary: fc.string({ unit: oddChar, maxLength: 24 }) },
  { weight: 3, arbitrary: fc.string({ maxLength: 24 }) },
  { weight: 1, arbitrary: bigString },
);

const propertyName = fc.oneof(
  { weight: 5, arbitrary: fc.stringMatching(/^[A-Za-z][A-Za-z0-9_]{0,15}$/) },
  { weight: 1, arbitrary: fc.constantFrom('__proto__', 'constructor', 'toString', 'plan-name', '1st', '', 'a.b', 'x'.repeat(600)) },
  { weight: 1, arbitrary: oddString },
);

const scalar = fc.oneof(
  oddString,
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, -0, 2 ** 53 + 2),
  fc.date({ noInvalidDate: false }),
);

/** Anything at all (fast-check's own generator), with the JavaScript types a flow can produce. */
const anything = fc.anything({
  maxDepth: 3,
  maxKeys: 5,
  key: fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom('__proto__', 'constructor', 'name', 'uid', 'properties')),
  withBigInt: true,
  withDate: true,
  withMap: true,
  withSet: true,
  withNullPrototype: true,
  withTypedArray: true,
  withSparseArray: true,
  withBoxedValues: true,
  withUnicodeString: true,
});

const propertyValue = fc.oneof(
  { weight: 6, arbitrary: scalar },
  { weight: 2, arbitrary: fc.array(scalar, { maxLength: 4 }) },
  { weight: 1, arbitrary: fc.dictionary(propertyName, scalar, { maxKeys: 3 }) },
  { weight: 1, arbitrary: anything },
);

const properties = fc.dictionary(propertyName, propertyValue, { maxKeys: 5 });

// ---- payloads ----

const uid = fc.oneof({ weight: 3, arbitrary: fc.stringMatching(/^[a-z0-9-]{1,12}$/) }, { weight: 1, arbitrary: oddString });
const sessionId = fc.oneof(fc.constantFrom('111:222', 'https://app.fullstory.com/ui/o-1/session/111%3A333', '1:2:3', ''), oddString);

const identification = fc.oneof(
  fc.constant({}),
  uid.map((u) => ({ user: { uid: u } })),
  uid.map((u) => ({ user: { uid: u }, session: { use_most_recent: true } })),
  sessionId.map((s) => ({ session: { id: s } })),
  fc.record({ user: fc.record({ uid, id: uid }, { requiredKeys: [] }), session: fc.record({ id: sessionId, use_most_recent: fc.oneof(fc.boolean(), anything) }, { requiredKeys: [] }) }, { requiredKeys: [] }),
);

const v2Event = fc
  .tuple(
    fc.record(
      {
        name: fc.oneof({ weight: 4, arbitrary: fc.stringMatching(/^[A-Za-z][A-Za-z ]{0,20}$/) }, { weight: 1, arbitrary: oddString }, { weight: 1, arbitrary: anything }),
        properties: fc.oneof({ weight: 4, arbitrary: properties }, { weight: 1, arbitrary: anything }),
        timestamp: fc.oneof(fc.date({ noInvalidDate: false }), fc.constantFrom('2024-05-01T12:00:00Z', '2024-05-01T12:00:00', 'yesterday', ''), fc.integer(), oddString),
        context: fc.oneof(fc.record({ browser: fc.record({ url: oddString, user_agent: oddString }, { requiredKeys: [] }) }, { requiredKeys: [] }), anything),
        schema: fc.oneof(fc.record({ properties: fc.dictionary(propertyName, fc.constantFrom('int', 'str', 'real', 'bool', 'date', 'nope')) }), anything),
      },
      { requiredKeys: ['name'] },
    ),
    identification,
  )
  .map(([event, ident]) => ({ ...event, ...ident }));

const v1Event = fc.record(
  {
    event_name: fc.oneof(fc.stringMatching(/^[A-Za-z][A-Za-z ]{0,20}$/), oddString),
    uid,
    session_url: sessionId,
    device_session: sessionId,
    use_recent_session: fc.oneof(fc.boolean(), anything),
    event_data: fc.oneof(fc.dictionary(fc.stringMatching(/^[a-z]{1,8}_(str|int|real|bool|date|strs|ints)$/), scalar, { maxKeys: 4 }), properties),
  },
  { requiredKeys: ['event_name'] },
);

const user = fc.record(
  {
    uid,
    display_name: oddString,
    email: fc.oneof(fc.constant('ann@example.com'), oddString),
    properties: fc.oneof({ weight: 4, arbitrary: properties }, { weight: 1, arbitrary: anything }),
    schema: fc.oneof(fc.record({ properties: fc.dictionary(propertyName, fc.constantFrom('int', 'str', 'real', 'bool', 'date', 'nope')) }), anything),
    id: uid,
  },
  { requiredKeys: [] },
);

const v1User = fc.dictionary(fc.oneof(fc.constantFrom('displayName', 'email'), fc.stringMatching(/^[a-z]{1,8}_(str|int|real|bool|date)$/)), scalar, { minKeys: 1, maxKeys: 4 });

// Records meant to be valid (their values may still be odd: what passes our checks must then be
// accepted by the sandbox), so that plenty of generated msgs are actually sent.
const cleanName = fc.stringMatching(/^[A-Za-z][A-Za-z0-9_]{0,15}$/);
const cleanValue = fc.oneof(
  { weight: 3, arbitrary: fc.string({ unit: oddChar, maxLength: 20 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 20 }) },
  { weight: 2, arbitrary: fc.integer() },
  { weight: 1, arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }) },
  { weight: 1, arbitrary: fc.boolean() },
  { weight: 1, arbitrary: fc.date({ min: new Date('1900-01-01T00:00:00Z'), max: new Date('2200-01-01T00:00:00Z'), noInvalidDate: true }) },
  { weight: 1, arbitrary: fc.array(fc.string({ unit: oddChar, maxLength: 8 }), { maxLength: 4 }) },
  { weight: 1, arbitrary: fc.constantFrom('é'.repeat(4096), 'x'.repeat(8192), '😀'.repeat(2048)) },
);
const cleanProperties = fc.dictionary(cleanName, fc.oneof({ weight: 5, arbitrary: cleanValue }, { weight: 1, arbitrary: fc.dictionary(cleanName, cleanValue, { maxKeys: 3 }) }), { maxKeys: 6 });
const cleanUid = fc.string({ unit: fc.oneof(fc.constantFrom('é', '😀', '\uD800', '/', '?', '#', '%', ' ', '..'), fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 1 })), minLength: 1, maxLength: 20 });

const cleanEvent = fc
  .tuple(
    fc.record({ name: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }), properties: cleanProperties, timestamp: fc.date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2100-01-01T00:00:00Z'), noInvalidDate: true }) }, { requiredKeys: ['name'] }),
    fc.oneof(
      fc.constant({}),
      cleanUid.map((u) => ({ user: { uid: u } })),
      cleanUid.map((u) => ({ user: { uid: u }, session: { use_most_recent: true } })),
      fc.constant({ session: { id: '111:222' } }),
      // What the node with editor fields reads its uid from (its name makes other keys the flow's data).
      cleanUid.map((u) => ({ uid: u })),
    ),
  )
  .map(([event, ident]) => ({ ...event, ...ident }));

const cleanUser = fc.record(
  { uid: cleanUid, display_name: fc.string({ unit: 'grapheme', maxLength: 40 }), email: fc.constantFrom('ann@example.com', 'b@example.org'), properties: cleanProperties },
  { requiredKeys: ['uid'] },
);

const eventRecord = fc.oneof(
  { weight: 5, arbitrary: cleanEvent },
  { weight: 3, arbitrary: v2Event },
  { weight: 1, arbitrary: v1Event },
  { weight: 1, arbitrary: anything },
);
const userRecord = fc.oneof(
  { weight: 5, arbitrary: cleanUser },
  { weight: 3, arbitrary: user },
  { weight: 1, arbitrary: v1User },
  { weight: 1, arbitrary: anything },
);

/** One payload: a record, something else entirely, or (bulk in batch mode) an array of mixed items. */
const payloadOf = (record: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> => fc.oneof(
  { weight: 6, arbitrary: record },
  { weight: 2, arbitrary: fc.array(record, { maxLength: 6 }) },
  { weight: 1, arbitrary: fc.constantFrom(undefined, null, '', 'text', 42, true) },
);

// ---- msgs and scenarios ----

const rarely = <T>(arbitrary: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> => fc.oneof({ weight: 4, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary });

const msgRecipe = (poolSize: number, nodes: readonly NodeKey[]): fc.Arbitrary<MsgRecipe> =>
  fc
    .record({
      // Mostly a node of the scenario's kind (user or event), sometimes any node.
      node: fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...nodes) }, { weight: 1, arbitrary: fc.constantFrom(...NODE_KEYS) }),
      payload: fc.nat({ max: poolSize - 1 }),
      payloadShape: fc.oneof(
        { weight: 8, arbitrary: fc.constant<PayloadShape>('plain') },
        { weight: 3, arbitrary: fc.constantFrom<PayloadShape>('frozen', 'deepFrozen', 'getterTop', 'getterProperties', 'getterItem', 'proxy', 'circular') },
      ),
      msgShape: fc.oneof(
        { weight: 8, arbitrary: fc.constant<MsgShape>('plain') },
        { weight: 3, arbitrary: fc.constantFrom<MsgShape>('frozen', 'sealed', 'readOnlyError', 'getterExtra', 'getterPayload', 'getterTwice') },
      ),
      operation: rarely(fc.oneof({ weight: 3, arbitrary: fc.constantFrom('upsert', 'get', 'list', 'delete', 'update') }, { weight: 1, arbitrary: fc.oneof(fc.constant('drop'), anything) })),
      topic: fc.oneof({ weight: 3, arbitrary: fc.stringMatching(/^[A-Za-z][A-Za-z ]{0,12}$/) }, { weight: 1, arbitrary: oddString }, { weight: 1, arbitrary: anything }),
      fullstory: rarely(fc.oneof(fc.record({ idempotencyKey: oddString, requestDigest: oddString }), anything)),
      control: rarely(fc.constantFrom<'flush' | 'reset'>('flush', 'reset')),
    })
    .map((recipe) => {
      // Absent rather than undefined, so that a reported counterexample shows only what was set.
      const out: MsgRecipe = { node: recipe.node, payload: recipe.payload, payloadShape: recipe.payloadShape, msgShape: recipe.msgShape, topic: recipe.topic };
      if (recipe.operation !== undefined) out.operation = recipe.operation;
      if (recipe.fullstory !== undefined) out.fullstory = recipe.fullstory;
      if (recipe.control !== undefined) out.control = recipe.control;
      return out;
    });

/** A scenario is about users or about events: a pool of payloads (shared by the msgs that pick the same one) and the msgs. */
export const scenario: fc.Arbitrary<Scenario> = fc
  .constantFrom<[fc.Arbitrary<unknown>, readonly NodeKey[]]>([userRecord, USER_NODES], [eventRecord, EVENT_NODES])
  .chain(([record, nodes]) =>
    fc
      .array(payloadOf(record), { minLength: 1, maxLength: 4 })
      .chain((pool) => fc.record({ pool: fc.constant(pool), msgs: fc.array(msgRecipe(pool.length, nodes), { minLength: 1, maxLength: 6 }) })),
  );

// ---- materializing ----

function thrower(key: string): PropertyDescriptor {
  return { enumerable: true, configurable: true, get() { throw new Error(`getter ${key} says no`); } };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/** Copies plain objects and arrays all the way down (other values are shared), then freezes the copy. */
function deepFrozenCopy(value: unknown): unknown {
  if (Array.isArray(value)) return Object.freeze(value.map(deepFrozenCopy));
  if (isObject(value) && (Object.getPrototypeOf(value) === Object.prototype || Object.getPrototypeOf(value) === null)) {
    const copy: Record<string, unknown> = Object.create(Object.getPrototypeOf(value) as object | null) as Record<string, unknown>;
    for (const key of Object.keys(value)) Object.defineProperty(copy, key, { value: deepFrozenCopy(value[key]), enumerable: true });
    return Object.freeze(copy);
  }
  return value;
}

/** A shallow copy of an object or array (prototype kept), or the value itself. */
function shallow<T>(value: T): T {
  if (Array.isArray(value)) return [...value] as T;
  if (isObject(value)) return Object.defineProperties(Object.create(Object.getPrototypeOf(value) as object | null), Object.getOwnPropertyDescriptors(value)) as T;
  return value;
}

export function shapePayload(value: unknown, shape: PayloadShape): unknown {
  switch (shape) {
    case 'plain':
      return value;
    case 'frozen':
      return isObject(value) ? Object.freeze(shallow(value)) : value;
    case 'deepFrozen':
      return deepFrozenCopy(value);
    case 'getterTop':
      return isObject(value) ? Object.defineProperty(shallow(value), 'properties', thrower('properties')) : value;
    case 'getterProperties': {
      if (!isObject(value) || !isObject(value.properties)) return isObject(value) ? Object.defineProperty(shallow(value), 'uid', thrower('uid')) : value;
      const copy = shallow(value);
      Object.defineProperty(copy, 'properties', { value: Object.defineProperty(shallow(value.properties), 'plan', thrower('plan')), enumerable: true, configurable: true, writable: true });
      return copy;
    }
    case 'getterItem': {
      if (!Array.isArray(value) || value.length === 0) return isObject(value) ? Object.defineProperty(shallow(value), 'name', thrower('name')) : value;
      const copy = [...value];
      Object.defineProperty(copy, String(copy.length - 1), thrower('item'));
      return copy;
    }
    case 'proxy':
      return isObject(value)
        ? new Proxy(shallow(value), {
          get(target, key) {
            if (key === 'properties' || key === 'name' || key === 'uid') throw new Error('proxy says no');
            return Reflect.get(target, key) as unknown;
          },
          ownKeys() { throw new Error('proxy keys say no'); },
        })
        : value;
    case 'circular': {
      if (!isObject(value) || Array.isArray(value)) return value;
      const copy = shallow(value);
      copy.self = copy;
      return copy;
    }
  }
}

/** The msg for one recipe, around its (already shaped, possibly shared) payload object. */
export function materialize(recipe: MsgRecipe, payloadObject: unknown, id: string): Record<string, unknown> {
  const msg: Record<string, unknown> = { _msgid: id, payload: payloadObject };
  if ('operation' in recipe) msg.operation = recipe.operation;
  if ('topic' in recipe) msg.topic = recipe.topic;
  if ('fullstory' in recipe) msg.fullstory = recipe.fullstory;
  if (recipe.control) msg[recipe.control] = true;
  switch (recipe.msgShape) {
    case 'plain':
      return msg;
    case 'frozen':
      return Object.freeze(msg);
    case 'sealed':
      return Object.seal(msg);
    case 'readOnlyError':
      Object.defineProperty(msg, 'error', { value: 'earlier', enumerable: true, writable: false, configurable: false });
      return msg;
    case 'getterExtra':
      return Object.defineProperty(msg, 'extra', thrower('extra'));
    case 'getterPayload':
      return Object.defineProperty(msg, 'payload', thrower('payload'));
    case 'getterTwice': {
      // Reads fine once (when the node builds the request), then throws (when it is copied).
      let reads = 0;
      return Object.defineProperty(msg, 'extra', {
        enumerable: true,
        configurable: true,
        get() {
          if (++reads > 1) throw new Error('getter extra says no the second time');
          return 1;
        },
      });
    }
  }
}
