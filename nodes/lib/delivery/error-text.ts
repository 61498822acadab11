// The text of an error as it leaves a node: the runtime's message catalog when the error carries a
// catalog key and the catalog has it, else the English message the error was built with.

import type { ErrorI18n } from '../api/errors';

export type Translate = (key: string, vars?: Record<string, string | number>) => string;

/**
 * Where the error texts live: the config node's catalog (namespace `<module>/<node set>`), whose
 * top-level key is the node type; in it, `errors.<key>`.
 */
export const ERROR_CATALOG_PREFIX = 'node-red-contrib-fullstory/fullstory-config:fullstory-config.errors.';

/** Anything with an English text and, optionally, its catalog key: an error, or a note (notes.ts). */
export interface LocalizableText {
  message: string;
  i18n?: ErrorI18n;
}

export function localizeError(translate: Translate, error: LocalizableText): string {
  const i18n = error.i18n;
  if (!i18n) return error.message;
  const vars = i18n.vars ? { ...i18n.vars } : undefined;
  // `at` holds a field path: it becomes the catalog's " (at <field>)" marker, or nothing when empty.
  if (vars && 'at' in vars) {
    const field = String(vars.at);
    vars.at = field === '' ? '' : (lookup(translate, 'at', { field }) ?? ` (at ${field})`);
  }
  if (i18n.parts) {
    const all = vars ?? {};
    for (const [name, part] of Object.entries(i18n.parts)) {
      const text = lookup(translate, part.key, part.vars);
      if (text === undefined) return error.message;
      all[name] = text;
    }
    return lookup(translate, i18n.key, all) ?? error.message;
  }
  return lookup(translate, i18n.key, vars) ?? error.message;
}

/** The catalog text for `errors.<key>`, or undefined when the catalog has no such key. */
function lookup(translate: Translate, key: string, vars: Record<string, string | number> | undefined): string | undefined {
  const path = ERROR_CATALOG_PREFIX + key;
  let text: unknown;
  try {
    text = translate(path, vars);
  } catch {
    return undefined;
  }
  // A missing key comes back unchanged (the test helper's RED._ is the identity), and the real
  // runtime (i18next) returns it without its namespace: both mean "no translation".
  if (typeof text !== 'string' || text === '' || text === path || path.endsWith(`:${text}`)) return undefined;
  return text;
}
