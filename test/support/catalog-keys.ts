// Lists every catalog text the package's code can raise, mechanically, from the sources, and checks
// each against the message catalogs of every language. The rule the sources follow (texts.ts): a
// text is made only by `catalogText('<catalog>:<path>', …)` with the key as a plain string literal,
// and nothing else in the code names a catalog key. `sourceProblems` reports what escapes that rule;
// `catalogProblems` reports keys missing in a language or with other variables than en-US, and
// variables the en-US text uses that a call does not give (where it gives them as an object literal).

import fs from 'node:fs';
import path from 'node:path';

export const LANGUAGES = ['en-US', 'de', 'ja'] as const;
export const CATALOGS = ['config', 'user', 'event'] as const;
export type CatalogName = (typeof CATALOGS)[number];
type Scope = CatalogName | 'node';

export type CatalogTree = { [name: string]: string | CatalogTree };
/** catalogs[catalog][language] = the tree below the node type (`fullstory-<catalog>`). */
export type Catalogs = Record<CatalogName, Record<string, CatalogTree>>;

export interface KeyUse {
  scope: Scope;
  /** Path inside the catalog, below the node type: `errors.http.timeout`. */
  path: string;
  file: string;
  line: number;
  /** The variables the call names, when it gives them as an object literal without spreads. */
  vars?: string[];
}

export interface SourceFile {
  /** Relative to the repository root, with / separators: `nodes/lib/api/client.ts`. */
  file: string;
  text: string;
}

const root = path.resolve(__dirname, '..', '..');

/** Every .ts file under nodes/. */
export function nodeSources(): SourceFile[] {
  const out: SourceFile[] = [];
  const walk = (dir: string): void => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith('.ts')) out.push({ file: path.relative(root, full).split(path.sep).join('/'), text: fs.readFileSync(full, 'utf8') });
    }
  };
  walk(path.join(root, 'nodes'));
  return out.sort((a, b) => a.file.localeCompare(b.file));
}

export function readCatalogs(): Catalogs {
  const out = {} as Catalogs;
  for (const catalog of CATALOGS) {
    out[catalog] = {};
    for (const lang of LANGUAGES) {
      const node = `fullstory-${catalog}`;
      const file = path.join(root, 'nodes', node, 'locales', lang, `${node}.json`);
      out[catalog][lang] = (JSON.parse(fs.readFileSync(file, 'utf8')) as CatalogTree)[node] as CatalogTree;
    }
  }
  return out;
}

/** The one form a text reference takes: the key as a single-quoted literal, first argument. */
const KEY_USE = /\bcatalogText\(\s*'(config|user|event|node):([A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z][A-Za-z0-9_]*)*)'\s*[,)]/y;
const ANY_USE = /\bcatalogText\b/g;
/** The module that defines the rule may name the factory and build keys; nothing else may. */
const TEXTS_MODULE = 'nodes/lib/api/texts.ts';
/** A catalog key written some other way: a namespaced key, or a key below a node type. */
const STRAY_KEY = /['"`](?:node-red-contrib-fullstory\/|fullstory-(?:config|user|event)\.(?:errors|status|log|label|test)\b|(?:errors|status|log)\.[A-Za-z]+\.?[A-Za-z]*['"`])|\bi18n\s*:\s*\{|\{\s*key\s*:\s*['"`][A-Za-z]+[.:]/;
/** A cast that would make a catalog text without catalogText(). */
const CAST = /\bas\s+(?:unknown\s+as\s+)?(?:CatalogText|FixedText|ErrorI18n)\b/;

/** Comments blanked out (kept as spaces, so offsets and line numbers stay right). */
function withoutComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\/|(^|[^:'"`\\])\/\/[^\n]*/g, (m, lead: string | undefined) =>
    (lead ?? '') + m.slice((lead ?? '').length).replace(/[^\n]/g, ' '));
}

/** Import statements blanked out (an imported name is not a use). */
function withoutImports(text: string): string {
  return text.replace(/^import\s[\s\S]*?from\s+'[^']+';/gm, (m) => m.replace(/[^\n]/g, ' '));
}

