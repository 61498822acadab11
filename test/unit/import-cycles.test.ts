// No import cycle anywhere in the package's code: a cycle makes load order matter (a module can see
// another one half-initialised) and hides which layer depends on which. The graph is read from the
// sources themselves (import/export … from, require(), import()), type-only imports included, so a
// new cycle fails here without anyone listing files.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');
const FOLDERS = ['nodes', 'sandbox', 'scripts', 'test'];
const SOURCE = /\.(?:ts|js|cjs|mjs)$/;
const SPECIFIER = /(?:^|[\s;}])(?:import|export)\s[^'";]*?from\s*['"]([^'"]+)['"]|\brequire\(\s*['"]([^'"]+)['"]\s*\)|\bimport\(\s*['"]([^'"]+)['"]\s*\)/g;

function sourcesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourcesUnder(p);
    return SOURCE.test(entry.name) && !entry.name.endsWith('.d.ts') ? [p] : [];
  });
}

/** The file a relative specifier names, as Node and tsx resolve it; undefined for packages. */
function resolveRelative(from: string, specifier: string): string | undefined {
  if (!specifier.startsWith('.')) return undefined;
  const base = path.resolve(path.dirname(from), specifier);
  return [base, `${base}.ts`, `${base}.js`, path.join(base, 'index.ts')].find((c) => fs.existsSync(c) && fs.statSync(c).isFile());
}

function importGraph(files: string[]): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const text = fs.readFileSync(file, 'utf8');
    const targets = [...text.matchAll(SPECIFIER)].map((m) => resolveRelative(file, m[1] ?? m[2] ?? m[3] ?? '')).filter((t): t is string => t !== undefined);
    graph.set(file, [...new Set(targets)]);
  }
  return graph;
}

/** Every back edge of a depth-first walk, as the cycle it closes (empty: the graph has no cycle). */
function cyclesOf(graph: Map<string, string[]>): string[][] {
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const cycles: string[][] = [];
  const visit = (file: string): void => {
    state.set(file, 'open');
    stack.push(file);
    for (const target of graph.get(file) ?? []) {
      if (state.get(target) === 'open') cycles.push([...stack.slice(stack.indexOf(target)), target]);
      else if (!state.has(target)) visit(target);
    }
    stack.pop();
    state.set(file, 'done');
  };
  for (const file of graph.keys()) if (!state.has(file)) visit(file);
  return cycles;
}

describe('import cycles', function () {
  it('finds a cycle when there is one (the check can fail)', function () {
    const graph = new Map([['a', ['b']], ['b', ['c']], ['c', ['a']], ['d', ['a']]]);
    assert.deepEqual(cyclesOf(graph), [['a', 'b', 'c', 'a']]);
    assert.deepEqual(cyclesOf(new Map([['a', ['b', 'c']], ['b', ['c']], ['c', []]])), []);
  });

  it(`has none in ${FOLDERS.join('/, ')}/ (type-only imports count too)`, function () {
    const graph = importGraph(FOLDERS.flatMap((folder) => sourcesUnder(path.join(ROOT, folder))));
    const edges = [...graph.values()].reduce((n, targets) => n + targets.length, 0);
    assert.ok(graph.size > 100 && edges > 300, `the import graph looks too small to be read right: ${graph.size} files, ${edges} imports`);
    const cycles = cyclesOf(graph).map((cycle) => cycle.map((file) => path.relative(ROOT, file)).join(' → '));
    assert.deepEqual(cycles, []);
  });
});
