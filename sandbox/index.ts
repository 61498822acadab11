// The sandbox: a FullStory-compatible HTTP server on loopback for tests, the demo and the benchmarks.

export { startSandbox } from './server';
export type {
  Fault, FaultAction, FaultSummary, JobResource, RecordedRequest, RecordRejection, Sandbox, SandboxCounters, SandboxJob,
  SandboxJobStatus, SandboxOptions, StoredEvent, StoredUser,
} from './types';
export type { SandboxState } from './inspect';