function lineOf(text: string, index: number): number {
  return text.slice(0, index).split('\n').length;
}

/** Every key the sources use, and every place where a text escapes the one form. */
export function scanSources(files: readonly SourceFile[]): { uses: KeyUse[]; problems: string[] } {
  const uses: KeyUse[] = [];
  const problems: string[] = [];
  for (const { file, text: raw } of files) {
    const text = withoutImports(withoutComments(raw));
    const own = file === TEXTS_MODULE;
    for (const m of text.matchAll(ANY_USE)) {
      const at = m.index;
      const line = lineOf(text, at);
      if (own && /function\s+$/.test(text.slice(Math.max(0, at - 12), at))) continue;
      KEY_USE.lastIndex = at;
      const use = KEY_USE.exec(text);
      if (!use) {
        problems.push(`${file}:${line}: catalogText is not called with a key literal '<config|user|event|node>:<path>': ${text.slice(at, at + 60).split('\n')[0]}`);
        continue;
      }
      uses.push({ scope: use[1] as Scope, path: use[2]!, file, line, vars: literalVars(text, KEY_USE.lastIndex - 1) });
    }
    const lines = text.split('\n');
    lines.forEach((lineText, i) => {
      if (!own && STRAY_KEY.test(lineText)) problems.push(`${file}:${i + 1}: a catalog key written outside catalogText(): ${lineText.trim().slice(0, 100)}`);
      else if (!own && CAST.test(lineText) && !/legacyText|LegacyI18n/.test(raw.split('\n').slice(Math.max(0, i - 3), i + 1).join('\n'))) {
        problems.push(`${file}:${i + 1}: a catalog text made by a cast, not by catalogText(): ${lineText.trim().slice(0, 100)}`);
      }
    });
  }
  return { uses, problems };
}

/** Skips a string or template literal starting at `i`; returns the index after it. */
function skipLiteral(text: string, i: number): number {
  const quote = text[i]!;
  let j = i + 1;
  while (j < text.length && text[j] !== quote) {
    if (text[j] === '\\') j++;
    else if (quote === '`' && text.startsWith('${', j)) j = closing(text, j + 1);
    j++;
  }
  return j + 1;
}

/** Index of the bracket that closes the one at `open`. */
function closing(text: string, open: number): number {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    const c = text[i]!;
    if (c === "'" || c === '"' || c === '`') {
      i = skipLiteral(text, i) - 1;
    } else if ('([{'.includes(c)) depth++;
    else if (')]}'.includes(c) && --depth === 0) return i;
  }
  return text.length;
}

/**
 * The names of `{ a, b: x }` when the key's call gives its variables that way (`at`: the character
 * after the key literal); undefined when it gives none, passes a variable, or spreads one.
 */
function literalVars(text: string, at: number): string[] | undefined {
  if (text[at] !== ',') return undefined;
  let i = at + 1;
  while (/\s/.test(text[i] ?? '')) i++;
  if (text[i] !== '{') return undefined;
  const body = text.slice(i + 1, closing(text, i));
  const names: string[] = [];
  let depth = 0;
  let start = 0;
  const props: string[] = [];
  for (let j = 0; j <= body.length; j++) {
    const c = body[j];
    if (c === "'" || c === '"' || c === '`') { j = skipLiteral(body, j) - 1; continue; }
    if (c !== undefined && '([{'.includes(c)) depth++;
    else if (c !== undefined && ')]}'.includes(c)) depth--;
    else if ((c === ',' && depth === 0) || c === undefined) { props.push(body.slice(start, j).trim()); start = j + 1; }
  }
  for (const prop of props.filter((p) => p !== '')) {
    if (prop.startsWith('...')) return undefined;
    const m = /^([A-Za-z_$][\w$]*)\s*(?::|$)/.exec(prop);
    if (!m) return undefined;
    names.push(m[1]!);
  }
  return names;
}

