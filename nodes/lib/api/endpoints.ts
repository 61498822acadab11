// Every FullStory call this package makes, in one place: method, path, request and response
// types, and the check each answer passes before anything reads it. It sits on the client
// (retries, limits, redaction) and is the only module that builds a FullStory path; values in a
// path are always encoded (pathOf).

import type {
  BatchResource,
  BatchUserImportResponse,
  CreateEventRequest,
  CreateEventResponse,
  CreateJobResponse,
  CreateUserResponse,
  DeleteUserResponse,
  FailedEventImport,
  FailedUserImport,
  GetUserResponse,
  ImportedEvent,
  JobStatusResponse,
  ListUsersResponse,
  Page,
  UpdateUserResponse,
  UserFields,
} from './types';
import { pathOf, type ApiRequest, type ApiResponse, type FullStoryClient } from './client';
import { FullStoryError } from './errors';
import { RESPONSE_LIMITS } from './response-body';
import { catalogText } from './texts';
import {
  checkAnyObject,
  checkCreateJob,
  checkCreateUser,
  checkEventImport,
  checkEventImportError,
  checkJobStatus,
  checkPage,
  checkUpdateUser,
  checkUser,
  checkUserImport,
  checkUserImportError,
  checkUsersPage,
  ShapeMismatch,
} from './response-checks';

/** One call, ready to send: its request (no key, signal or budget yet) and the check of its answer. */
export interface ApiCall<T> {
  /** The call as FullStory's reference names it, e.g. `GET /v2/users/{id}`: for messages, never holds values. */
  readonly name: string;
  /** What is sent, the largest answer it may get (RESPONSE_LIMITS) and, for a POST without a key, whether it may be sent again. */
  readonly request: Readonly<Pick<ApiRequest, 'method' | 'path' | 'query' | 'body' | 'repeatable'> & Required<Pick<ApiRequest, 'maxResponseBytes'>>>;
  /** A creating POST: it carries an Idempotency-Key. */
  readonly idempotent: boolean;
  /** Sending it again after an answer of the wrong shape is safe (a read, an upsert, a keyed create). */
  readonly retryableIfInvalid: boolean;
  /** Checks a 2xx answer's body (and status); throws ShapeMismatch. */
  check(body: unknown, status: number): T;
}

/** A call whose answer is one page of several: `page(token)` is the same call for the page a token names. */
export interface PagedCall<T> extends ApiCall<T> {
  page(pageToken: string): PagedCall<T>;
}

/** A job's /imports or /errors: 202 while FullStory is still processing the job, then pages. */
export type JobPageAnswer<T> = { ready: false } | { ready: true; page: Page<T> };

export type ImportOf<R extends BatchResource> = R extends 'users' ? BatchUserImportResponse : ImportedEvent;
export type ImportErrorOf<R extends BatchResource> = R extends 'users' ? FailedUserImport : FailedEventImport;

/** Filters of GET /v2/users (the same on every page, as FullStory asks). */
export interface UserFilter {
  uid?: string;
  email?: string;
  display_name?: string;
}

type Query = Record<string, string | undefined>;

function paged<T>(make: (pageToken: string | undefined) => ApiCall<T>, pageToken?: string): PagedCall<T> {
  return { ...make(pageToken), page: (next) => paged(make, next) };
}

function jobPage<T>(check: (value: unknown, field: string) => T) {
  return (body: unknown, status: number): JobPageAnswer<T> =>
    status === 202 ? { ready: false } : { ready: true, page: checkPage(body, check) };
}

// ---- the calls ----

/** POST /v2/users: creates the user, or updates the one with this uid. */
export function createUser(body: UserFields): ApiCall<CreateUserResponse> {
  return { name: 'POST /v2/users', request: { method: 'POST', path: '/v2/users', body, maxResponseBytes: RESPONSE_LIMITS.small }, idempotent: true, retryableIfInvalid: true, check: checkCreateUser };
}

/** POST /v2/users/{id}. The spec lists no Idempotency-Key for it; an update is idempotent by nature. */
export function updateUser(id: string, body: UserFields): ApiCall<UpdateUserResponse> {
  return { name: 'POST /v2/users/{id}', request: { method: 'POST', path: pathOf`/v2/users/${id}`, body, maxResponseBytes: RESPONSE_LIMITS.small, repeatable: true }, idempotent: false, retryableIfInvalid: true, check: checkUpdateUser };
}

/** GET /v2/users/{id}. */
export function getUser(id: string): ApiCall<GetUserResponse> {
  return { name: 'GET /v2/users/{id}', request: { method: 'GET', path: pathOf`/v2/users/${id}`, maxResponseBytes: RESPONSE_LIMITS.user }, idempotent: false, retryableIfInvalid: true, check: (body) => checkUser(body) };
}

/** GET /v2/users: the users matching a filter, page by page. */
export function listUsers(filter: UserFilter): PagedCall<ListUsersResponse> {
  return paged((pageToken) => {
    const query: Query = { ...filter };
    if (pageToken !== undefined) query.page_token = pageToken;
    return { name: 'GET /v2/users', request: { method: 'GET', path: '/v2/users', query, maxResponseBytes: RESPONSE_LIMITS.page }, idempotent: false, retryableIfInvalid: true, check: checkUsersPage };
  });
}

/** DELETE /v2/users/{id}. */
export function deleteUser(id: string): ApiCall<DeleteUserResponse> {
  return { name: 'DELETE /v2/users/{id}', request: { method: 'DELETE', path: pathOf`/v2/users/${id}`, maxResponseBytes: RESPONSE_LIMITS.small }, idempotent: false, retryableIfInvalid: true, check: checkAnyObject };
}

