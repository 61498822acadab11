// The text of an error, note or log line as it leaves a node: the runtime's message catalog when it
// has the text, else the English of the en-US catalog (texts.ts). Error texts live in the catalog of
// the node that raises them; those both data nodes raise in the config node's (see texts.ts).

import type { ErrorI18n } from '../api/errors';
import { englishText, renderText, runtimeKey, runtimePrefix, type Catalog, type CatalogText, type PlainVars } from '../api/texts';

export type Translate = (key: string, vars?: Record<string, string | number>) => string;

/** Where the shared error texts live (namespace `<module>/<node set>`, then `<node>.errors.`). */
export const ERROR_CATALOG_PREFIX = `${runtimePrefix('fullstory-config')}errors.`;

/** Anything with an English text and, optionally, its catalog text: an error, or a note (notes.ts). */
export interface LocalizableText {
  message: string;
  i18n?: ErrorI18n;
}

export function localizeError(translate: Translate, error: LocalizableText): string {
  if (!error.i18n) return error.message;
  return localizeText(translate, error.i18n) ?? error.message;
}

/** A text in the runtime's language, or undefined when the runtime lacks it (or a text among its variables). */
export function localizeText(translate: Translate, text: CatalogText, own?: Catalog): string | undefined {
  return renderText(text, (key, vars) => lookup(translate, runtimeKey(key, own), vars));
}

/** A text in the runtime's language, in English where the runtime has no catalog for it (tests). */
export function sayText(translate: Translate, text: CatalogText, own?: Catalog): string {
  return localizeText(translate, text, own) ?? englishText(text, own);
}

/** The catalog text at the full key `path`, or undefined when the catalog has no such key. */
function lookup(translate: Translate, path: string, vars: PlainVars | undefined): string | undefined {
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
