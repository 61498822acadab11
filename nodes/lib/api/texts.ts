// Every error, status and log text of the package is a key of a node's message catalog
// (nodes/<node>/locales/<lang>/<node>.json) with variables. Its English lives in the en-US catalog
// only: where no runtime translator exists (Error.message, unit tests) it is read from there.
//
// A key is written in one form only, `catalogText('<catalog>:<path>', vars)`, with the key as a
// string literal, so that a test can list every key the code can raise from the sources and check
// it in every language (test/unit/catalog-keys.test.ts). Which catalog a text lives in:
//   config  the config node's catalog, also the shared one: texts both data nodes raise
//           (transport, properties, batch, runtime), i.e. everything under nodes/lib/;
//   user    texts only the user node raises (code under nodes/fullstory-user/);
//   event   texts only the event node raises (code under nodes/fullstory-event/);
//   node    the catalog of the data node that shows it (status and log lines of either node).

import fs from 'node:fs';
import path from 'node:path';

export type Catalog = 'config' | 'user' | 'event';
export type TextScope = Catalog | 'node';
export type TextKey = `${TextScope}:${string}`;
export type TextVars = Record<string, string | number>;

declare const made: unique symbol;

/** A catalog key with its variables: made by catalogText() only (the brand keeps it so). */
export interface CatalogText<K extends TextKey = TextKey> {
  readonly key: K;
  /** Placeholder values; never secrets. `at` holds a field path, rendered as the catalog's " (at …)". */
  readonly vars?: TextVars;
  /** Placeholders that are catalog texts themselves, rendered first. */
  readonly parts?: Readonly<Record<string, CatalogText>>;
  readonly [made]: true;
}

/** A text whose catalog is known without knowing which node shows it (all errors are). */
export type FixedText = CatalogText<`${Catalog}:${string}`>;

export function catalogText<K extends TextKey>(key: K, vars?: TextVars, parts?: Record<string, CatalogText>): CatalogText<K> {
  return make(key, vars, parts);
}

function make<K extends TextKey>(key: K, vars: TextVars | undefined, parts: Record<string, CatalogText> | undefined): CatalogText<K> {
  const text: { key: K; vars?: TextVars; parts?: Record<string, CatalogText> } = { key };
  if (vars !== undefined) text.vars = vars;
  if (parts !== undefined) text.parts = parts;
  return text as CatalogText<K>;
}

/** The same text with every variable passed through `change` (redaction). */
export function withVars<K extends TextKey>(text: CatalogText<K>, change: (value: string | number) => string | number): CatalogText<K> {
  const vars = text.vars && Object.fromEntries(Object.entries(text.vars).map(([name, value]) => [name, change(value)]));
  const parts = text.parts && Object.fromEntries(Object.entries(text.parts).map(([name, part]) => [name, withVars(part, change)]));
  return make(text.key, vars, parts);
}

/** The same text with more variables (those it has win). */
export function withMoreVars<K extends TextKey>(text: CatalogText<K>, more: TextVars): CatalogText<K> {
  return make(text.key, { ...more, ...text.vars }, text.parts);
}

/** The same text with one more part (it replaces a variable or part of that name). */
export function withPart<K extends TextKey>(text: CatalogText<K>, name: string, part: CatalogText): CatalogText<K> {
  return make(text.key, text.vars, { ...text.parts, [name]: part });
}

const PACKAGE = 'node-red-contrib-fullstory';

/** The node type whose catalog holds `key` (`own`: the data node showing a `node:` text). */
export function catalogNode(key: TextKey, own?: Catalog): string {
  const scope = key.slice(0, key.indexOf(':')) as TextScope;
  return `fullstory-${scope === 'node' ? (own ?? 'user') : scope}`;
}

/** Path of the text inside its catalog, below the node type: `errors.http.timeout`. */
export function catalogPath(key: TextKey): string {
  return key.slice(key.indexOf(':') + 1);
}

