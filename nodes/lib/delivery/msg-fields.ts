// Writing our results (msg.fullstory, msg.error, …) onto a msg that may refuse: frozen, sealed, a
// read-only property, a proxy. Node-RED copies a msg whenever it goes to more than one node, so a
// copy is what a frozen msg would become one wire later anyway: the result goes on a shallow copy
// and the msg itself is left as it was.

import type { NodeMessageInFlow } from 'node-red';

type Msg = NodeMessageInFlow & Record<string, unknown>;

/** Fields to set on a msg; `undefined` removes the field. */
export type MsgFields = Readonly<Record<string, unknown>>;

/**
 * The msg a node works on: the msg itself, or a shallow copy when the node could not set
 * msg.payload on it (a get or list replaces the payload). Undefined when not even a copy can be made.
 */
export function workingMsg(msg: NodeMessageInFlow): NodeMessageInFlow | undefined {
  try {
    if (Object.isExtensible(msg) && isWritable(msg, 'payload')) return msg;
    return shallowCopy(msg);
  } catch {
    return undefined; // a proxy whose traps throw, a getter that throws: it fails when it leaves
  }
}

/**
 * The msg with `fields` set: the msg itself when it takes them, else a shallow copy. Throws what
 * made the copy fail when neither works (a getter that throws, a proxy).
 */
export function withFields(msg: NodeMessageInFlow, fields: MsgFields): NodeMessageInFlow {
  let writable = false;
  try {
    writable = Object.isExtensible(msg) && Object.keys(fields).every((key) => isWritable(msg, key));
  } catch {
    // A proxy whose traps throw: try a copy.
  }
  if (writable) {
    try {
      return assign(msg as Msg, fields);
    } catch {
      // A setter that throws (a proxy): the copy below gets every field again.
    }
  }
  return assign(shallowCopy(msg) as Msg, fields);
}

/** Own enumerable properties copied as data (each getter read once); throws what reading threw. */
export function shallowCopy(msg: NodeMessageInFlow): NodeMessageInFlow {
  // Spread defines own data properties, so a "__proto__" key stays an ordinary key.
  return { ...msg };
}

function isWritable(target: object, key: string): boolean {
  // The usual case (msg.fullstory, msg.error not there yet) without a descriptor object per msg.
  if (!Object.hasOwn(target, key)) return true; // extensibility was checked by the caller
  const descriptor = Object.getOwnPropertyDescriptor(target, key);
  if (descriptor === undefined) return true; // extensibility was checked by the caller
  return descriptor.writable === true && descriptor.configurable === true;
}

function assign(target: Msg, fields: MsgFields): NodeMessageInFlow {
  for (const key of Object.keys(fields)) {
    const value = fields[key];
    if (value === undefined) delete target[key];
    else target[key] = value;
  }
  return target;
}
