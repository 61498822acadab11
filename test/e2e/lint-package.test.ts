// lint:package (scripts/build/lint-package.ts) on a copy of this package, broken on purpose: each check
// of issue 11's packaging rules must fail on the problem it is there for, and only then. Several
// unrelated breakages share one run (each lint run packs the copy: a few seconds).

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const root = path.resolve(__dirname, '..', '..');
const COPY = ['package.json', 'package-lock.json', 'README.md', 'LICENSE', '.nvmrc', 'tsconfig.json', 'nodes', 'examples', 'docs', 'resources', 'sandbox', 'scripts/compat/test-compat.sh', 'dist/nodes', 'dist/sandbox'];

const CHECK = {
  nodeRed: 'node-red.version says which Node-RED the tests run',
  engines: 'engines.node says which Node the tests run',
  images: "README images: absolute https URLs; this package's CDN URLs name this version and a shipped file",
  maps: 'the tarball ships no source map (or sourceMappingURL) that points at a file it does not ship',
  bin: 'every "bin" command is shipped, built from a source that exists, and starts with #!/usr/bin/env node',
  resources: "every resources/ script an editor file loads is shipped, under this package's name",
};

/** Check name → its detail lines, for every check that failed. */
function lint(dir: string): Map<string, string> {
  const r = spawnSync(process.execPath, ['--require', 'tsx/cjs', path.join(root, 'scripts', 'build', 'lint-package.ts')], {
    cwd: root,
    env: { ...process.env, LINT_PACKAGE_ROOT: dir },
    encoding: 'utf8',
  });
  const failed = new Map<string, string>();
  let current: string | undefined;
  for (const line of `${r.stdout}${r.stderr}`.split('\n')) {
    const m = /^(PASS|FAIL) {2}(.+?)(?: {2}\(.*)?$/.exec(line);
    if (m) current = m[1] === 'FAIL' ? (m[2] as string) : undefined;
    if (m && current) failed.set(current, '');
    else if (current) failed.set(current, `${failed.get(current)}${line.trim()}\n`);
  }
  assert.ok(/lint:package: /.test(r.stdout), `lint:package did not finish:\n${r.stdout}${r.stderr}`);
  return failed;
}

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('lint:package checks what the tests run, the README images, the source maps and the bin', function () {
  this.timeout(90_000);
  let dir: string;

  before(function () {
    assert.ok(fs.existsSync(path.join(root, 'dist', 'nodes')), 'run the build first (npm test does)');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lint-package-'));
    for (const entry of COPY) fs.cpSync(path.join(root, entry), path.join(dir, entry), { recursive: true });
  });
  after(function () {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** Applies the edits to the copy (file → new text from old), lints, and restores every file. */
  function lintWith(edits: Record<string, (text: string) => string>): Map<string, string> {
    const saved = new Map<string, string | undefined>();
    try {
      for (const [file, edit] of Object.entries(edits)) {
        const target = path.join(dir, file);
        const text = fs.existsSync(target) ? fs.readFileSync(target, 'utf8') : undefined;
        saved.set(target, text);
        fs.writeFileSync(target, edit(text ?? ''));
      }
      return lint(dir);
    } finally {
      for (const [target, text] of saved) {
        if (text === undefined) fs.rmSync(target);
        else fs.writeFileSync(target, text);
      }
    }
  }

  const pkg = (edit: (p: Json) => void) => (text: string): string => {
    const p = JSON.parse(text) as Json;
    edit(p);
    return JSON.stringify(p, null, 2);
  };
  const userJs = 'dist/nodes/fullstory-user/fullstory-user.js';
  const eventJs = 'dist/nodes/fullstory-event/fullstory-event.js';
  const mapOf = (source: string, content?: string): string =>
    JSON.stringify({ version: 3, sources: [source], ...(content === undefined ? {} : { sourcesContent: [content] }), mappings: '' });

  it('passes on the copy as it is', function () {
    assert.deepEqual([...lint(dir).keys()], []);
  });

  it('fails on what the package shipped before issue 11: old ranges, relative images, maps without their sources', function () {
    const failed = lintWith({
      'package.json': pkg((p) => {
        p['node-red'].version = '>=4.0.0';
        p.engines.node = '>=18.18';
      }),
      'README.md': (t) => `${t}\n![flow](docs/images/flow.png)\n<img src="./docs/images/dialog-user.png">\n`,
      [`${userJs}.map`]: () => mapOf('../../../nodes/fullstory-user/fullstory-user.ts'),
      // A map that carries its source text is self-contained: fine.
      [`${eventJs}.map`]: () => mapOf('../../../nodes/fullstory-event/fullstory-event.ts', '// the source'),
    });
    assert.deepEqual([...failed.keys()].sort(), [CHECK.nodeRed, CHECK.engines, CHECK.images, CHECK.maps].sort());
    assert.match(failed.get(CHECK.nodeRed)!, /admits versions no test runs/);
    assert.match(failed.get(CHECK.engines)!, /admits versions no test runs/);
    assert.match(failed.get(CHECK.images)!, /docs\/images\/flow\.png: not an absolute https URL/);
    assert.match(failed.get(CHECK.images)!, /dialog-user\.png: not an absolute https URL/);
    assert.match(failed.get(CHECK.maps)!, /fullstory-user\.js\.map points at nodes\/fullstory-user\/fullstory-user\.ts/);
    assert.doesNotMatch(failed.get(CHECK.maps)!, /fullstory-event/);
  });

  it('fails when a range leaves out what is tested, an image names another version or an unshipped file, a map comment dangles, or the bin is not shipped', function () {
    const failed = lintWith({
      'package.json': pkg((p) => {
        p['node-red'].version = '^5.0.0';
        p.engines.node = '^22.9.0';
        p.files = p.files.filter((f: string) => f !== 'dist/sandbox' && f !== 'docs/images');
      }),
      'README.md': (t) => `${t}\n![flow](https://cdn.jsdelivr.net/npm/node-red-contrib-fullstory@0.0.9/docs/images/flow.png)\n`,
      [userJs]: (t) => `${t}\n//# sourceMappingURL=fullstory-user.js.map\n`,
    });
    assert.deepEqual([...failed.keys()].sort(), [CHECK.nodeRed, CHECK.engines, CHECK.images, CHECK.maps, CHECK.bin].sort());
    assert.match(failed.get(CHECK.nodeRed)!, /does not admit Node-RED 4\.1\.x/);
    assert.match(failed.get(CHECK.engines)!, /does not admit Node 20 \(\.nvmrc\)/);
    assert.match(failed.get(CHECK.images)!, /names version 0\.0\.9/);
    assert.match(failed.get(CHECK.images)!, /is not in the tarball/);
    assert.match(failed.get(CHECK.maps)!, /fullstory-user\.js names dist\/nodes\/fullstory-user\/fullstory-user\.js\.map, which is not shipped/);
    assert.match(failed.get(CHECK.bin)!, /not covered by package\.json "files"/);
  });

  it('fails when an editor file loads a resource that is missing, not shipped, or under another path', function () {
    const html = (name: string) => `nodes/${name}/${name}.html`;
    const failed = lintWith({
      'package.json': pkg((p) => {
        p.files = p.files.filter((f: string) => f !== 'resources');
      }),
      [html('fullstory-user')]: (t) => t.replace('fullstory-editor.js"', 'fullstory-editr.js"'),
      [html('fullstory-event')]: (t) => t.replace('src="resources/node-red-contrib-fullstory/', 'src="/resources/node-red-contrib-fullstory/'),
    });
    assert.deepEqual([...failed.keys()], [CHECK.resources]);
    assert.match(failed.get(CHECK.resources)!, /fullstory-user\.html loads "resources\/node-red-contrib-fullstory\/fullstory-editr\.js", but resources\/fullstory-editr\.js does not exist/);
    assert.match(failed.get(CHECK.resources)!, /fullstory-event\.html loads "\/resources\/node-red-contrib-fullstory\/fullstory-settings\.js"/);
    assert.match(failed.get(CHECK.resources)!, /fullstory-config\.html loads "resources\/node-red-contrib-fullstory\/fullstory-settings\.js", but resources\/fullstory-settings\.js is not in the tarball/);
  });
});
