// The properties each node stores in the flow (what the editor dialog edits). Names are part of the
// public contract: flows saved by users carry them, so never rename one without a migration.

import type { NodeDef } from 'node-red';

/** typedInput types a field may hold; `none` means "not set: use what the payload carries". */
export type FieldType = 'none' | 'str' | 'num' | 'bool' | 'json' | 'msg' | 'flow' | 'global' | 'env' | 'jsonata' | 'date';

export interface ConfigNodeDef extends NodeDef {
  /** Empty = https://api.fullstory.com. http:// is refused unless the host is loopback. */
  baseUrl: string;
  /** Name of an environment variable holding the key, used when the apiKey credential is empty. */
  apiKeyEnv: string;
  /** Seconds before one HTTP attempt is abandoned. */
  timeout: number | string;
  /** Attempts per request, first one included. */
  maxAttempts: number | string;
  /** Seconds after which a request is not retried any more (first attempt included). */
  retryBudget: number | string;
  /** HTTP requests in flight at once, across every node using this config. */
  maxConcurrency: number | string;
  /** Batch import jobs in progress at once, across every node using this config (≤ 100). */
  maxJobs: number | string;
  /** Requests per second, 0 = no limit of ours (FullStory's 429s are still honoured). */
  rateLimit: number | string;
  /** Batch mode keeps a write-ahead journal on disk (default on; absent in flows saved before it existed). */
  journal?: boolean;
  /** Where the journals go; empty = <Node-RED user directory>/fullstory-journal. */
  journalDir?: string;
}

export interface ConfigCredentials {
  apiKey?: string;
}

export type BatchModeSetting = 'single' | 'batch';

/** Settings both data nodes share. */
export interface DataNodeDef extends NodeDef {
  server: string;
  mode: BatchModeSetting;
  /** Records per batch import job (≤ 50,000). */
  batchSize: number | string;
  /** Seconds a partial batch may wait before its job is created. */
  flushInterval: number | string;
  /** Seconds a job may stay in progress before its records fail with job_timeout. */
  jobTimeout: number | string;
  /** Records the buffer may hold; past it msgs fail with buffer_full. */
  maxBuffered: number | string;
  /** JSON object `{ "propertyName": "int", … }` declaring types so FullStory does not infer them. */
  propertyTypes: string;
  /** Also call done(err) so Catch nodes see failures (off: output 2 only). */
  reportToCatch: boolean;
  properties: string;
  propertiesType: FieldType;
}

export type UserOperation = 'upsert' | 'update' | 'get' | 'list' | 'delete';

export interface UserNodeDef extends DataNodeDef {
  operation: UserOperation;
  uid: string;
  uidType: FieldType;
  userId: string;
  userIdType: FieldType;
  email: string;
  emailType: FieldType;
  displayName: string;
  displayNameType: FieldType;
}

/** How the event node ties an event to a user or session. `payload` = as msg.payload says. */
export type EventAssociation = 'payload' | 'uid' | 'userId' | 'sessionId' | 'anonymous';

export interface EventNodeDef extends DataNodeDef {
  eventName: string;
  eventNameType: FieldType;
  timestamp: string;
  timestampType: FieldType;
  association: EventAssociation;
  associationValue: string;
  associationValueType: FieldType;
  /** With uid / userId association: attach to the user's most recent session (last 30 min). */
  useMostRecent: boolean;
}

export const DEFAULTS = {
  timeoutSeconds: 10,
  maxAttempts: 5,
  retryBudgetSeconds: 30,
  maxConcurrency: 8,
  maxJobs: 10,
  maxJobsCeiling: 100,
  rateLimit: 0,
  batchSize: 1000,
  maxBatchSize: 50_000,
  flushIntervalSeconds: 10,
  jobTimeoutSeconds: 600,
  maxBuffered: 100_000,
  maxBufferedBytes: 64 * 1024 * 1024,
  journal: true,
} as const;
