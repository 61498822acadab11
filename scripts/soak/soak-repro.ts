// Minimal reproductions of what the soak test (scripts/soak/soak.ts) and the close test found. Each
// scenario starts the sandbox and a real embedded Node-RED (package loaded from dist/: build first),
// prints what it observed and `REPRO <name>: BUG` or `REPRO <name>: ok`.
//
//   node -r tsx/cjs scripts/soak/soak-repro.ts <scenario>
//
// Scenarios: batch-create-unknown, final-job-unknown, final-job-outage, slot-wait-close,
// cooldown-close, cooldown-budget, closing-sends, abort-listeners.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startSandbox, type Sandbox } from '../../sandbox';
import { startNodeRed, type EmbeddedNodeRed, type FlowNode } from '../node-red/runtime';

interface Hooks {
  add(name: string, fn: (event: never) => void): void;
  remove(name: string): void;
}
interface Exit {
  t: number;
  node: string;
  port: number;
  msg: Record<string, unknown>;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

class Rig {
  sandbox!: Sandbox;
  nodeRed: EmbeddedNodeRed | undefined;
  readonly sent: Exit[] = [];
  readonly delivered: Array<{ t: number; msg: Record<string, unknown> }> = [];
  readonly done: Array<{ t: number; node: string; id: string }> = [];
  readonly logs: string[] = [];
  private userDir = '';
  private hooks: Hooks | undefined;
  private deployments = 0;
  readonly t0 = Date.now();

  async start(closeTimeout = 5000): Promise<void> {
    this.sandbox = await startSandbox({ jobProcessingMs: 50 });
    this.userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fullstory-repro-'));
    this.nodeRed = await startNodeRed({
      userDir: this.userDir,
      settings: {
        nodeCloseTimeout: closeTimeout,
        fullstory: { pollIntervalMs: 50 },
        logging: {
          console: { level: 'off', metrics: false, audit: false },
          capture: { level: 'warn', metrics: false, audit: false, handler: () => (e: { id?: string; msg: unknown }) => this.logs.push(`${this.ms()} ms ${e.id ?? ''}: ${String(e.msg)}`) },
        },
      },
    });
    this.hooks = (this.nodeRed.RED as unknown as { hooks: Hooks }).hooks;
    this.hooks.add('onSend.repro', ((events: Array<{ msg: Record<string, unknown>; source: { id: string; port: number } }>) => {
      for (const e of events) if (e.source.id.startsWith('n-')) this.sent.push({ t: this.ms(), node: e.source.id, port: e.source.port + 1, msg: structuredClone(e.msg) });
    }) as (e: never) => void);
    this.hooks.add('onComplete.repro', ((e: { msg: { _msgid?: unknown }; node: { id: string } }) => {
      if (e.node.id.startsWith('n-')) this.done.push({ t: this.ms(), node: e.node.id, id: String(e.msg._msgid) });
    }) as (e: never) => void);
  }

  ms(): number {
    return Date.now() - this.t0;
  }

  flows(config: Record<string, unknown>, nodes: Array<Record<string, unknown> & { id: string; type: string }>): FlowNode[] {
    return [
      { id: 'r-tab', type: 'tab', label: 'repro', disabled: false, info: '' },
      {
        id: 'r-cfg', type: 'fullstory-config', baseUrl: this.sandbox.url, apiKeyEnv: '', timeout: 1, maxAttempts: 3, retryBudget: 20,
        maxConcurrency: 8, maxJobs: 10, rateLimit: 0, credentials: { apiKey: 'na1.admin-key' }, ...config,
      },
      ...nodes.map((n) => ({
        z: 'r-tab', server: 'r-cfg', batchSize: 1000, flushInterval: 3600, jobTimeout: 600, maxBuffered: 100000, propertyTypes: '',
        reportToCatch: false, x: 100, y: 100, wires: [['r-out'], ['r-out']], ...(n.type === 'fullstory-event' ? { association: 'payload' } : { operation: 'upsert' }), ...n,
      })),
      { id: 'r-out', type: 'junction', z: 'r-tab', x: 300, y: 100, wires: [] },
    ];
  }

  async deploy(flows: FlowNode[]): Promise<void> {
    const events = (this.nodeRed!.RED as unknown as { events: NodeJS.EventEmitter }).events;
    const label = `repro ${++this.deployments}`;
    const started = new Promise<void>((resolve) => {
      const listener = (event: { config?: { flows?: Array<{ type?: string; label?: string }> } }): void => {
        if (!event.config?.flows?.some((n) => n.type === 'tab' && n.label === label)) return;
        events.off('flows:started', listener);
        resolve();
      };
      events.on('flows:started', listener);
    });
    await this.nodeRed!.deploy(flows.map((n) => (n.type === 'tab' ? { ...n, label } : n)));
    await started;
    (this.nodeRed!.RED.nodes.getNode('r-out') as { on(ev: string, cb: (msg: Record<string, unknown>) => void): void }).on('input', (msg) =>
      this.delivered.push({ t: this.ms(), msg }),
    );
  }

