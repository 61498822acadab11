// The mocha hooks node-level test files share (sandbox, test-helper runtime, done() counting).

import { startSandbox, type Sandbox, type SandboxOptions } from '../../sandbox';
import { trackDone, untrackDone } from './exits';
import { helper } from './harness';

export interface SandboxSuite {
  /** The file's sandbox (started in `before`, reset before each test; a test that needs other
   * options may close it and put another in its place). */
  sandbox: Sandbox;
}

/** Node-RED runtime settings for the next test-helper start (settings.js as a user writes it). */
export function runtimeSettings(settings: Record<string, unknown>): void {
  helper.settings(settings as Parameters<typeof helper.settings>[0]);
}

/**
 * The mocha hooks node-level test files share: one sandbox per file, reset before each test; a
 * fresh test-helper runtime per test; done() counted per msg (exits.ts). `pollIntervalMs` sets
 * the runtime's fast job polling where the poll timing itself is not under test. A file's own
 * afterEach that restores fake timers must be registered before this call: hooks run in order.
 */
export function useSandboxSuite(options: { pollIntervalMs?: number; sandbox?: SandboxOptions } = {}): SandboxSuite {
  const suite = {} as { sandbox: Sandbox };
  before(async function () { suite.sandbox = await startSandbox(options.sandbox); });
  after(async function () {
    helper.settings({});
    await suite.sandbox.close();
  });
  beforeEach(function (done) {
    suite.sandbox.reset();
    runtimeSettings(options.pollIntervalMs === undefined ? {} : { fullstory: { pollIntervalMs: options.pollIntervalMs } });
    trackDone();
    helper.startServer(done);
  });
  afterEach(async function () {
    await helper.unload();
    untrackDone();
    await new Promise<void>((r) => helper.stopServer(() => r()));
  });
  return suite;
}
