#!/usr/bin/env node
// `node dist/sandbox/cli.js [--port 8089] [--job-ms 30] [--log]`: runs the sandbox until Ctrl-C / SIGTERM.
// The request log is off by default: a long demo would otherwise keep every body in memory.

import { startSandbox } from './server';
import type { SandboxOptions } from './types';

const ADMIN_KEY = 'na1.admin-key';
const STANDARD_KEY = 'na1.standard-key';

function parseArgs(argv: string[]): { port: number; jobMs?: number; log: boolean } {
  const out: { port: number; jobMs?: number; log: boolean } = { port: 8089, log: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const next = (): number => {
      const n = Number(argv[++i]);
      if (!Number.isInteger(n) || n < 0) throw new Error(`${arg} needs a non-negative integer`);
      return n;
    };
    if (arg === '--port') out.port = next();
    else if (arg === '--job-ms') out.jobMs = next();
    else if (arg === '--log') out.log = true;
    else if (arg === '--help' || arg === '-h') {
      console.log('usage: node dist/sandbox/cli.js [--port 8089] [--job-ms 30] [--log]');
      process.exit(0);
    } else throw new Error(`unknown argument ${arg}`);
  }
  return out;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const options: SandboxOptions = {
    port: args.port,
    adminKeys: [ADMIN_KEY],
    standardKeys: [STANDARD_KEY],
    recordRequests: false,
  };
  if (args.jobMs !== undefined) options.jobProcessingMs = args.jobMs;
  if (args.log) options.onRequest = (r) => console.log(`${new Date().toISOString()} ${r.method} ${r.path} → ${r.status || 'dropped'}`);
  const sandbox = await startSandbox(options);
  console.log(`FullStory sandbox listening on ${sandbox.url}`);
  console.log(`  admin key:    ${ADMIN_KEY}`);
  console.log(`  standard key: ${STANDARD_KEY}`);
  console.log('Press Ctrl-C to stop.');
  const stop = (): void => {
    sandbox.close().then(() => process.exit(0), () => process.exit(1));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