/** DELETE /v2/users?uid= */
export function deleteUserByUid(uid: string): ApiCall<DeleteUserResponse> {
  return { name: 'DELETE /v2/users?uid=', request: { method: 'DELETE', path: '/v2/users', query: { uid }, maxResponseBytes: RESPONSE_LIMITS.small }, idempotent: false, retryableIfInvalid: true, check: checkAnyObject };
}

/** POST /v2/events: one event. FullStory answers `{}`; a resend with the same key is replayed. */
export function createEvent(body: CreateEventRequest): ApiCall<CreateEventResponse> {
  return { name: 'POST /v2/events', request: { method: 'POST', path: '/v2/events', body, maxResponseBytes: RESPONSE_LIMITS.small }, idempotent: true, retryableIfInvalid: true, check: checkAnyObject };
}

/**
 * POST /v2/{users|events}/batch. `body` is the request `{"requests": [...]}` already serialised
 * (a job is serialised once and may be retried). Whether a resend is safe depends on the resource,
 * and is decided by the batch job (events could be counted twice).
 */
export function createJob(resource: BatchResource, body: string): ApiCall<CreateJobResponse> {
  return { name: `POST /v2/${resource}/batch`, request: { method: 'POST', path: pathOf`/v2/${resource}/batch`, body, maxResponseBytes: RESPONSE_LIMITS.small }, idempotent: true, retryableIfInvalid: resource === 'users', check: checkCreateJob };
}

/** GET /v2/{users|events}/batch/{job_id}. A wrong answer is not retried: the job's outcome becomes unknown. */
export function getJobStatus(resource: BatchResource, jobId: string): ApiCall<JobStatusResponse> {
  return { name: `GET /v2/${resource}/batch/{job_id}`, request: { method: 'GET', path: pathOf`/v2/${resource}/batch/${jobId}`, maxResponseBytes: RESPONSE_LIMITS.small }, idempotent: false, retryableIfInvalid: false, check: checkJobStatus };
}

/** GET /v2/{users|events}/batch/{job_id}/imports: what the job imported, page by page. */
export function getJobImports<R extends BatchResource>(resource: R, jobId: string): PagedCall<JobPageAnswer<ImportOf<R>>> {
  const check = (resource === 'users' ? checkUserImport : checkEventImport) as (value: unknown, field: string) => ImportOf<R>;
  return paged((pageToken) => ({
    name: `GET /v2/${resource}/batch/{job_id}/imports`,
    request: { method: 'GET', path: pathOf`/v2/${resource}/batch/${jobId}/imports`, query: pageToken === undefined ? {} : { page_token: pageToken }, maxResponseBytes: RESPONSE_LIMITS.page },
    idempotent: false,
    retryableIfInvalid: false,
    check: jobPage(check),
  }));
}

/** GET /v2/{users|events}/batch/{job_id}/errors: the records the job refused, page by page. */
export function getJobErrors<R extends BatchResource>(resource: R, jobId: string): PagedCall<JobPageAnswer<ImportErrorOf<R>>> {
  const check = (resource === 'users' ? checkUserImportError : checkEventImportError) as (value: unknown, field: string) => ImportErrorOf<R>;
  return paged((pageToken) => ({
    name: `GET /v2/${resource}/batch/{job_id}/errors`,
    request: { method: 'GET', path: pathOf`/v2/${resource}/batch/${jobId}/errors`, query: pageToken === undefined ? {} : { page_token: pageToken }, maxResponseBytes: RESPONSE_LIMITS.page },
    idempotent: false,
    retryableIfInvalid: false,
    check: jobPage(check),
  }));
}

// ---- sending ----

/** How to send a call (see ApiRequest), and the job it belongs to (for errors). */
export type CallOptions = Pick<ApiRequest, 'idempotencyKey' | 'signal' | 'budgetMs' | 'deadline' | 'lastChance' | 'onAttempt'> & { jobId?: string };

/** Sends a call through the client and checks its answer: resolves with typed data or rejects with a FullStoryError. */
export async function callApi<T>(client: FullStoryClient, call: ApiCall<T>, options: CallOptions = {}): Promise<ApiResponse<T>> {
  const { jobId, ...transport } = options;
  const response = await client.request({ ...call.request, ...transport });
  let data: T;
  try {
    data = call.check(response.data, response.status);
  } catch (err) {
    if (err instanceof ShapeMismatch) throw invalidAnswer(call, err, response, jobId);
    throw err;
  }
  return { status: response.status, attempts: response.attempts, data };
}

function invalidAnswer(call: ApiCall<unknown>, mismatch: ShapeMismatch, response: ApiResponse, jobId: string | undefined): FullStoryError {
  const error = new FullStoryError(
    catalogText('config:errors.response.shape', { call: call.name, field: mismatch.field, expected: mismatch.expectedText, actual: mismatch.actualText }),
    {
      code: 'invalid_response',
      status: response.status,
      retryable: call.retryableIfInvalid,
      attempts: response.attempts,
      jobId,
    },
  );
  // FullStory answered 2xx: a create may well have been applied.
  error.maybeApplied = true;
  return error;
}

/** Whether a call pages (its answer carries a next_page_token to follow). */
export function isPaged<T>(call: ApiCall<T>): call is PagedCall<T> {
  return typeof (call as Partial<PagedCall<T>>).page === 'function';
}
