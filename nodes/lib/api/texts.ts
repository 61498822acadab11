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
/** A variable's value: plain data, or a catalog text of its own (rendered first, in the same language). */
export type TextValue = string | number | CatalogText;
export type TextVars = Readonly<Record<string, TextValue>>;
/** Variables as a catalog lookup gets them: every text already rendered. */
export type PlainVars = Record<string, string | number>;

declare const made: unique symbol;

/** A catalog key with its variables: made by catalogText() only (the brand keeps it so). */
export interface CatalogText<K extends TextKey = TextKey> {
  readonly key: K;
  /** Never secrets. `at` holds a field path, rendered as the catalog's " (at …)" marker. */
  readonly vars?: TextVars;
  readonly [made]: true;
}

/** A text whose catalog is known without knowing which node shows it (all errors are). */
export type FixedText = CatalogText<`${Catalog}:${string}`>;

export function catalogText<K extends TextKey>(key: K, vars?: TextVars): CatalogText<K> {
  return make(key, vars);
}

function make<K extends TextKey>(key: K, vars: TextVars | undefined): CatalogText<K> {
  return (vars === undefined ? { key } : { key, vars }) as CatalogText<K>;
}

/** The same text with every plain variable passed through `change` (redaction), texts in it too. */
export function withVars<K extends TextKey>(text: CatalogText<K>, change: (value: string | number) => string | number): CatalogText<K> {
  if (text.vars === undefined) return text;
  const vars = Object.fromEntries(Object.entries(text.vars).map(([name, value]) => [name, typeof value === 'object' ? withVars(value, change) : change(value)]));
  return make(text.key, vars);
}

/** The same text with one variable replaced. */
export function withVar<K extends TextKey>(text: CatalogText<K>, name: string, value: TextValue): CatalogText<K> {
  return make(text.key, { ...text.vars, [name]: value });
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
export type TextLookup = (key: TextKey, vars: PlainVars | undefined) => string | undefined;

const AT = catalogText('config:errors.at');

/**
 * Renders a text through `lookup`: texts among its variables first, `at` as the catalog's field
 * marker (English when the lookup lacks it). Undefined when the text or a text in it is missing.
 */
export function renderText(text: CatalogText, lookup: TextLookup): string | undefined {
  if (text.vars === undefined) return lookup(text.key, undefined);
  const vars: PlainVars = {};
  for (const [name, value] of Object.entries(text.vars)) {
    if (typeof value === 'object') {
      const rendered = renderText(value, lookup);
      if (rendered === undefined) return undefined;
      vars[name] = rendered;
    } else if (name === 'at') {
      const field = String(value);
      vars.at = field === '' ? '' : (lookup(AT.key, { field }) ?? englishLookup(AT.key, { field }) ?? '');
    } else {
      vars[name] = value;
    }
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

function englishLookup(key: TextKey, vars: PlainVars | undefined, own?: Catalog): string | undefined {
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
export function interpolate(template: string, vars: PlainVars | undefined): string {
  return template.replace(/__(.+?)__/g, (_, name: string) => (vars && name in vars ? String(vars[name]) : ''));
}