/** Where a scope's texts live: `node` texts are shown by either data node, so both catalogs need them. */
export function catalogsOf(scope: Scope): CatalogName[] {
  return scope === 'node' ? ['user', 'event'] : [scope];
}

/** Which node folder may use a node's own catalog; shared code (nodes/lib) uses config and node only. */
function scopeAllowedIn(scope: Scope, file: string): boolean {
  if (scope === 'user') return file.startsWith('nodes/fullstory-user/');
  if (scope === 'event') return file.startsWith('nodes/fullstory-event/');
  return true;
}

/** The text at `dotted` (or its plural forms `_one`, `_other`…): its variables per form, or undefined. */
function textsAt(tree: CatalogTree, dotted: string): string[] | undefined {
  const names = dotted.split('.');
  const last = names.pop()!;
  let node: string | CatalogTree | undefined = tree;
  for (const name of names) node = typeof node === 'object' ? node[name] : undefined;
  if (typeof node !== 'object') return undefined;
  const exact = node[last];
  if (typeof exact === 'string') return [exact];
  const forms = Object.entries(node).filter(([k, v]) => k.startsWith(`${last}_`) && /^(zero|one|two|few|many|other)$/.test(k.slice(last.length + 1)) && typeof v === 'string');
  return forms.length > 0 ? forms.map(([, v]) => v as string) : undefined;
}

export function variablesOf(texts: readonly string[]): string[] {
  return [...new Set(texts.flatMap((t) => [...t.matchAll(/__(.+?)__/g)].map((m) => m[1]!)))].sort();
}

/** Each used key, in each catalog it lives in, in every language, with en-US's variables. */
export function catalogProblems(uses: readonly KeyUse[], catalogs: Catalogs): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const use of uses) {
    if (!scopeAllowedIn(use.scope, use.file)) {
      problems.push(`${use.file}:${use.line}: ${use.scope}:${use.path} is the ${use.scope} node's own catalog, which only nodes/fullstory-${use.scope}/ uses`);
    }
    for (const catalog of catalogsOf(use.scope)) {
      const id = `${catalog}:${use.path}`;
      if (seen.has(id)) continue;
      seen.add(id);
      const english = textsAt(catalogs[catalog]['en-US']!, use.path);
      if (english === undefined) {
        problems.push(`fullstory-${catalog} en-US lacks ${use.path} (used at ${use.file}:${use.line})`);
        continue;
      }
      const want = variablesOf(english);
      const missing = use.vars && want.filter((v) => !use.vars!.includes(v));
      if (missing && missing.length > 0) problems.push(`${use.file}:${use.line}: ${use.scope}:${use.path} uses [${missing.join(', ')}], which the code does not give`);
      for (const lang of LANGUAGES.filter((l) => l !== 'en-US')) {
        const other = textsAt(catalogs[catalog][lang]!, use.path);
        if (other === undefined) problems.push(`fullstory-${catalog} ${lang} lacks ${use.path} (used at ${use.file}:${use.line})`);
        else if (variablesOf(other).join(',') !== want.join(',')) {
          problems.push(`fullstory-${catalog} ${lang} ${use.path} has the variables [${variablesOf(other).join(', ')}], en-US has [${want.join(', ')}]`);
        }
      }
    }
  }
  return problems;
}

/** A texts used only from one data node's folder belongs in that node's catalog, not the shared one. */
export function placementProblems(uses: readonly KeyUse[]): string[] {
  const filesOf = new Map<string, Set<string>>();
  for (const use of uses.filter((u) => u.scope === 'config')) {
    const set = filesOf.get(use.path) ?? new Set<string>();
    set.add(use.file);
    filesOf.set(use.path, set);
  }
  const problems: string[] = [];
  for (const [key, files] of filesOf) {
    for (const node of ['user', 'event']) {
      if ([...files].every((f) => f.startsWith(`nodes/fullstory-${node}/`))) {
        problems.push(`config:${key} is used only by nodes/fullstory-${node}/ (${[...files].join(', ')}): it belongs in the ${node} catalog`);
      }
    }
  }
  return problems;
}
