// The settings a node has when it is dragged from the palette and deployed: the `defaults` its
// editor .html declares. Read from the shipped file itself (its <script> blocks run in a vm
// context with a stub RED that captures registerType), never from a hand-kept copy, so node
// tests start from exactly what the editor saves and a default changed in the editor reaches
// every test. The resources the .html files load (the shared editor code and the settings table)
// run first, as in the editor.

import fs from 'node:fs';
import path from 'node:path';
import vm from 'node:vm';

const NODES_DIR = path.resolve(__dirname, '..', '..', 'nodes');

/** What the editor writes into the flow for every node besides its `defaults`. */
const FLOW_KEYS = new Set(['id', 'type', 'z', 'x', 'y', 'wires', 'g']);

interface DefaultSpec {
  value: unknown;
  type?: string;
  /** Called on the node (`this`) with the value: true, or the message the editor shows. */
  validate?: (this: Record<string, unknown>, value: unknown, opt?: unknown) => unknown;
}

const cache = new Map<string, Readonly<Record<string, unknown>>>();

const PACKAGE_ROOT = path.resolve(NODES_DIR, '..');
/** Where Node-RED serves the package's resources/ folder, relative to the editor. */
const RESOURCE_URL = /^resources\/node-red-contrib-fullstory\/(.+)$/;

/**
 * The scripts of an editor .html file, in order, as Node-RED runs them: a
 * `<script src="resources/node-red-contrib-fullstory/…">` is the package's resources/ file (Node-RED
 * runs it before the file's own scripts), a `<script type="text/javascript">` block its text.
 */
function scriptsOf(html: string, file: string): Array<{ code: string; filename: string }> {
  const out: Array<{ code: string; filename: string }> = [];
  const re = /<script\s+src="([^"]+)"\s*><\/script>|<script\s+type="text\/javascript"\s*>([\s\S]*?)<\/script>/g;
  for (let m = re.exec(html); m !== null; m = re.exec(html)) {
    if (m[1] === undefined) {
      out.push({ code: m[2], filename: file });
      continue;
    }
    const resource = RESOURCE_URL.exec(m[1]);
    if (!resource) throw new Error(`${file} loads ${m[1]}, which is not a resource of this package`);
    const filename = path.join(PACKAGE_ROOT, 'resources', resource[1]);
    out.push({ code: fs.readFileSync(filename, 'utf8'), filename });
  }
  return out;
}

interface Editor {
  registered: Map<string, { defaults: Record<string, DefaultSpec> }>;
  /** The page's globals after every editor file ran (window.FullStorySettings, …). */
  window: Record<string, unknown>;
}

/**
 * Runs the editor .html of each node (default: all of them) and the resources they load, as the
 * editor does. `resourcesReversed`: the <script src> resources run last-first, as they may arrive:
 * Node-RED loads them in parallel and runs each as it comes, its own inline scripts after all.
 */
function loadEditor(only?: readonly string[], resourcesReversed = false): Editor {
  const registered = new Map<string, { defaults: Record<string, DefaultSpec> }>();
  const RED = {
    nodes: { registerType: (type: string, def: { defaults: Record<string, DefaultSpec> }) => void registered.set(type, def) },
    _: (key: string) => key,
    // What the validators call when they run (editorCheck); for numbers, the same answers as
    // Node-RED's own RED.validators.number().
    validators: { number: () => (v: unknown) => v !== '' && !Number.isNaN(Number(v)) },
  };
  // Loading must not need the DOM: anything the scripts touch at load time is stubbed here, and
  // a script that reaches for more fails loudly.
  const window: Record<string, unknown> = {};
  const context = vm.createContext({ RED, window, console });
  for (const dir of only ?? fs.readdirSync(NODES_DIR)) {
    const file = path.join(NODES_DIR, dir, `${dir}.html`);
    if (!fs.existsSync(file)) continue;
    const scripts = scriptsOf(fs.readFileSync(file, 'utf8'), file);
    const resources = scripts.filter((script) => script.filename !== file);
    const ordered = resourcesReversed ? [...resources.reverse(), ...scripts.filter((script) => script.filename === file)] : scripts;
    for (const script of ordered) vm.runInContext(script.code, context, { filename: script.filename });
  }
  return { registered, window };
}

let editor: Editor | undefined;

/** The node types one editor .html registers when it is the only one loaded (with its resources). */
export function typesRegisteredAlone(type: string, resourcesReversed = false): string[] {
  return [...loadEditor([type], resourcesReversed).registered.keys()];
}

/** A global the editor's scripts define (e.g. FullStorySettings, the table the runtime reads too), as plain data. */
export function editorGlobal(name: string): unknown {
  editor ??= loadEditor();
  if (!(name in editor.window)) throw new Error(`the editor scripts define no window.${name}`);
  return JSON.parse(JSON.stringify(editor.window[name]));
}

/**
 * The editor's check of one setting (its `defaults[name].validate`), run on a node of this type
 * that holds `value`: true, or the message (an i18n key here) the dialog would show.
 */
export function editorCheck(type: string, name: string): (value: unknown) => unknown {
  editor ??= loadEditor();
  const spec = editor.registered.get(type)?.defaults[name];
  if (!spec?.validate) throw new Error(`${type} has no editor check for "${name}"`);
  const validate = spec.validate;
  return (value) => validate.call({ ...editorDefaults(type), id: 'checked', type, [name]: value }, value, {});
}

/** The flow properties a new node of this type has, as the editor's `defaults` declare them. */
export function editorDefaults(type: string): Record<string, unknown> {
  let values = cache.get(type);
  if (!values) {
    editor ??= loadEditor();
    const def = editor.registered.get(type);
    if (!def) throw new Error(`no editor .html registers the node type ${type}`);
    const out: Record<string, unknown> = {};
    for (const [key, spec] of Object.entries(def.defaults)) out[key] = spec.value;
    values = Object.freeze(JSON.parse(JSON.stringify(out)) as Record<string, unknown>);
    cache.set(type, values);
  }
  return structuredClone(values) as Record<string, unknown>;
}

/**
 * A node as the editor saves it: its defaults with `changes` applied. A change to a property
 * the editor does not declare is a mistake in the test (it would test a config no user can
 * make), so it throws.
 */
export function editorNode<T extends Record<string, unknown>>(type: string, changes: T): Record<string, unknown> & T & { type: string } {
  const defaults = editorDefaults(type);
  for (const key of Object.keys(changes)) {
    if (!FLOW_KEYS.has(key) && !Object.hasOwn(defaults, key)) {
      throw new Error(`${type} has no editor setting "${key}" (known: ${Object.keys(defaults).join(', ')})`);
    }
  }
  return { ...defaults, type, ...changes };
}
