// Crash test (issue 14): a real Node-RED in a child process, killed (SIGKILL) at seeded steps of
// the batch path, restarted on the same user directory; every accepted record must be at
// FullStory (the sandbox) exactly once or reported failed, every outcome reported exactly once
// across the two lives, nothing left in the journal. See test/support/crash-harness.ts.
//
// The normal suite runs one kill per point (5 runs). `npm run test:crash` runs CRASH_RUNS (50)
// from CRASH_SEED (1) and prints the figures table; CRASH_VERBOSE=1 prints each run's counts,
// CRASH_POINT=<point> runs only that point.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { CRASH_POINTS, failuresOf, figuresTable, killPlans, runCrash, type CrashRunResult } from '../support/crash-harness';

const RUNS = Number(process.env.CRASH_RUNS ?? 5);
const SEED = Number(process.env.CRASH_SEED ?? 1);
/** CRASH_POINT=<point>[,<point>…] runs only those points (to chase one failure). */
const POINTS = process.env.CRASH_POINT ? CRASH_POINTS.filter((p) => process.env.CRASH_POINT!.split(',').includes(p)) : CRASH_POINTS;

describe(`crash and restart (child-process Node-RED, ${RUNS} kill points, seed ${SEED})`, function () {
  this.timeout(240_000);
  const results: CrashRunResult[] = [];

  before(function () {
    assert.ok(fs.existsSync(path.resolve(__dirname, '..', '..', 'dist', 'nodes')), 'run the build first (npm test does)');
  });

  after(function () {
    if (results.length > 0) console.log(`\n${figuresTable(results)}\n`);
  });

  for (const plan of killPlans(RUNS, SEED, POINTS)) {
    it(`kill at ${plan.point}:${plan.pass} (run ${plan.run}, seed ${plan.seed}): nothing lost, nothing twice, every outcome reported once`, async function () {
      const result = await runCrash(plan);
      results.push(result);
      if (process.env.CRASH_VERBOSE) console.log(result.diagnosis);
      assert.deepEqual(failuresOf(result), [], result.diagnosis);
    });
  }
});
