// Close and restart: stopping the embedded Node-RED while requests are in flight (single requests
// held by a `delay` fault, a batch job polling, non-empty batch buffers) ends within
// nodeCloseTimeout, loses no buffered record, and leaks no timer or socket: test/fixtures/soak-close.ts
// runs in a child process WITHOUT mocha (so no --exit can hide a leak) and must exit by itself,
// with code 0, within a few seconds after it stopped the runtime and closed the sandbox.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(__dirname, '..', '..');
/** After CLOSE_DONE the child has nothing left to do: it must be gone within this. */
const EXIT_GRACE_MS = 5000;

interface ChildRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  killed: boolean;
  stdout: string;
  stderr: string;
  /** ms from the CLOSE_DONE line to the exit; undefined when it never printed it. */
  exitAfterDoneMs?: number;
}

function runChild(scenario: string): Promise<ChildRun> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['-r', 'tsx/cjs', path.join(root, 'test', 'fixtures', 'soak-close.ts'), scenario], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let doneAt: number | undefined;
    let killed = false;
    const kill = (): void => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      killed = true;
      child.kill('SIGKILL');
    };
    // Overall bound, and the grace after CLOSE_DONE (+ time for the child's own 3 s handle probe to print).
    const overall = setTimeout(kill, 60_000);
    let grace: NodeJS.Timeout | undefined;
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (doneAt === undefined && /^CLOSE_DONE$/m.test(stdout)) {
        doneAt = Date.now();
        grace = setTimeout(kill, EXIT_GRACE_MS);
      }
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code, signal) => {
      clearTimeout(overall);
      clearTimeout(grace);
      resolve({ code, signal, killed, stdout, stderr, ...(doneAt !== undefined ? { exitAfterDoneMs: Date.now() - doneAt } : {}) });
    });
  });
}

function resultOf(run: ChildRun): { stopMs: number; closeTimeout: number; problems: string[] } & Record<string, unknown> {
  const line = run.stdout.split('\n').find((l) => l.startsWith('CLOSE_RESULT '));
  assert.ok(line, `the child printed no result (code ${run.code}, signal ${run.signal}):\n${run.stdout}\n${run.stderr}`);
  return JSON.parse(line.slice('CLOSE_RESULT '.length));
}

function diagnosis(run: ChildRun): string {
  const handles = run.stdout.split('\n').find((l) => l.startsWith('ACTIVE_HANDLES '));
  return `exit code ${run.code}, signal ${run.signal}, killed ${run.killed}, exit ${run.exitAfterDoneMs ?? '?'} ms after CLOSE_DONE\n` +
    `${handles ?? 'ACTIVE_HANDLES: (the child did not live long enough to print them)'}\n${run.stdout}\n${run.stderr}`;
}

function checkRun(run: ChildRun): void {
  const result = resultOf(run);
  console.log(`      stop took ${result.stopMs} ms (nodeCloseTimeout ${result.closeTimeout}); child exited ${run.exitAfterDoneMs} ms after CLOSE_DONE with code ${run.code}`);
  assert.deepEqual(result.problems, [], diagnosis(run));
  assert.ok(result.stopMs < result.closeTimeout, `stop took ${result.stopMs} ms`);
  assert.equal(run.killed, false, `the child did not exit by itself: ${diagnosis(run)}`);
  assert.equal(run.signal, null, diagnosis(run));
  assert.equal(run.code, 0, diagnosis(run));
  assert.ok(run.exitAfterDoneMs !== undefined && run.exitAfterDoneMs < EXIT_GRACE_MS, diagnosis(run));
}

describe('close and restart (child process, no --exit)', function () {
  this.timeout(70_000);

  before(function () {
    assert.ok(fs.existsSync(path.join(root, 'dist', 'nodes')), 'run the build first (npm test does)');
  });

  it('stops within nodeCloseTimeout with single requests held, a job polling and full buffers; no record lost; the process exits by itself', async function () {
    const run = await runChild('inflight');
    checkRun(run);
    const result = resultOf(run);
    // The three held single requests were cut off (closed) by the stop.
    const sent = result.sentDuringStop as Array<{ id: string; code?: string }>;
    assert.deepEqual(sent.map((s) => s.code).sort(), ['closed', 'closed', 'closed']);
    assert.equal(result.users, 10);
  });

  it('the same with a 429 cool-down (Retry-After 30 s) in force at the stop', async function () {
    checkRun(await runChild('cooldown'));
  });
});
