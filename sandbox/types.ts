// Public types of the sandbox: a FullStory-compatible server on loopback for tests, demo and bench.

export interface SandboxOptions {
  /** Default 0 (ephemeral). The host is always 127.0.0.1. */
  port?: number;
  /** Keys with full rights. Default ['na1.admin-key']. */
  adminKeys?: string[];
  /** Write-only keys: GET and DELETE on /v2/users… answer 403. Default ['na1.standard-key']. */
  standardKeys?: string[];
  /** How long a batch job stays PROCESSING after creation. Default 30. */
  jobProcessingMs?: number;
  /** Results per page for /imports, /errors and GET /v2/users. Default 1000. */
  pageSize?: number;
  /** Keep the `sandbox.requests` log. Default true (the bench turns it off). */
  recordRequests?: boolean;
  /** Default 64 MiB; a larger body gets 413 {code:'payload_too_large'}. */
  maxBodyBytes?: number;
  /** Seed of the PRNG that decides probabilistic faults, so runs repeat. Default 1. */
  seed?: number;
  /** Called once per finished request (even when recordRequests is false); the CLI logs with it. */
  onRequest?: (entry: RecordedRequest) => void;
}

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string | string[] | undefined>;
  /** Parsed JSON when the body parsed, else the raw text; undefined when empty. */
  body: unknown;
  /** 0 when the socket was dropped without an answer. */
  status: number;
}

export type FaultAction =
  | { type: 'status'; status: number; code?: string; message?: string; retryAfter?: string | number }
  | { type: 'delay'; ms: number }
  | { type: 'drop' }
  | { type: 'dropAfterProcessing' }
  | { type: 'delayAfterProcessing'; ms: number }
  | { type: 'malformed'; status?: number };

export interface Fault {
  /** path is matched against the URL pathname; a string matches as a prefix. */
  match?: { method?: string; path?: string | RegExp };
  /** How many matching requests it hits. Default 1; Infinity allowed. */
  times?: number;
  /** 0..1, default 1; drawn from the seeded PRNG. */
  probability?: number;
  fault: FaultAction;
}

/** An armed fault as the state view shows it. */
export interface FaultSummary {
  fault: FaultAction;
  probability: number;
  /** null: unlimited. */
  remaining: number | null;
  match?: { method?: string; path?: string };
}

export interface StoredUser {
  id: string;
  uid?: string;
  display_name?: string;
  email?: string;
  properties: Record<string, unknown>;
  /** Dotted path → type: declared in a request, else inferred (str, real, bool, strs, reals, bools). */
  schema: Record<string, string>;
  is_being_deleted: boolean;
}

export interface StoredEvent {
  name: string;
  /** As sent, or the server time when the request had none. */
  timestamp: string;
  properties?: Record<string, unknown>;
  schema?: unknown;
  /** As sent. */
  user?: { id?: string; uid?: string };
  /** The FullStory id of the user the event landed on (absent when only a session identifies it). */
  userId?: string;
  /** As sent. */
  session?: { id?: string; use_most_recent?: boolean; uid?: string };
  /** As sent, or the batch's shared.context. */
  context?: unknown;
  idempotencyKey?: string;
  via: 'single' | 'batch';
  jobId?: string;
}

export type JobResource = 'users' | 'events';
export type SandboxJobStatus = 'PROCESSING' | 'COMPLETED' | 'FAILED';

export interface SandboxJob {
  id: string;
  resource: JobResource;
  status: SandboxJobStatus;
  created: string;
  finished?: string;
  requestCount: number;
  importsCount: number;
  errorsCount: number;
  idempotencyKey?: string;
}

export interface RecordRejection {
  code: string;
  message: string;
}

export interface SandboxCounters {
  requests: number;
  byRoute: Record<string, number>;
  /** Records imported by batch jobs (single calls are not counted). */
  recordsImported: number;
  idempotentReplays: number;
}

export interface Sandbox {
  url: string;
  port: number;
  requests: RecordedRequest[];
  users: Map<string, StoredUser>;
  events: StoredEvent[];
  jobs: Map<string, SandboxJob>;
  inject(fault: Fault): void;
  clearFaults(): void;
  /** The faults still armed (what /sandbox/state shows); a fault of `times: 1` leaves once it hit. */
  faultSummary(): FaultSummary[];
  /** Per-record rejection hook: return {code,message} to reject (batch record → job error; single call → 400). */
  rejectRecord?: (resource: JobResource, record: unknown, index: number) => RecordRejection | undefined;
  /** When true, jobs created from now on stay PROCESSING forever. */
  stuckJobs: boolean;
  /** While true, no job finishes (jobs already due finish once it is false again): lets a test see
   * PROCESSING and 202 however slowly it runs. */
  holdJobs: boolean;
  /** After a job ends, its next N GETs of /imports or /errors still answer 202. */
  processingResponsesFor202: number;
  counters: SandboxCounters;
  /** Clears state, faults, counters and hooks; keeps keys and options. */
  reset(): void;
  /** Closes the server and every open socket (keep-alive included). */
  close(): Promise<void>;
}

// Internal: an endpoint a request was routed to (router.ts) and the call the endpoint handlers
// receive (handlers.ts and the *-api.ts modules). Here rather than beside them so that those modules
// share them without importing one another.

export type RouteName =
  | 'createUser' | 'listUsers' | 'deleteUserByUid' | 'getUser' | 'updateUser' | 'deleteUser'
  | 'createEvent' | 'createBatch' | 'jobStatus' | 'jobErrors' | 'jobImports';

export interface Route {
  name: RouteName;
  /** e.g. 'POST /v2/users/{id}'; keys counters.byRoute and idempotency slots. */
  label: string;
  id?: string;
  jobId?: string;
  resource?: JobResource;
  /** The spec lists Idempotency-Key on this endpoint. */
  idempotent: boolean;
  /** Reads or deletes user data: admin keys only. */
  adminOnly: boolean;
}

/** A routed, authorised and parsed request, as the endpoint handlers receive it. */
export interface Call {
  route: Route;
  query: URLSearchParams;
  /** Parsed JSON object for POST routes; undefined otherwise. */
  body: unknown;
  idempotencyKey?: string;
}
