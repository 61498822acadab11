// Runtime language: error texts in msg.error come from the message catalogs of the language the
// embedded Node-RED runs in (settings.lang, else LC_ALL / LC_MESSAGES / LANG), with the code
// unchanged. Each language runs test/fixtures/error-language.ts in a child process (Node-RED is a
// process singleton). Loads dist/: the build must have run.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(__dirname, '..', '..');

interface Result { error: { message: string; code: string; field?: string; retryable: boolean } }

function runChild(lang: string, env: NodeJS.ProcessEnv = process.env): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-r', 'tsx/cjs', path.join(root, 'test', 'fixtures', 'error-language.ts'), lang], {
      cwd: root,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      const line = /^RESULT (.*)$/m.exec(stdout);
      if (code !== 0 || !line) reject(new Error(`child exited ${code ?? signal}\n${stdout}\n${stderr}`));
      else resolve(JSON.parse(line[1]) as Result);
    });
  });
}

describe('error language (real runtime)', function () {
  this.timeout(60_000);

  before(function () {
    assert.ok(fs.existsSync(path.join(root, 'dist', 'nodes', 'fullstory-config', 'locales', 'de', 'fullstory-config.json')),
      'run `node scripts/build/build.js` first');
  });

  it('a German runtime (settings.lang) gives the German catalog text, same code and field', async () => {
    const { error } = await runChild('de');
    assert.equal(error.code, 'invalid_property_name');
    assert.equal(error.field, 'properties.plan-name');
    assert.equal(error.retryable, false);
    assert.equal(error.message,
      'Der Eigenschaftsname "plan-name" (bei properties.plan-name) ist nicht erlaubt: Namen bestehen aus Buchstaben, Ziffern und _ und beginnen mit einem Buchstaben (FullStory-Regel). Benenne sie um, z. B. in "plan_name".');
  });

  it('an English runtime keeps today\'s English text', async () => {
    const { error } = await runChild('en-US');
    assert.equal(error.code, 'invalid_property_name');
    assert.equal(error.message,
      'Property name "plan-name" (at properties.plan-name) is not allowed: names use letters, digits and _ and start with a letter (FullStory rule). Rename it, e.g. "plan_name".');
  });

  it('without settings.lang, LANG picks the language (ja)', async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, LANG: 'ja_JP.UTF-8' };
    // An LC_ALL / LC_MESSAGES that is set (even empty) wins over LANG in Node-RED's lookup.
    delete env.LC_ALL;
    delete env.LC_MESSAGES;
    const { error } = await runChild('env', env);
    assert.equal(error.code, 'invalid_property_name');
    assert.match(error.message, /^プロパティ名 "plan-name"（場所: properties\.plan-name） は使用できません/);
  });
});