/** What RED._ resolves from any module: `node-red-contrib-fullstory/<node>:<node>.<path>`. */
export function runtimeKey(key: TextKey, own?: Catalog): string {
  return `${runtimePrefix(catalogNode(key, own))}${catalogPath(key)}`;
}

/** The start of every runtime key of one node's catalog: `node-red-contrib-fullstory/<node>:<node>.` */
export function runtimePrefix(node: string): string {
  return `${PACKAGE}/${node}:${node}.`;
}

/** What RED._ resolves inside the node's own module (no namespace): `<node>.<path>`. */
export function ownKey(key: TextKey, own?: Catalog): string {
  return `${catalogNode(key, own)}.${catalogPath(key)}`;
}

/** One catalog text, or undefined when the catalog lacks it. */
export type TextLookup = (key: TextKey, vars: TextVars | undefined) => string | undefined;

const AT = catalogText('config:errors.at');

/**
 * Renders a text through `lookup`: parts first, `at` as the catalog's field marker (English when
 * the lookup lacks it). Undefined when the text or one of its parts is missing.
 */
export function renderText(text: CatalogText, lookup: TextLookup): string | undefined {
  const vars = text.vars ? { ...text.vars } : undefined;
  if (vars && 'at' in vars) {
    const field = String(vars.at);
    vars.at = field === '' ? '' : (lookup(AT.key, { field }) ?? englishLookup(AT.key, { field }) ?? '');
  }
  if (text.parts) {
    const all = vars ?? {};
    for (const [name, part] of Object.entries(text.parts)) {
      const rendered = renderText(part, lookup);
      if (rendered === undefined) return undefined;
      all[name] = rendered;
    }
    return lookup(text.key, all);
  }
  return lookup(text.key, vars);
}

/** The English of a text, from the en-US catalog (the key itself if even that lacks it). */
export function englishText(text: CatalogText, own?: Catalog): string {
  return renderText(text, (key, vars) => englishLookup(key, vars, own)) ?? text.key;
}

type CatalogTree = { [name: string]: string | CatalogTree };

const english = new Map<string, CatalogTree | undefined>();

/**
 * The en-US catalog of one node, read once, when first needed. Relative to this module, so it is
 * found from the .ts sources and from dist/ alike (the build copies each node's locales/).
 */
function englishCatalog(node: string): CatalogTree | undefined {
  if (!english.has(node)) {
    let tree: CatalogTree | undefined;
    try {
      const file = path.join(__dirname, '..', '..', node, 'locales', 'en-US', `${node}.json`);
      tree = (JSON.parse(fs.readFileSync(file, 'utf8')) as CatalogTree)[node] as CatalogTree | undefined;
    } catch {
      tree = undefined;
    }
    english.set(node, tree);
  }
  return english.get(node);
}

const englishPlurals = new Intl.PluralRules('en-US');

function englishLookup(key: TextKey, vars: TextVars | undefined, own?: Catalog): string | undefined {
  let node: string | CatalogTree | undefined = englishCatalog(catalogNode(key, own));
  const names = catalogPath(key).split('.');
  const last = names.pop()!;
  for (const name of names) node = typeof node === 'object' ? node[name] : undefined;
  if (typeof node !== 'object') return undefined;
  // i18next plurals: `<key>_one` / `<key>_other`, chosen by `count`.
  const count = vars?.count;
  const found = typeof count === 'number' && node[`${last}_other`] !== undefined ? node[`${last}_${englishPlurals.select(count)}`] : node[last];
  return typeof found === 'string' ? interpolate(found, vars) : undefined;
}

/** i18next's `__name__` placeholders; a missing variable renders as nothing, as i18next does. */
export function interpolate(template: string, vars: TextVars | undefined): string {
  return template.replace(/__(.+?)__/g, (_, name: string) => (vars && name in vars ? String(vars[name]) : ''));
}
