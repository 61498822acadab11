// Editor fields set with a typedInput, compiled once at deploy so reading them per msg costs as
// little as possible: constants are evaluated once, msg paths read synchronously, and only
// flow/global/JSONata fields (which may hit async context stores) go through a callback.

import type { Node, NodeAPI, NodeMessage } from 'node-red';
import type { FieldType } from './node-settings';

export interface FieldReader {
  /** True when reading needs a callback (flow / global context, JSONata). */
  readonly isAsync: boolean;
  /** True when the field is not set: the payload's own value applies. */
  readonly isUnset: boolean;
  readSync(msg: NodeMessage): unknown;
  read(msg: NodeMessage): Promise<unknown>;
}

const UNSET: FieldReader = {
  isAsync: false,
  isUnset: true,
  readSync: () => undefined,
  read: () => Promise.resolve(undefined),
};

function constant(value: unknown): FieldReader {
  return { isAsync: false, isUnset: false, readSync: () => value, read: () => Promise.resolve(value) };
}

export function compileField(RED: NodeAPI, node: Node, value: string | undefined, type: FieldType | undefined): FieldReader {
  const text = value ?? '';
  switch (type ?? 'none') {
    case 'none':
      return UNSET;
    case 'str':
      return text === '' ? UNSET : constant(text);
    case 'num':
    case 'bool':
    case 'json':
    case 'env':
      // Evaluated once: these cannot change between msgs of one deployment.
      return constant(RED.util.evaluateNodeProperty(text, type as string, node, {} as NodeMessage));
    case 'date':
      return { isAsync: false, isUnset: false, readSync: () => new Date(), read: () => Promise.resolve(new Date()) };
    case 'msg':
      return {
        isAsync: false,
        isUnset: false,
        readSync: (msg) => RED.util.getMessageProperty(msg, text),
        read: (msg) => Promise.resolve(RED.util.getMessageProperty(msg, text)),
      };
    default: {
      const expr = type === 'jsonata' ? RED.util.prepareJSONataExpression(text, node) : undefined;
      const read = (msg: NodeMessage): Promise<unknown> =>
        new Promise((resolve, reject) => {
          const cb = (err: Error | null, result: unknown) => (err ? reject(err) : resolve(result));
          if (expr) RED.util.evaluateJSONataExpression(expr, msg, cb);
          else RED.util.evaluateNodeProperty(text, type as string, node, msg, cb);
        });
      return {
        isAsync: true,
        isUnset: false,
        readSync: () => {
          throw new Error('field needs async evaluation');
        },
        read,
      };
    }
  }
}

export type FieldValues<K extends string> = Partial<Record<K, unknown>>;

/**
 * Reads a set of fields for one msg: synchronously when every field allows it (the common case,
 * and the batch-mode hot path), otherwise as a promise.
 */
export class FieldSet<K extends string> {
  private readonly entries: Array<[K, FieldReader]>;
  readonly isAsync: boolean;

  constructor(readers: Record<K, FieldReader>) {
    this.entries = (Object.entries(readers) as Array<[K, FieldReader]>).filter(([, r]) => !r.isUnset);
    this.isAsync = this.entries.some(([, r]) => r.isAsync);
  }

  get isEmpty(): boolean {
    return this.entries.length === 0;
  }

  readSync(msg: NodeMessage): FieldValues<K> {
    const out: FieldValues<K> = {};
    for (const [key, reader] of this.entries) out[key] = reader.readSync(msg);
    return out;
  }

  /** Calls `use` with the field values: synchronously when possible, else after reading them. */
  apply<T>(msg: NodeMessage, use: (values: FieldValues<K>) => T): T | Promise<T> {
    if (this.entries.length === 0) return use({});
    if (!this.isAsync) return use(this.readSync(msg));
    return this.read(msg).then(use);
  }

  async read(msg: NodeMessage): Promise<FieldValues<K>> {
    const out: FieldValues<K> = {};
    for (const [key, reader] of this.entries) out[key] = await reader.read(msg);
    return out;
  }
}
