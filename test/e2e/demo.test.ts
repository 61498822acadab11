// Smoke test of `npm start`: the built demo starts the sandbox and Node-RED with every example
// flow deployed, answers on the example's HTTP endpoint, and stops cleanly on SIGINT.

import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(__dirname, '..', '..');

describe('demo (npm start)', function () {
  this.timeout(60_000);
  let child: ChildProcess | undefined;
  let output = '';

  afterEach(function () {
    if (child && child.exitCode === null) child.kill('SIGKILL');
  });

  it('starts, deploys the examples against the sandbox, serves the sign-up flow, stops on Ctrl-C', async function () {
    assert.ok(fs.existsSync(path.join(root, 'dist', 'scripts', 'demo', 'demo.js')), 'run the build first (npm test does)');
    // What an older demo (another branch, one config node per example) leaves in .demo/: Node-RED
    // loads it at start-up, and a deploy racing that load lost the new config node's key.
    const demoDir = path.join(root, '.demo');
    fs.mkdirSync(demoDir, { recursive: true });
    fs.writeFileSync(path.join(demoDir, 'flows.json'), JSON.stringify([{ id: 'stale-config', type: 'fullstory-config', name: 'stale', baseUrl: 'http://127.0.0.1:9' }]));
    fs.writeFileSync(path.join(demoDir, 'flows_cred.json'), JSON.stringify({ 'stale-config': { apiKey: 'na1.stale-key' } }));
    child = spawn(process.execPath, [path.join(root, 'dist', 'scripts', 'demo', 'demo.js')], {
      cwd: root,
      env: { ...process.env, PORT: '0', SANDBOX_PORT: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`demo did not become ready:\n${output}`)), 45_000);
      const check = () => {
        if (output.includes('demo ready')) { clearTimeout(timer); resolve(); }
        else if (child!.exitCode !== null) { clearTimeout(timer); reject(new Error(`demo exited:\n${output}`)); }
        else setTimeout(check, 100);
      };
      check();
    });
    const editor = /Node-RED editor:\s+(http:\/\/\S+?)\/?\s/.exec(output)![1];
    const flows = (await (await fetch(`${editor}/flows`)).json()) as Array<{ id: string; type: string; server?: string; baseUrl?: string; name?: string }>;
    const exampleCount = fs.readdirSync(path.join(root, 'examples')).filter((f) => f.endsWith('.json')).length;
    assert.equal(flows.filter((n) => n.type === 'tab').length, exampleCount);
    assert.ok(flows.some((n) => n.type === 'fullstory-user'));
    assert.ok(flows.some((n) => n.type === 'fullstory-event'));
    // ONE config node, used by every FullStory node of every example, pointing at the sandbox.
    const configs = flows.filter((n) => n.type === 'fullstory-config');
    assert.equal(configs.length, 1, `config nodes: ${configs.map((c) => c.id).join(', ')}`);
    const sandboxUrl = /FullStory sandbox:\s+(http:\/\/\S+)/.exec(output)![1];
    assert.equal(configs[0]!.baseUrl, sandboxUrl);
    const users = flows.filter((n) => n.type === 'fullstory-user' || n.type === 'fullstory-event');
    assert.ok(users.length >= exampleCount);
    assert.deepEqual([...new Set(users.map((n) => n.server))], [configs[0]!.id]);
    assert.doesNotMatch(JSON.stringify(flows), /admin-key/, 'the key never appears in the flow export');

    const signup = await fetch(`${editor}/api/signup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id: 'demo-user-1', email: 'demo@example.com', name: 'Demo User', plan: 'pro' }),
    });
    const body = await signup.text();
    assert.equal(signup.status, 200, body);

    child.kill('SIGINT');
    const code = await new Promise<number | null>((resolve) => child!.on('exit', resolve));
    assert.equal(code, 0, output);
  });

  it('each example file still carries the config node its nodes use, so it works imported on its own', function () {
    const dir = path.join(root, 'examples');
    for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.json'))) {
      const nodes = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as Array<{ id: string; type: string; server?: string }>;
      const configs = new Set(nodes.filter((n) => n.type === 'fullstory-config').map((n) => n.id));
      const users = nodes.filter((n) => n.type === 'fullstory-user' || n.type === 'fullstory-event');
      assert.ok(users.length > 0, file);
      for (const n of users) assert.ok(n.server && configs.has(n.server), `${file}: ${n.type} ${n.id} uses ${n.server}, which the file does not carry`);
    }
  });
});
