#!/usr/bin/env node
// Compiles the TypeScript and places each node's editor files (.html, locales/, icons/) next to
// its compiled .js, which is where Node-RED looks for them.
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const dist = path.join(root, 'dist');
fs.rmSync(dist, { recursive: true, force: true });
execFileSync(process.execPath, [path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', path.join(root, 'tsconfig.json')], { stdio: 'inherit' });

const nodesDir = path.join(root, 'nodes');
for (const name of fs.readdirSync(nodesDir)) {
  const src = path.join(nodesDir, name);
  if (!fs.statSync(src).isDirectory()) continue;
  for (const entry of fs.readdirSync(src)) {
    if (entry.endsWith('.ts')) continue;
    fs.cpSync(path.join(src, entry), path.join(dist, 'nodes', name, entry), { recursive: true });
  }
}
