// What handlers see of the sandbox: state, settings and the test hooks, at one instant (`now`).

import type { ApplyEnv } from './apply';
import type { Reply } from './http';
import { failure } from './http';
import type { Jobs } from './jobs';

export interface Env extends ApplyEnv {
  jobs: Jobs;
  pageSize: number;
  stuckJobs: boolean;
  /** How long a deleted user stays visible with is_being_deleted: true. */
  deletionMs: number;
}

/**
 * A boolean query parameter: absent, 'true' or 'false'; anything else is a 400 (sandbox's own rule:
 * the specs are silent on spellings such as '1' or 'yes').
 */
export function boolParam(query: URLSearchParams, name: string): boolean | undefined | Reply {
  const v = query.get(name);
  if (v === null) return undefined;
  if (v === 'true') return true;
  if (v === 'false') return false;
  return failure(400, 'invalid_argument', `query parameter ${name} must be true or false (got ${JSON.stringify(v)})`);
}

export function isReply(v: unknown): v is Reply {
  return typeof v === 'object' && v !== null && 'status' in v;
}
