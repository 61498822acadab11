// Mocha config of `npm run test:compat`: the project's .mocharc.json, restricted to the unit, sandbox
// and node-level suites (not the end-to-end, browser or benchmark ones).
'use strict';
const base = require('../../.mocharc.json');

module.exports = {
  ...base,
  spec: ['test/unit/**/*.test.ts', 'test/sandbox/**/*.test.ts', 'test/nodes/**/*.test.ts'],
};
