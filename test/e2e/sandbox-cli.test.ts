// The package's `fullstory-sandbox` command, run from the built file package.json "bin" names:
// starts, injects the faults asked for, shows its state, stops on Ctrl-C.

import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(__dirname, '..', '..');
const ADMIN = 'na1.admin-key';

function binPath(): string {
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { bin?: Record<string, string> };
  const bin = pkg.bin?.['fullstory-sandbox'];
  assert.ok(bin, 'package.json "bin" has fullstory-sandbox');
  const file = path.join(root, bin);
  assert.ok(fs.existsSync(file), `${bin} is built (npm test builds first)`);
  return file;
}

describe('fullstory-sandbox (the package command)', function () {
  this.timeout(30_000);
  let child: ChildProcess | undefined;

  afterEach(function () {
    if (child && child.exitCode === null) child.kill('SIGKILL');
  });

  it('--help prints the usage; a bad option exits 2 with the reason', function () {
    const help = spawnSync(process.execPath, [binPath(), '--help'], { encoding: 'utf8' });
    assert.equal(help.status, 0);
    assert.match(help.stdout, /^usage: fullstory-sandbox/);
    assert.match(help.stdout, /--rate-limited RATE/);
    const bad = spawnSync(process.execPath, [binPath(), '--drop', '2'], { encoding: 'utf8' });
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--drop needs a rate from 0 to 1/);
  });

  it('serves the API with the faults asked for, shows what it holds, and stops on Ctrl-C', async function () {
    child = spawn(process.execPath, [binPath(), '--port', '0', '--rate-limited', '1', '--retry-after', '4', '--fault-times', '1', '--fault-path', '/v2/users'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const started = new Promise<string>((resolve, reject) => {
      child!.stdout!.on('data', (d: Buffer) => {
        output += d.toString();
        const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
        if (m && output.includes('Press Ctrl-C')) resolve(m[1] as string);
      });
      child!.stderr!.on('data', (d: Buffer) => (output += d.toString()));
      child!.on('exit', (code) => reject(new Error(`exited with ${code}:\n${output}`)));
    });
    const url = await started;
    assert.match(output, /fault: 100% of \/v2\/users… requests: 429 too_many_requests, Retry-After 4 s \(the first hit only\)/);
    assert.match(output, new RegExp(`${url}/sandbox/`));

    const limited = await fetch(`${url}/v2/users`, { headers: { authorization: `Basic ${ADMIN}` } });
    assert.equal(limited.status, 429);
    assert.equal(limited.headers.get('retry-after'), '4');
    // What the official SDK sends: JSON without a Content-Type.
    const created = await fetch(`${url}/v2/users`, { method: 'POST', headers: { authorization: `Basic ${ADMIN}` }, body: Buffer.from('{"uid":"cli-user"}') });
    assert.equal(created.status, 200);

    const state = (await (await fetch(`${url}/sandbox/state`)).json()) as { users: { items: Array<{ uid?: string }> }; faults: unknown[] };
    assert.deepEqual(state.users.items.map((u) => u.uid), ['cli-user']);
    assert.deepEqual(state.faults, [], 'the one 429 was used up');

    const exited = new Promise<number | null>((resolve) => child!.on('exit', resolve));
    child.kill('SIGINT');
    assert.equal(await exited, 0, output);
  });
});
