#!/usr/bin/env node
// `fullstory-sandbox` (the package's bin; `node dist/sandbox/cli.js` in a clone): runs the sandbox
// until Ctrl-C / SIGTERM. Options and help: sandbox/cli-options.ts.
// The request log is off: a long session would otherwise keep every body in memory.

import { ADMIN_KEY, HELP, parseCli, STANDARD_KEY } from './cli-options';
import { startSandbox } from './server';
import type { SandboxOptions } from './types';

async function main(): Promise<void> {
  let command;
  try {
    command = parseCli(process.argv.slice(2));
  } catch (err) {
    console.error(`fullstory-sandbox: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 2;
    return;
  }
  if (command.kind === 'help') {
    process.stdout.write(HELP);
    return;
  }
  const args = command.options;
  const options: SandboxOptions = {
    port: args.port,
    adminKeys: [ADMIN_KEY],
    standardKeys: [STANDARD_KEY],
    recordRequests: false,
    seed: args.seed,
  };
  if (args.jobMs !== undefined) options.jobProcessingMs = args.jobMs;
  if (args.log) options.onRequest = (r) => console.log(`${new Date().toISOString()} ${r.method} ${r.path} → ${r.status || 'dropped'}`);
  const sandbox = await startSandbox(options);
  for (const fault of args.faults) sandbox.inject(fault);
  console.log(`FullStory sandbox listening on ${sandbox.url}`);
  console.log(`  admin key:    ${ADMIN_KEY}`);
  console.log(`  standard key: ${STANDARD_KEY}`);
  console.log(`  what it holds: ${sandbox.url}/sandbox/  (JSON: ${sandbox.url}/sandbox/state)`);
  for (const line of args.faultLines) console.log(`  fault: ${line}`);
  console.log('Press Ctrl-C to stop.');
  const stop = (): void => {
    sandbox.close().then(() => process.exit(0), () => process.exit(1));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err: unknown) => {
  console.error(`fullstory-sandbox: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
