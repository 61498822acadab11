// Batch import endpoints (reference §2.3, §3): create a job, read its status, page its results.

import { boolParam, isReply, type Env } from './env';
import { failure, reply, type Reply } from './http';
import type { ImportEntry, JobState } from './jobs';
import { pageOf, readPageToken } from './paging';
import { checkProperties, schemaOf } from './properties';
import { checkBatch } from './rules';
import type { Call, JobResource, SandboxJob } from './types';

function meta(job: SandboxJob): Record<string, unknown> {
  const m: Record<string, unknown> = { id: job.id, status: job.status, created: job.created };
  if (job.finished !== undefined) m['finished'] = job.finished;
  return m;
}

/** POST /v2/{users|events}/batch → {job: {id, status: 'PROCESSING', created}}. */
export function createBatch(env: Env, call: Call): Reply {
  const resource = call.route.resource as JobResource;
  const checked = checkBatch(call.body, resource);
  if (!checked.ok) return failure(400, checked.violation.code, checked.violation.message);
  const wait = env.jobs.capacityWait(checked.requests.length, env.now);
  if (wait !== undefined) {
    return failure(429, 'too_many_requests', 'too many batch imports in progress (limit: 200 jobs or 500,000 records); retry later', { 'retry-after': String(wait) });
  }
  const job = env.jobs.create({
    resource,
    requests: checked.requests,
    ...(checked.shared ? { shared: checked.shared } : {}),
    ...(checked.sharedContext ? { sharedContext: checked.sharedContext } : {}),
    ...(call.idempotencyKey !== undefined ? { idempotencyKey: call.idempotencyKey } : {}),
    stuck: env.stuckJobs,
  }, env.now);
  return reply(200, { job: meta(job) });
}

function findJob(env: Env, call: Call): JobState | Reply {
  const s = env.jobs.state(call.route.resource as JobResource, call.route.jobId as string);
  return s ?? failure(404, 'resource_not_found', `no ${call.route.resource} import job with ID ${JSON.stringify(call.route.jobId)}`);
}

/** GET /v2/{R}/batch/{job_id}: `errors` only when some record failed (the spec's description). */
export function jobStatus(env: Env, call: Call): Reply {
  const s = findJob(env, call);
  if (isReply(s)) return s;
  const { job } = s;
  const body: Record<string, unknown> = { imports: job.importsCount };
  if (job.errorsCount > 0) body['errors'] = job.errorsCount;
  body['job'] = meta(job);
  return reply(200, body);
}

/** GET /v2/{R}/batch/{job_id}/{errors|imports}: 202 {} while processing, then pages. */
export function jobPage(env: Env, call: Call): Reply {
  const s = findJob(env, call);
  if (isReply(s)) return s;
  const kind = call.route.name === 'jobErrors' ? 'errors' : 'imports';
  const include = kind === 'imports' ? boolParam(call.query, 'include_schema') : undefined;
  if (isReply(include)) return include;
  if (s.job.status === 'PROCESSING') return reply(202, {});
  if (s.remaining202 > 0) {
    s.remaining202--;
    return reply(202, {});
  }
  const scope = `${kind}\n${s.job.resource}\n${s.job.id}`;
  const offset = readPageToken(call.query.get('page_token') ?? undefined, scope);
  // sandbox's own rule: the specs are silent (on a token from another job or a mangled one).
  if (offset === undefined) return failure(400, 'invalid_argument', 'page_token is not valid for this job (send it back unchanged and URL-encoded)');
  if (kind === 'errors') return reply(200, pageOf(s.errors, offset, env.pageSize, scope));
  const page = pageOf(s.imports, offset, env.pageSize, scope);
  return reply(200, { ...page, results: page.results.map((e) => importView(e, include === true)) });
}

function importView(e: ImportEntry, includeSchema: boolean): Record<string, unknown> {
  if (!includeSchema) return e.result;
  const checked = checkProperties(e.result['properties'], undefined, '');
  const leaves = checked.ok ? checked.leaves : new Map<string, unknown>();
  return { ...e.result, schema: { properties: schemaOf(leaves, e.declared) } };
}
