// Editor fields set with a typedInput, compiled once at deploy so reading them per msg costs as
// little as possible: constants are evaluated once, msg paths read synchronously, and only
// flow/global/JSONata fields (which may hit async context stores) go through a callback.
//
// A field is evaluated only when it holds something: the type "not set", and any type with an
// empty value (an empty msg path, JSONata, JSON, flow key…), mean "not set". That is what the
// editor saves for a field the user never filled in (e.g. the event node's association value,
// type msg and value "", while the association is "as msg.payload says"). A setting that fails
// to evaluate is the user's to fix: it becomes `invalid_expression`, naming the setting.

import type { Node, NodeAPI, NodeMessage } from 'node-red';
import { FullStoryError } from '../api/errors';
import { catalogText, englishText } from '../api/texts';
import type { FieldType } from './node-settings';

export interface FieldReader {
  /** True when reading needs a callback (flow / global context, JSONata). */
  readonly isAsync: boolean;
  /** True when the field is not set: the payload's own value applies. */
  readonly isUnset: boolean;
  /** Set when the setting cannot be compiled (a syntax error): every read throws it. */
  readonly problem?: FullStoryError;
  readSync(msg: NodeMessage): unknown;
  read(msg: NodeMessage): Promise<unknown>;
}

const UNSET: FieldReader = {
  isAsync: false,
  isUnset: true,
  readSync: () => undefined,
  read: () => Promise.resolve(undefined),
};

/** Types that hold no value: the field means something without one. */
const VALUELESS: ReadonlySet<string> = new Set(['date']);

/** Longest part of an expression's own error text quoted in ours. */
const MAX_DETAIL = 300;

/** A setting that cannot work: reported at deploy by the caller, and every read fails with it. */
function broken(problem: FullStoryError): FieldReader {
  return {
    isAsync: false,
    isUnset: false,
    problem,
    readSync: () => {
      throw problem;
    },
    read: () => Promise.reject(problem),
  };
}

function constant(value: unknown): FieldReader {
  return { isAsync: false, isUnset: false, readSync: () => value, read: () => Promise.resolve(value) };
}

/** The error text of whatever an evaluation threw: JSONata throws plain objects, not Errors. */
function detailOf(err: unknown): string {
  const e = err as { message?: unknown; code?: unknown; position?: unknown } | null;
  let text = typeof e?.message === 'string' && e.message !== '' ? e.message : typeof err === 'string' ? err : englishText(catalogText('config:errors.unknownError'));
  const where: string[] = [];
  if (typeof e?.code === 'string' && /^[A-Z]\d{4}$/.test(e.code)) where.push(`JSONata ${e.code}`);
  if (typeof e?.position === 'number') where.push(`position ${e.position}`);
  if (where.length > 0) text += ` (${where.join(', ')})`;
  return text.length > MAX_DETAIL ? `${text.slice(0, MAX_DETAIL)}…` : text;
}

/** A node setting that could not be evaluated: at deploy (a syntax error) or for one msg. */
export function expressionError(setting: string, type: string, err: unknown): FullStoryError {
  if (err instanceof FullStoryError) return err;
  const detail = detailOf(err);
  return new FullStoryError(catalogText('config:errors.setting.expressionFailed', { setting, type, detail: detail.replace(/[.\s]+$/, '') }), {
    code: 'invalid_expression',
    retryable: false,
    field: setting,
  });
}

/**
 * Compiles one typedInput field. `setting` is the name the node stores it under (`properties`,
 * `associationValue`…): errors name it in msg.error.field. Never throws: a setting that cannot
 * be compiled gives a reader whose `problem` says why.
 */
export function compileField(RED: NodeAPI, node: Node, setting: string, value: string | undefined, type: FieldType | undefined): FieldReader {
  try {
    return compile(RED, node, setting, value, type);
  } catch (err) {
    return broken(expressionError(setting, type ?? 'none', err));
  }
}

function compile(RED: NodeAPI, node: Node, setting: string, value: string | undefined, type: FieldType | undefined): FieldReader {
  const kind: string = type ?? 'none';
  const text = value ?? '';
  if (kind === 'none') return UNSET;
  // "str" keeps its spaces (" " is a value, refused later with a clear message); for the other
  // types blank is as empty as "".
  if (!VALUELESS.has(kind) && (kind === 'str' ? text === '' : text.trim() === '')) return UNSET;
  const fail = (err: unknown) => expressionError(setting, kind, err);
  switch (kind) {
    case 'str':
      return constant(text);
    case 'num':
    case 'bool':
    case 'json':
    case 'env':
      // Evaluated once: these cannot change between msgs of one deployment.
      try {
        return constant(RED.util.evaluateNodeProperty(text, kind, node, {} as NodeMessage));
      } catch (err) {
        throw fail(err);
      }
    case 'date':
      return { isAsync: false, isUnset: false, readSync: () => new Date(), read: () => Promise.resolve(new Date()) };
    case 'msg': {
      try {
        RED.util.normalisePropertyExpression(text);
      } catch (err) {
        throw fail(err);
      }
      const readSync = (msg: NodeMessage): unknown => {
        try {
          return RED.util.getMessageProperty(msg, text);
        } catch (err) {
          throw fail(err);
        }
      };
      return { isAsync: false, isUnset: false, readSync, read: (msg) => new Promise((resolve) => resolve(readSync(msg))) };
    }
    default: {
      let expr: ReturnType<NodeAPI['util']['prepareJSONataExpression']> | undefined;
      try {
        if (kind === 'jsonata') expr = RED.util.prepareJSONataExpression(text, node);
        // A context key that cannot be parsed is refused at deploy (a store reads it as nothing).
        else if (kind === 'flow' || kind === 'global') RED.util.normalisePropertyExpression(RED.util.parseContextStore(text).key);
      } catch (err) {
        throw fail(err);
      }
      const read = (msg: NodeMessage): Promise<unknown> =>
        new Promise<unknown>((resolve, reject) => {
          const cb = (err: unknown, result: unknown) => (err ? reject(err) : resolve(result));
          if (expr) RED.util.evaluateJSONataExpression(expr, msg, cb);
          else RED.util.evaluateNodeProperty(text, kind, node, msg, cb);
        }).catch((err: unknown) => {
          throw fail(err);
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
 * and the batch-mode hot path), otherwise as a promise. Only fields that are set are kept.
 */
export class FieldSet<K extends string> {
  private readonly entries: Array<[K, FieldReader]>;
  readonly isAsync: boolean;

  constructor(readers: Partial<Record<K, FieldReader>>) {
    this.entries = (Object.entries(readers) as Array<[K, FieldReader]>).filter(([, r]) => !r.isUnset);
    this.isAsync = this.entries.some(([, r]) => r.isAsync);
  }

  get isEmpty(): boolean {
    return this.entries.length === 0;
  }

  /** The fields that are set, by setting name. */
  get keys(): K[] {
    return this.entries.map(([key]) => key);
  }

  /** The same readers, only those named (fields a setting such as the operation makes irrelevant are left out). */
  only(keys: readonly K[]): FieldSet<K> {
    const readers: Partial<Record<K, FieldReader>> = {};
    for (const [key, reader] of this.entries) if (keys.includes(key)) readers[key] = reader;
    return new FieldSet<K>(readers);
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
