// Reads a V8 .cpuprofile (node --cpu-prof) and ranks functions by self time, mapping this
// package's compiled dist/*.js locations back to the TypeScript source through the source maps.

import fs from 'node:fs';
import path from 'node:path';
import { SourceMap } from 'node:module';
import { fileURLToPath } from 'node:url';
import { PACKAGE_ROOT } from '../node-red/runtime';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
}

interface CpuProfile {
  startTime: number;
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface HotFunction {
  name: string;
  location: string;
  area: string;
  selfMs: number;
  /** Share of the non-idle time. */
  pct: number;
}

export interface ProfileSummary {
  file: string;
  /** Only samples inside this window (µs, monotonic clock) were counted. */
  window?: [number, number];
  busyMs: number;
  idleMs: number;
  gcMs: number;
  top: HotFunction[];
  byArea: Array<{ area: string; selfMs: number; pct: number }>;
}

const maps = new Map<string, SourceMap | null>();
const SPECIAL = new Set(['(garbage collector)', '(program)', '(root)']);

function sourceMapFor(file: string): SourceMap | null {
  if (!maps.has(file)) {
    let map: SourceMap | null = null;
    try {
      map = new SourceMap(JSON.parse(fs.readFileSync(file + '.map', 'utf8')));
    } catch {
      map = null;
    }
    maps.set(file, map);
  }
  return maps.get(file) ?? null;
}

function locate(frame: CallFrame, root: string): { location: string; area: string } {
  const url = frame.url;
  if (!url) return { location: '(native)', area: 'V8 / native' };
  if (url.startsWith('node:')) return { location: `${url}:${frame.lineNumber + 1}`, area: 'Node.js core' };
  let file = url;
  try {
    if (url.startsWith('file:')) file = fileURLToPath(url);
  } catch {
    file = url;
  }
  const rel = path.relative(root, file);
  if (!rel.startsWith('..') && rel.startsWith('dist' + path.sep)) {
    const map = sourceMapFor(file);
    const entry = map?.findEntry(frame.lineNumber, frame.columnNumber) as { originalSource?: string; originalLine?: number } | undefined;
    const area = rel.startsWith(path.join('dist', 'nodes')) ? 'our nodes' : rel.startsWith(path.join('dist', 'scripts')) ? 'bench generator' : 'dist (other)';
    if (entry?.originalSource) {
      const source = entry.originalSource.startsWith('file:') ? fileURLToPath(entry.originalSource) : path.resolve(path.dirname(file), entry.originalSource);
      return { location: `${path.relative(root, source)}:${(entry.originalLine ?? 0) + 1}`, area };
    }
    return { location: `${rel}:${frame.lineNumber + 1}`, area };
  }
  if (!rel.startsWith('..') && !rel.includes('node_modules')) {
    return { location: `${rel}:${frame.lineNumber + 1}`, area: rel.startsWith('scripts') ? 'bench generator' : 'our nodes' };
  }
  const nm = rel.lastIndexOf('node_modules' + path.sep);
  const inModules = nm >= 0 ? rel.slice(nm + 'node_modules'.length + 1) : rel;
  const parts = inModules.split(path.sep);
  const pkg = parts[0]?.startsWith('@') ? `${parts[0]}/${parts[1]}` : (parts[0] ?? inModules);
  const area = pkg.startsWith('@node-red/') || pkg === 'node-red' ? 'Node-RED runtime' : pkg;
  return { location: `${inModules}:${frame.lineNumber + 1}`, area };
}

/**
 * `window` ([start, end] in µs on the monotonic clock, i.e. process.hrtime / 1000) keeps only the
 * samples taken inside it, e.g. a benchmark's measured run without start-up and warm-up.
 */
export function summarizeProfile(file: string, root: string, topN = 15, window?: [number, number]): ProfileSummary {
  const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  // timeDeltas[i] is the time before sample i; the time after a sample belongs to it.
  let at = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    at += profile.timeDeltas[i] ?? 0;
    if (window && (at < window[0] || at > window[1])) continue;
    const next = profile.timeDeltas[i + 1] ?? 0;
    const id = profile.samples[i]!;
    selfUs.set(id, (selfUs.get(id) ?? 0) + next);
  }
  let idleUs = 0;
  let gcUs = 0;
  let busyUs = 0;
  const fns = new Map<string, HotFunction & { us: number }>();
  const areas = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const frame = byId.get(id)!.callFrame;
    const name = frame.functionName || '(anonymous)';
    if (name === '(idle)') {
      idleUs += us;
      continue;
    }
    busyUs += us;
    if (name === '(garbage collector)') gcUs += us;
    const special = SPECIAL.has(name);
    const { location, area } = special ? { location: '', area: name === '(garbage collector)' ? 'GC' : 'V8 / native' } : locate(frame, root);
    const key = `${name}@${location}`;
    const entry = fns.get(key) ?? { name, location, area, selfMs: 0, pct: 0, us: 0 };
    entry.us += us;
    fns.set(key, entry);
    areas.set(area, (areas.get(area) ?? 0) + us);
  }
  const top = [...fns.values()]
    .sort((a, b) => b.us - a.us)
    .slice(0, topN)
    .map(({ us, ...f }) => ({ ...f, selfMs: us / 1000, pct: (100 * us) / busyUs }));
  const byArea = [...areas.entries()]
    .sort((a, b) => b[1] - a[1])
    .map(([area, us]) => ({ area, selfMs: us / 1000, pct: (100 * us) / busyUs }));
  return { file, ...(window ? { window } : {}), busyMs: busyUs / 1000, idleMs: idleUs / 1000, gcMs: gcUs / 1000, top, byArea };
}

export function formatProfile(title: string, s: ProfileSummary): string {
  const lines = [
    `${title}: ${path.basename(s.file)}${s.window ? ` (measured run only, ${((s.window[1] - s.window[0]) / 1000).toFixed(0)} ms)` : ''} — busy ${s.busyMs.toFixed(0)} ms (GC ${s.gcMs.toFixed(0)} ms), idle ${s.idleMs.toFixed(0)} ms`,
    `  by area: ${s.byArea.slice(0, 8).map((a) => `${a.area} ${a.pct.toFixed(1)}%`).join(', ')}`,
    '  top self time:',
  ];
  for (const f of s.top) {
    lines.push(`    ${f.pct.toFixed(1).padStart(5)}%  ${f.selfMs.toFixed(0).padStart(6)} ms  ${f.name.slice(0, 40).padEnd(40)} ${f.location}`);
  }
  return lines.join('\n');
}

// `node dist/scripts/bench/bench-profile.js file.cpuprofile [topN]` prints one profile's summary.
if (require.main === module) {
  const file = process.argv[2];
  if (!file) {
    console.error('usage: bench-profile <file.cpuprofile> [topN]');
    process.exit(2);
  }
  console.log(formatProfile('profile', summarizeProfile(file, PACKAGE_ROOT, Number(process.argv[3] ?? 25))));
}
