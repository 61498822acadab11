// The soak test at CI size: scripts/soak/soak.ts with 2,000 msgs (single and batch mode, users and
// events, bulk msgs) through a real embedded Node-RED against the sandbox injecting ~25% faults,
// one full redeploy in the middle. Runs in a child process (Node-RED's runtime is a singleton and
// the node tests use the test helper's). `npm run test:soak` runs the full size (10,000 msgs).

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { SoakResult } from '../../scripts/soak/soak';

const root = path.resolve(__dirname, '..', '..');
const CI_MESSAGES = 2000;

describe('soak under faults (CI size)', function () {
  this.timeout(170_000);

  it(`${CI_MESSAGES} msgs with ~25% faults and a redeploy: every msg accounted for, no duplicate, no lost record`, async function () {
    assert.ok(fs.existsSync(path.join(root, 'dist', 'nodes')), 'run the build first (npm test does)');
    const child = spawn(process.execPath, ['-r', 'tsx/cjs', path.join(root, 'scripts', 'soak', 'soak.ts'), '--messages', String(CI_MESSAGES), '--seed', '1', '--json'], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 160_000);
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    clearTimeout(timer);

    const line = stdout.split('\n').find((l) => l.startsWith('SOAK_RESULT '));
    assert.ok(line, `the soak printed no result (exit ${code}):\n${stdout}\n${stderr}`);
    const r = JSON.parse(line.slice('SOAK_RESULT '.length)) as SoakResult;
    const printed = stdout.split('\n').filter((l) => !l.startsWith('SOAK_RESULT ')).join('\n');
    console.log(printed);

    assert.deepEqual(r.problems, [], printed);
    assert.equal(code, 0, printed);
    // The run did what it is meant to: faults, a redeploy with held msgs, both outputs used.
    assert.ok(r.faultRate > 0.15, `fault rate ${r.faultRate}`);
    for (const [kind, n] of Object.entries(r.faultsInjected)) assert.ok(n > 0, `no ${kind} fault fired`);
    assert.equal(r.duplicates, 0);
    assert.ok(r.redeploy.atMsg > 0 && r.heldAtRedeploy.msgs > 0, 'no msg was held at the redeploy');
    // Held records reach FullStory, or their node logged them as unsent (a final job refused for the
    // whole close budget: the documented no-disk-queue limit; the soak lists them as a known issue).
    assert.equal(r.heldAtRedeploy.recordsReachedSandbox + r.heldAtRedeploy.recordsLoggedUnsent, r.heldAtRedeploy.records);
    assert.ok(r.exits.sentOk > 0 && r.exits.sentFail > 0 && r.exits.bulkSplit > 0);
    assert.ok((r.records_.failByCode['soak_rejected'] ?? 0) > 0, 'no record was rejected by FullStory');
    assert.ok(r.durationMs < 120_000, `took ${r.durationMs} ms`);
  });
});