  send(node: string, msg: Record<string, unknown>): void {
    (this.nodeRed!.RED.nodes.getNode(node) as { receive(msg: Record<string, unknown>): void }).receive(msg);
  }

  async until(what: string, check: () => boolean, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!check()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await sleep(10);
    }
  }

  async stopRed(): Promise<number> {
    const t = Date.now();
    await this.nodeRed?.stop();
    this.nodeRed = undefined;
    this.hooks?.remove('*.repro');
    return Date.now() - t;
  }

  async close(): Promise<void> {
    if (this.nodeRed) await this.stopRed();
    await this.sandbox.close();
    fs.rmSync(this.userDir, { recursive: true, force: true });
  }

  seqs(): number[] {
    return this.sandbox.events.map((e) => (e.properties as { seq?: number } | undefined)?.seq ?? -1);
  }
}

function verdict(name: string, bug: boolean): void {
  console.log(`REPRO ${name}: ${bug ? 'BUG' : 'ok'}`);
  process.exitCode = bug ? 1 : 0;
}

const scenarios: Record<string, (rig: Rig) => Promise<void>> = {
  /**
   * A batch job creation whose first attempt FullStory applied (answer lost: dropAfterProcessing)
   * and whose retries then got 500: the msg leaves on output 2 with the last attempt's error
   * (server_error, retryable) although the job exists and its records are imported. A flow that
   * retries from output 2 (as README invites for retryable errors) imports the records twice:
   * the batch Idempotency-Key is new for every job. Single mode, for contrast, replays its key.
   */
  async 'batch-create-unknown'(rig) {
    await rig.deploy(rig.flows({}, [
      { id: 'n-batch', type: 'fullstory-event', mode: 'batch', batchSize: 1 },
      { id: 'n-single', type: 'fullstory-event', mode: 'single' },
    ]));
    for (const p of [/^\/v2\/events\/batch$/, /^\/v2\/events$/]) {
      rig.sandbox.inject({ match: { method: 'POST', path: p }, times: 1, fault: { type: 'dropAfterProcessing' } });
      rig.sandbox.inject({ match: { method: 'POST', path: p }, times: 2, fault: { type: 'status', status: 500 } });
    }
    rig.send('n-batch', { _msgid: 'b1', payload: { name: 'Repro', properties: { seq: 1 } } });
    rig.send('n-single', { _msgid: 's1', payload: { name: 'Repro', properties: { seq: 2 } } });
    await rig.until('both msgs to leave', () => rig.sent.length === 2);
    for (const e of rig.sent) console.log(`${e.node} → output ${e.port}: error ${JSON.stringify(e.msg.error)}; fullstory ${JSON.stringify(e.msg.fullstory)}`);
    console.log(`sandbox events after the first try: ${JSON.stringify(rig.seqs())} (seq 1 = batch, seq 2 = single)`);
    // The flow's retry loop as README describes it: output 2 → back into the node when retryable.
    const retryable = rig.sent.filter((e) => (e.msg.error as { retryable?: boolean } | undefined)?.retryable === true);
    for (const e of retryable) rig.send(e.node, e.msg);
    await rig.until('the retries to leave', () => rig.sent.length === 2 + retryable.length);
    const seqs = rig.seqs();
    console.log(`after resending the retryable output-2 msgs once: sandbox events ${JSON.stringify(seqs)}`);
    verdict('batch-create-unknown', seqs.filter((s) => s === 1).length > 1 || seqs.filter((s) => s === 2).length > 1);
  },

  /** Final job at close: its creation times out (FullStory slower than the client timeout) but was applied; the log says it "could not be created". */
  async 'final-job-unknown'(rig) {
    await rig.deploy(rig.flows({}, [{ id: 'n-batch', type: 'fullstory-event', mode: 'batch' }]));
    for (let i = 0; i < 5; i++) rig.send('n-batch', { _msgid: `b${i}`, payload: { name: 'Repro', properties: { seq: i } } });
    rig.sandbox.inject({ match: { method: 'POST', path: /^\/v2\/events\/batch$/ }, times: 10, fault: { type: 'delayAfterProcessing', ms: 1500 } });
    await sleep(50);
    const stopMs = await rig.stopRed();
    await sleep(100);
    console.log(`stop took ${stopMs} ms; logs:\n  ${rig.logs.join('\n  ')}`);
    console.log(`sandbox jobs ${rig.sandbox.jobs.size}, events ${JSON.stringify(rig.seqs())}`);
    verdict('final-job-unknown', rig.logs.some((l) => /could not be created/.test(l)) && rig.seqs().length === 5);
  },

  /** Final job at close during a short FullStory outage (503 for ~4 s): the buffered records are dropped (README: "never dropped"). */
  async 'final-job-outage'(rig) {
    await rig.deploy(rig.flows({}, [{ id: 'n-batch', type: 'fullstory-event', mode: 'batch' }]));
    for (let i = 0; i < 5; i++) rig.send('n-batch', { _msgid: `b${i}`, payload: { name: 'Repro', properties: { seq: i } } });
    rig.sandbox.inject({ match: { method: 'POST', path: /^\/v2\/events\/batch$/ }, times: Infinity, fault: { type: 'status', status: 503 } });
    await sleep(50);
    const stopMs = await rig.stopRed();
    console.log(`stop took ${stopMs} ms; logs:\n  ${rig.logs.join('\n  ')}`);
    console.log(`msgs done: ${rig.done.length}, sent: ${rig.sent.length}; sandbox events ${JSON.stringify(rig.seqs())}`);
    // During an outage the records cannot reach FullStory; the bug was losing them silently.
    verdict('final-job-outage', rig.seqs().length < 5 && !rig.logs.some((l) => /could not be sent/.test(l)));
  },

  /**
   * Stop while a 429 cool-down (Retry-After 30) is in force: the final job's request sleeps out
   * the cool-down (no signal, no budget check before the gate wait), so the batch node's and the
   * config node's close time out, the buffered msgs are never done(), the records do not reach
   * FullStory before the runtime is gone, and a timer keeps the process alive ~30 s.
   */
  async 'cooldown-close'(rig) {
    await rig.deploy(rig.flows({ retryBudget: 20 }, [
      { id: 'n-batch', type: 'fullstory-event', mode: 'batch' },
      { id: 'n-single', type: 'fullstory-event', mode: 'single' },
    ]));
    for (let i = 0; i < 5; i++) rig.send('n-batch', { _msgid: `b${i}`, payload: { name: 'Repro', properties: { seq: i } } });
    rig.sandbox.inject({ match: { method: 'POST', path: /^\/v2\/events$/ }, times: 1, fault: { type: 'status', status: 429, retryAfter: 30 } });
    rig.send('n-single', { _msgid: 's1', payload: { name: 'Repro', properties: { seq: 100 } } });
    await rig.until('the 429 to be answered', () => rig.sent.length === 1);
    console.log(`single msg: output ${rig.sent[0]!.port}, ${JSON.stringify(rig.sent[0]!.msg.error)}`);
    const stopMs = await rig.stopRed();
    await sleep(100);
    console.log(`stop took ${stopMs} ms (nodeCloseTimeout 5000); logs:\n  ${rig.logs.join('\n  ')}`);
    console.log(`buffered msgs done: ${rig.done.filter((d) => d.node === 'n-batch').length}/5; sandbox events right after stop: ${JSON.stringify(rig.seqs())}`);
    console.log(`active resources after stop: ${JSON.stringify(process.getActiveResourcesInfo())}`);
    verdict('cooldown-close', stopMs >= 5000 || rig.seqs().length < 5);
  },

  /** A request started during another node's 429 cool-down waits the whole Retry-After, past its retry budget. */
  async 'cooldown-budget'(rig) {
    await rig.deploy(rig.flows({ retryBudget: 3 }, [{ id: 'n-single', type: 'fullstory-event', mode: 'single' }]));
    rig.sandbox.inject({ match: { method: 'POST', path: /^\/v2\/events$/ }, times: 1, fault: { type: 'status', status: 429, retryAfter: 10 } });
    rig.send('n-single', { _msgid: 's1', payload: { name: 'Repro', properties: { seq: 1 } } });
    await rig.until('the 429 to be answered', () => rig.sent.length === 1);
    const t = rig.ms();
    rig.send('n-single', { _msgid: 's2', payload: { name: 'Repro', properties: { seq: 2 } } });
    await rig.until('the second msg', () => rig.sent.length === 2);
    const waited = rig.sent[1]!.t - t;
    console.log(`first msg: output ${rig.sent[0]!.port} ${String((rig.sent[0]!.msg.error as { code?: string } | undefined)?.code)}; second msg left after ${waited} ms on output ${rig.sent[1]!.port} (retry budget 3000 ms)`);
    verdict('cooldown-budget', waited > 4000);
  },

  /**
   * Records waiting for a job slot (Jobs in progress reached) when the node closes are not treated
   * as buffered records: their job is created with the close budget like a final job, but when that
   * fails the msgs are "sent" on output 2 while the node closes (Node-RED drops them: the next node
   * is already stopped) and nothing is logged: the records are gone without a trace.
   */
  async 'slot-wait-close'(rig) {
    await rig.deploy(rig.flows({ maxJobs: 1 }, [{ id: 'n-batch', type: 'fullstory-event', mode: 'batch', batchSize: 2 }]));
    rig.sandbox.stuckJobs = true;
    rig.send('n-batch', { _msgid: 'a1', payload: { name: 'Repro', properties: { seq: 1 } } });
    rig.send('n-batch', { _msgid: 'a2', payload: { name: 'Repro', properties: { seq: 2 } } });
    await rig.until('the first job (stuck, holding the only job slot)', () => rig.sandbox.jobs.size === 1);
    rig.send('n-batch', { _msgid: 'b1', payload: { name: 'Repro', properties: { seq: 3 } } });
    rig.send('n-batch', { _msgid: 'b2', payload: { name: 'Repro', properties: { seq: 4 } } });
    await sleep(100); // b1+b2 form a job that waits for the slot
    rig.sandbox.inject({ match: { method: 'POST', path: /^\/v2\/events\/batch$/ }, times: Infinity, fault: { type: 'status', status: 503 } });
    const stopMs = await rig.stopRed();
    console.log(`stop took ${stopMs} ms; logs:\n  ${rig.logs.join('\n  ')}`);
    for (const e of rig.sent) console.log(`sent while closing: ${String(e.msg._msgid)} output ${e.port} ${JSON.stringify(e.msg.error)}`);
    console.log(`delivered: ${rig.delivered.length}; done: ${rig.done.map((d) => d.id).join(',')}; sandbox jobs ${rig.sandbox.jobs.size}`);
    const logged = rig.logs.some((l) => /b1|seq|record/.test(l) && /could not|not be created|lost|dropped/.test(l));
    verdict('slot-wait-close', rig.sent.length > 0 && rig.delivered.length === 0 && !logged);
  },

  /** Single request still in flight at a full redeploy: the node sends the msg while closing, Node-RED has already stopped the next node, the msg vanishes. */
  async 'closing-sends'(rig) {
    const nodes = (name: string) => rig.flows({ timeout: 10 }, [{ id: 'n-single', type: 'fullstory-event', mode: 'single', name }]);
    await rig.deploy(nodes('first'));
    rig.sandbox.inject({ match: { method: 'POST', path: /^\/v2\/events$/ }, times: 1, fault: { type: 'delay', ms: 1000 } });
    rig.send('n-single', { _msgid: 's1', payload: { name: 'Repro', properties: { seq: 1 } } });
    await sleep(100);
    const t = rig.ms();
    await rig.deploy(nodes('second'));
    console.log(`redeploy took ${rig.ms() - t} ms`);
    await sleep(300);
    for (const e of rig.sent) console.log(`sent by the node at ${e.t} ms: output ${e.port} ${JSON.stringify(e.msg.fullstory)}`);
    console.log(`delivered to the next node: ${rig.delivered.length}; sandbox events ${JSON.stringify(rig.seqs())}`);
    // Node-RED stops downstream nodes first, so the msg cannot be delivered; the bug was saying nothing.
    verdict('closing-sends', rig.sent.length === 1 && rig.delivered.length === 0 && !rig.logs.some((l) => /finished while the flow was stopping/.test(l)));
  },

  /** More than 10 requests of one node in backoff at once: Node prints MaxListenersExceededWarning for the node's AbortSignal. */
  async 'abort-listeners'(rig) {
    const warnings: string[] = [];
    process.on('warning', (w) => warnings.push(`${w.name}: ${w.message}`));
    await rig.deploy(rig.flows({ maxAttempts: 2 }, [{ id: 'n-single', type: 'fullstory-event', mode: 'single' }]));
    rig.sandbox.inject({ match: { method: 'POST', path: /^\/v2\/events$/ }, times: 12, fault: { type: 'status', status: 503 } });
    for (let i = 0; i < 12; i++) rig.send('n-single', { _msgid: `s${i}`, payload: { name: 'Repro', properties: { seq: i } } });
    await rig.until('every msg to leave', () => rig.sent.length === 12);
    await sleep(50);
    console.log(`warnings: ${JSON.stringify(warnings)}`);
    verdict('abort-listeners', warnings.some((w) => /MaxListeners/.test(w)));
  },
};

async function main(): Promise<void> {
  const name = process.argv[2] ?? '';
  const scenario = scenarios[name];
  if (!scenario) {
    console.error(`usage: soak-repro.ts <${Object.keys(scenarios).join('|')}>`);
    process.exitCode = 2;
    return;
  }
  const rig = new Rig();
  await rig.start();
  try {
    await scenario(rig);
  } finally {
    await rig.close();
  }
}

void main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 2;
});
