// The per-node settings both data nodes read once at deploy: declared property types and the
// typedInput fields. A setting that cannot work is reported once (node.error) and then fails
// every msg that needs it with the same clear error, instead of crashing the deploy.

import type { Node, NodeAPI } from 'node-red';
import type { PropertyType } from '../api/types';
import { asFullStoryError, type FullStoryError } from '../api/errors';
import { catalogText } from '../api/texts';
import { sayText } from '../delivery/error-text';
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
    if (problem && used.includes(key)) node.error(invalidSettingsText(RED, problem));
  }
  try {
    return { declaredTypes: parsePropertyTypes(propertyTypes ?? ''), fields: new FieldSet<K>(readers), check: () => undefined };
  } catch (err) {
    const error = asFullStoryError(err);
    node.error(invalidSettingsText(RED, error));
    return {
      declaredTypes: {},
      fields: new FieldSet<K>({}),
      check: () => {
        throw error;
      },
    };
  }
}

/** The deploy-time log line for a setting that cannot work, in the runtime's language. */
function invalidSettingsText(RED: NodeAPI, problem: FullStoryError): string {
  const text = catalogText('config:log.invalidSettings', { problem: problem.i18n ?? problem.message });
  return sayText((key, vars) => RED._(key, vars), text);
}
