#!/usr/bin/env node
// Compiles the TypeScript and places each node's editor files (.html, locales/, icons/) next to
// its compiled .js, which is where Node-RED looks for them. resources/ (served to the editor by
// Node-RED from the package root) is copied to dist/resources/ too: the runtime reads the
// settings table there, by the same relative path as from nodes/.
//
// No source maps by default: this build is what the package ships (`npm pack` runs it as prepack),
// and maps would point at .ts files the package does not ship. `--source-maps` adds them for
// development (`npm run bench -- --cpu-prof` maps its profiles back to the TypeScript with them).
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..', '..');
const dist = path.join(root, 'dist');
fs.rmSync(dist, { recursive: true, force: true });
const sourceMaps = process.argv.includes('--source-maps');
execFileSync(
  process.execPath,
  [path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', path.join(root, 'tsconfig.json'), ...(sourceMaps ? ['--sourceMap'] : [])],
  { stdio: 'inherit' },
);

const nodesDir = path.join(root, 'nodes');
for (const name of fs.readdirSync(nodesDir)) {
  const src = path.join(nodesDir, name);
  if (!fs.statSync(src).isDirectory()) continue;
  for (const entry of fs.readdirSync(src)) {
    if (entry.endsWith('.ts')) continue;
    fs.cpSync(path.join(src, entry), path.join(dist, 'nodes', name, entry), { recursive: true });
  }
}
fs.cpSync(path.join(root, 'resources'), path.join(dist, 'resources'), { recursive: true });
