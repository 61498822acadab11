// The per-node settings both data nodes read once at deploy: declared property types and the
// typedInput fields. A setting that cannot work is reported once (node.error) and then fails
// every msg that needs it with the same clear error, instead of crashing the deploy.

import type { Node, NodeAPI } from 'node-red';
import type { PropertyType } from '../api/types';
import { asFullStoryError } from '../api/errors';
import { compileField, FieldSet, type FieldReader } from './field-reader';
import { parsePropertyTypes } from '../validate/properties';
import type { FieldType } from './node-settings';

export interface EditorSettings<K extends string> {
  declaredTypes: Record<string, PropertyType>;
  fields: FieldSet<K>;
  /** Throws the deploy-time settings error, if there is one (called per msg). */
  check(): void;
}

export function readEditorSettings<K extends string>(
  RED: NodeAPI,
  node: Node,
  propertyTypes: string | undefined,
  fields: Record<K, readonly [value: string | undefined, type: FieldType | undefined]>,
  /** The fields the node's own settings use (the user node's operation): only their problems are
   * reported at deploy. A msg that picks another operation still fails on a broken field. */
  used: readonly K[] = Object.keys(fields) as K[],
): EditorSettings<K> {
  const readers = {} as Record<K, FieldReader>;
  for (const [key, [value, type]] of Object.entries(fields) as Array<[K, readonly [string | undefined, FieldType | undefined]]>) {
    readers[key] = compileField(RED, node, key, value, type);
    const problem = readers[key].problem;
    if (problem && used.includes(key)) node.error(`Invalid node settings: ${problem.message}`);
  }
  try {
    return { declaredTypes: parsePropertyTypes(propertyTypes ?? ''), fields: new FieldSet<K>(readers), check: () => undefined };
  } catch (err) {
    const error = asFullStoryError(err);
    node.error(`Invalid node settings: ${error.message}`);
    return {
      declaredTypes: {},
      fields: new FieldSet<K>({}),
      check: () => {
        throw error;
      },
    };
  }
}
