// Runs an embedded Node-RED (scripts/runtime.ts) in the language given as the first argument
// (settings.lang; "env" leaves it unset so LC_ALL / LC_MESSAGES / LANG decide), sends a
// fullstory-user node a payload that fails validation, and prints the msg that left output 2 as
// one line `RESULT <json>`. Used by test/e2e/error-language.test.ts: Node-RED is a process
// singleton, so each language needs a process of its own. Needs the build (dist/).

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startNodeRed, type EmbeddedNodeRed, type FlowNode } from './runtime';

interface SendEvent { msg: Record<string, unknown>; source: { id: string; port: number } }
interface Hooks { add(name: string, fn: (e: never) => void): void }
interface RuntimeNode { receive(msg: Record<string, unknown>): void }

async function main(): Promise<void> {
  const lang = process.argv[2] ?? 'env';
  const payload = JSON.parse(process.argv[3] ?? '{"uid":"a","properties":{"plan-name":"x"}}') as unknown;
  const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fs-lang-'));
  let nodeRed: EmbeddedNodeRed | undefined;
  try {
    nodeRed = await startNodeRed({ userDir, logLevel: 'warn', settings: lang === 'env' ? {} : { lang } });
    const failed = new Promise<Record<string, unknown>>((resolve) => {
      (nodeRed!.RED as unknown as { hooks: Hooks }).hooks.add('onSend.lang', ((events: SendEvent[]) => {
        for (const e of events) if (e.source.id === 'lang-user' && e.source.port === 1) resolve(e.msg);
      }) as (e: never) => void);
    });
    const tab: FlowNode = { id: 'lang-tab', type: 'tab', label: 'lang', disabled: false, info: '' };
    await nodeRed.deploy([
      tab,
      {
        id: 'lang-cfg',
        type: 'fullstory-config',
        // Never contacted: the payload fails validation before any request.
        baseUrl: 'https://127.0.0.1:9',
        apiKeyEnv: '',
        timeout: 10,
        maxAttempts: 1,
        retryBudget: 30,
        maxConcurrency: 1,
        maxJobs: 1,
        rateLimit: 0,
        credentials: { apiKey: 'na1.language-test-key' },
      },
      {
        id: 'lang-user', type: 'fullstory-user', z: tab.id, name: '', server: 'lang-cfg', mode: 'single', operation: 'upsert',
        batchSize: 1000, flushInterval: 10, jobTimeout: 600, maxBuffered: 1000, propertyTypes: '', reportToCatch: false,
        x: 300, y: 100, wires: [['lang-out'], ['lang-out']],
      },
      { id: 'lang-out', type: 'junction', z: tab.id, x: 600, y: 100, wires: [] },
    ]);
    const deadline = Date.now() + 10_000;
    let node: RuntimeNode | null = null;
    while (!(node = nodeRed.RED.nodes.getNode('lang-user') as RuntimeNode | null) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    if (!node) throw new Error('the fullstory-user node did not start');
    node.receive({ _msgid: 'lang-1', payload });
    const msg = await Promise.race([failed, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no msg on output 2')), 10_000))]);
    process.stdout.write(`RESULT ${JSON.stringify({ error: msg.error })}\n`);
  } finally {
    await nodeRed?.stop();
    fs.rmSync(userDir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
