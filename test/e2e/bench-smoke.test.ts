// Smoke test of `npm run bench -- --tiny`: the built benchmark runs every scenario at a tiny size
// (sandbox child, embedded Node-RED runners) and prints its table. No figure is asserted: timing
// belongs to the benchmark's output, never to a test.

import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const root = path.resolve(__dirname, '..', '..');

describe('benchmark (npm run bench -- --tiny)', function () {
  this.timeout(180_000);
  let child: ChildProcess | undefined;
  let out: string | undefined;

  afterEach(function () {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    if (out) fs.rmSync(out, { recursive: true, force: true });
  });

  it('runs every scenario at tiny size, exits 0 and prints the table', async function () {
    const script = path.join(root, 'dist', 'scripts', 'bench', 'bench.js');
    assert.ok(fs.existsSync(script), 'run the build first (npm test does)');
    out = fs.mkdtempSync(path.join(os.tmpdir(), 'fs-bench-smoke-'));
    child = spawn(process.execPath, [script, '--tiny', '--out', out], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    const code = await new Promise<number | null>((resolve) => child!.on('exit', resolve));
    assert.equal(code, 0, output);
    assert.match(output, /# +│ Scenario +│ Figure +│ +Value │ Target +│ Result/, output);
    for (const section of ['1', '2', '3', '4', '5', '6', '7', '8']) {
      assert.match(output, new RegExp(`^${section} +│`, 'm'), `section ${section} missing:\n${output}`);
    }
    // Scenario 1's ratio to the no-op chain, judged on paired rounds (two at tiny size), per chain.
    assert.equal(output.match(/÷ no-op chain, paired rounds \([\d.]+, [\d.]+\)/g)?.length, 4, output);
    assert.equal(fs.readdirSync(out).filter((f) => f.endsWith('.json')).length, 1, 'one JSON report written');
  });
});
