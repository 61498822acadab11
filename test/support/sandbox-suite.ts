// The mocha hooks node-level test files share (sandbox, test-helper runtime, done() counting).

import { startSandbox, type Sandbox } from '../../sandbox';
import { trackDone, untrackDone } from './exits';
import { helper } from './harness';

export interface SandboxSuite {
  /** The file's sandbox (started in `before`, reset before each test). */
  readonly sandbox: Sandbox;
}

/**
 * The mocha hooks node-level test files share: one sandbox per file, reset before each test; a
 * fresh test-helper runtime per test; done() counted per msg (exits.ts). `pollIntervalMs` sets
 * the runtime's fast job polling where the poll timing itself is not under test.
 */
export function useSandboxSuite(options: { pollIntervalMs?: number } = {}): SandboxSuite {
  const suite = {} as { sandbox: Sandbox };
  before(async function () { suite.sandbox = await startSandbox(); });
  after(async function () {
    helper.settings({});
    await suite.sandbox.close();
  });
  beforeEach(function (done) {
    suite.sandbox.reset();
    if (options.pollIntervalMs !== undefined) helper.settings({ fullstory: { pollIntervalMs: options.pollIntervalMs } } as Parameters<typeof helper.settings>[0]);
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
