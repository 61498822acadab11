// Preloaded (`node -r`) into each process that `npm run test:compat` starts on Node 22.
// The working tree's node_modules holds Node-RED 4 (the version we develop on); Node-RED 5 is in
// .compat/node_modules. This makes every `require('node-red')` and `require('@node-red/…')`
// resolve to .compat, from any file (the test harness, scripts/node-red/runtime.ts, a test that loads a
// core node), and fails the process at exit if a Node-RED 4 file was loaded all the same.
'use strict';
const Module = require('node:module');
const path = require('node:path');

const root = path.resolve(__dirname, '..', '..');
const compatDir = path.join(root, '.compat');
const NODE_RED = /^(?:node-red|@node-red\/[^/]+)(?:\/|$)/;

const resolveFilename = Module._resolveFilename;
Module._resolveFilename = function (request, parent, isMain, options) {
  if (typeof request === 'string' && NODE_RED.test(request) && !(options && options.paths)) {
    return resolveFilename.call(this, request, parent, isMain, { ...options, paths: [compatDir] });
  }
  return resolveFilename.call(this, request, parent, isMain, options);
};

// The test harness reads this (helper.init); set it for processes started without the script.
if (!process.env.FULLSTORY_NODE_RED_PATH) {
  process.env.FULLSTORY_NODE_RED_PATH = require.resolve('node-red', { paths: [compatDir] });
}

const devRuntime = [path.join(root, 'node_modules', 'node-red') + path.sep, path.join(root, 'node_modules', '@node-red') + path.sep];
process.on('exit', () => {
  // Code only: Node-RED 5's node scan reads the package.json of every module up the tree.
  const wrong = Object.keys(require.cache).filter((f) => devRuntime.some((dir) => f.startsWith(dir)) && !f.endsWith(`${path.sep}package.json`));
  if (wrong.length) {
    console.error(`test:compat: ${wrong.length} file(s) of the development Node-RED (node_modules/, not .compat/) were loaded, e.g. ${path.relative(root, wrong[0])}`);
    process.exitCode = 1;
  }
});
