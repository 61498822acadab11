// The benchmark's sandbox process: the FullStory-compatible sandbox in a child of its own, so the
// Node-RED process's CPU time is the nodes' alone. Started by scripts/bench/bench.ts with fork(); it
// reports `{ ready, url, controlUrl }` over IPC and is then steered through a small control server
// on loopback (the Node-RED process and the orchestrator both use it):
//   POST /reset         sandbox.reset() (state, counters) and the timing log
//   POST /stuck?on=1|0  sandbox.stuckJobs
//   GET  /stats         counters, process CPU and memory, and the server-side time of each batch create
// Options (argv): --job-ms N (default 30), --page-size N (default 1000).

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startSandbox } from '../../sandbox';
import { BENCH_KEY } from './bench-common';

interface BatchCreateTiming {
  path: string;
  bytes: number;
  status: number;
  /** Request arrival (headers read) to the response's last byte handed to the OS. */
  serverMs: number;
}

function argValue(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  if (i < 0) return fallback;
  const n = Number(process.argv[i + 1]);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} needs a non-negative integer`);
  return n;
}

async function main(): Promise<void> {
  const sandbox = await startSandbox({
    port: 0,
    adminKeys: [BENCH_KEY],
    recordRequests: false,
    jobProcessingMs: argValue('--job-ms', 30),
    pageSize: argValue('--page-size', 1000),
  });
  let creates: BatchCreateTiming[] = [];
  // The sandbox's own http.Server (not part of its public type): timing batch creates server-side.
  const server = (sandbox as unknown as { server: http.Server }).server;
  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    if (req.method !== 'POST' || !/\/batch$/.test(req.url ?? '')) return;
    const start = process.hrtime.bigint();
    let bytes = 0;
    req.on('data', (chunk: Buffer) => (bytes += chunk.length));
    res.on('finish', () => {
      creates.push({ path: req.url ?? '', bytes, status: res.statusCode, serverMs: Number(process.hrtime.bigint() - start) / 1e6 });
    });
  });

  const control = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const send = (body: unknown): void => {
      const text = JSON.stringify(body);
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      res.end(text);
    };
    req.resume();
    req.on('end', () => {
      if (req.method === 'POST' && url.pathname === '/reset') {
        sandbox.reset();
        creates = [];
        send({ ok: true });
      } else if (req.method === 'POST' && url.pathname === '/stuck') {
        sandbox.stuckJobs = url.searchParams.get('on') === '1';
        send({ ok: true, stuckJobs: sandbox.stuckJobs });
      } else if (req.method === 'GET' && url.pathname === '/stats') {
        send({
          counters: sandbox.counters,
          cpu: process.cpuUsage(),
          memory: process.memoryUsage(),
          batchCreates: creates,
        });
      } else {
        res.writeHead(404).end();
      }
    });
  });
  await new Promise<void>((resolve) => control.listen(0, '127.0.0.1', resolve));
  const controlUrl = `http://127.0.0.1:${(control.address() as AddressInfo).port}`;

  const stop = (): void => {
    control.close();
    control.closeAllConnections();
    sandbox.close().then(() => process.exit(0), () => process.exit(1));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  // The orchestrator going away (even killed) closes the IPC channel: never outlive it.
  process.on('disconnect', stop);
  process.send?.({ ready: true, url: sandbox.url, controlUrl });
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
