// The settings a node has when it is dragged from the palette and deployed: the `defaults` its
// editor .html declares. Read from the shipped file itself (its <script> blocks run in a vm
// context with a stub RED that captures registerType), never from a hand-kept copy, so node
// tests start from exactly what the editor saves and a default changed in the editor reaches
// every test.

import fs from 'node:fs';
import path from 'node:path';
import vm from 'node:vm';

const NODES_DIR = path.resolve(__dirname, '..', '..', 'nodes');

/** What the editor writes into the flow for every node besides its `defaults`. */
const FLOW_KEYS = new Set(['id', 'type', 'z', 'x', 'y', 'wires', 'g']);

interface DefaultSpec {
  value: unknown;
  type?: string;
}

const cache = new Map<string, Readonly<Record<string, unknown>>>();

/** The <script type="text/javascript"> blocks of an editor .html file, in order. */
function scriptsOf(html: string): string[] {
  const out: string[] = [];
  const re = /<script\s+type="text\/javascript"\s*>([\s\S]*?)<\/script>/g;
  for (let m = re.exec(html); m !== null; m = re.exec(html)) out.push(m[1]);
  return out;
}

/** Runs every editor .html of the package and returns what each registerType declared. */
function registeredTypes(): Map<string, { defaults: Record<string, DefaultSpec> }> {
  const registered = new Map<string, { defaults: Record<string, DefaultSpec> }>();
  const RED = {
    nodes: { registerType: (type: string, def: { defaults: Record<string, DefaultSpec> }) => void registered.set(type, def) },
    _: (key: string) => key,
  };
  // Loading must not need the DOM: anything the scripts touch at load time is stubbed here, and
  // a script that reaches for more fails loudly.
  const context = vm.createContext({ RED, window: {}, console });
  for (const dir of fs.readdirSync(NODES_DIR)) {
    const file = path.join(NODES_DIR, dir, `${dir}.html`);
    if (!fs.existsSync(file)) continue;
    for (const script of scriptsOf(fs.readFileSync(file, 'utf8'))) vm.runInContext(script, context, { filename: file });
  }
  return registered;
}

let registry: Map<string, { defaults: Record<string, DefaultSpec> }> | undefined;

/** The flow properties a new node of this type has, as the editor's `defaults` declare them. */
export function editorDefaults(type: string): Record<string, unknown> {
  let values = cache.get(type);
  if (!values) {
    registry ??= registeredTypes();
    const def = registry.get(type);
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

/**
 * A top-level `var NAME = <literal>;` of a node's editor script (a table the runtime mirrors),
 * evaluated on its own. Throws when the editor no longer declares it.
 */
export function editorConstant(type: string, name: string): unknown {
  const html = fs.readFileSync(path.join(NODES_DIR, type, `${type}.html`), 'utf8');
  const match = new RegExp(`\\bvar ${name} = ([\\[{][\\s\\S]*?[\\]}]);\\n`).exec(html);
  if (!match) throw new Error(`${type}.html declares no var ${name}`);
  return JSON.parse(JSON.stringify(vm.runInNewContext(`(${match[1]})`)));
}
