// Checks of FullStory's answers against the types in api-types.ts, made before anything reads
// them: one small hand-written check per response type. Strict on what we read (or pass on to a
// flow as typed data), liberal elsewhere: an optional field may be missing or null, and fields
// we do not know are left alone. A departure is a ShapeMismatch, which the API layer
// (fullstory-api.ts) turns into an `invalid_response` error.

import type {
  BatchUserImportResponse,
  CreateJobResponse,
  CreateUserResponse,
  FailedEventImport,
  FailedUserImport,
  GetUserResponse,
  ImportedEvent,
  JobStatusResponse,
  ListUsersResponse,
  Page,
  UpdateUserResponse,
} from './types';
import { catalogText, type CatalogText } from './texts';

/** FullStory's user ids are at most 256 characters (spec); job ids are shorter in every example. */
export const SERVER_ID_MAX_LENGTH = 256;
/**
 * What an id from FullStory may hold before it goes into a URL path: the base64 and base64url
 * alphabets (user ids are digits, job ids look like "abd123="). No '.', so no id can be a path
 * step ('.', '..') even where a proxy decodes %2F; no '%', so nothing is decoded twice. '/' is
 * base64 and is sent encoded (%2F), like every other value in a path.
 */
const SERVER_ID_RE = /^[A-Za-z0-9+/=_-]+$/;
/** A next_page_token goes back into a URL query; the sandbox's are ~100 characters. */
export const PAGE_TOKEN_MAX_LENGTH = 4096;
// C0 and C1 controls and the Unicode line and paragraph separators.
// eslint-disable-next-line no-control-regex
const CONTROL_RE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
/** A lone surrogate cannot be percent-encoded (encodeURIComponent throws). */
const LONE_SURROGATE_RE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
export const JOB_STATUSES: readonly string[] = ['PROCESSING', 'COMPLETED', 'FAILED'];
/** Counts (a job's imports and errors) are int32 in the spec. */
const MAX_COUNT = 2_147_483_647;

/** What a field should have been (catalog: errors.response.expected.<kind>). */
export type Expected = 'object' | 'list' | 'text' | 'id' | 'pageToken' | 'jobStatus' | 'count' | 'boolean';
/** What it was (catalog: errors.response.actual.<kind>). */
export type Actual =
  | 'missing' | 'null' | 'number' | 'boolean' | 'text' | 'emptyText' | 'longText' | 'otherChars' | 'otherValue' | 'list' | 'object';

/** What each kind of field should have been, as a catalog text. */
const EXPECTED_TEXT: Record<Expected, CatalogText> = {
  object: catalogText('config:errors.response.expected.object'),
  list: catalogText('config:errors.response.expected.list'),
  text: catalogText('config:errors.response.expected.text'),
  id: catalogText('config:errors.response.expected.id', { max: SERVER_ID_MAX_LENGTH }),
  pageToken: catalogText('config:errors.response.expected.pageToken', { max: PAGE_TOKEN_MAX_LENGTH }),
  jobStatus: catalogText('config:errors.response.expected.jobStatus'),
  count: catalogText('config:errors.response.expected.count', { max: MAX_COUNT }),
  boolean: catalogText('config:errors.response.expected.boolean'),
};

function actualText(actual: Actual, length: number | undefined): CatalogText {
  switch (actual) {
    case 'missing': return catalogText('config:errors.response.actual.missing');
    case 'null': return catalogText('config:errors.response.actual.null');
    case 'number': return catalogText('config:errors.response.actual.number');
    case 'boolean': return catalogText('config:errors.response.actual.boolean');
    case 'text': return catalogText('config:errors.response.actual.text');
    case 'emptyText': return catalogText('config:errors.response.actual.emptyText');
    case 'longText': return catalogText('config:errors.response.actual.longText', { length: length ?? 0 });
    case 'otherChars': return catalogText('config:errors.response.actual.otherChars');
    case 'otherValue': return catalogText('config:errors.response.actual.otherValue');
    case 'list': return catalogText('config:errors.response.actual.list');
    case 'object': return catalogText('config:errors.response.actual.object');
  }
}

/**
 * Where an answer departs from its type. `field` is a path from the answer's root (`body`) made
 * of our own field names and list indexes only: nothing the server sent is quoted.
 */
export class ShapeMismatch extends Error {
  constructor(
    readonly field: string,
    readonly expected: Expected,
    readonly actual: Actual,
    readonly length?: number,
  ) {
    // Never shown as it is: the API layer turns it into an `invalid_response` error with a catalog text.
    super(`${field}: ${expected} expected, ${actual} found`);
    this.name = 'ShapeMismatch';
  }

  get expectedText(): CatalogText {
    return EXPECTED_TEXT[this.expected];
  }

  get actualText(): CatalogText {
    return actualText(this.actual, this.length);
  }
}

type Obj = Record<string, unknown>;

function kindOf(value: unknown): Actual {
  if (value === undefined) return 'missing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'list';
  switch (typeof value) {
    case 'number': return 'number';
    case 'boolean': return 'boolean';
    case 'string': return value === '' ? 'emptyText' : 'text';
    default: return 'object';
  }
}

function mismatch(field: string, expected: Expected, value: unknown): never {
  throw new ShapeMismatch(field, expected, kindOf(value));
}

const absent = (value: unknown): value is null | undefined => value === undefined || value === null;

/** Own fields only: a key like "constructor" never reads Object.prototype. */
function fieldOf(o: Obj, key: string): unknown {
  return Object.hasOwn(o, key) ? o[key] : undefined;
}

function asObject(value: unknown, field: string): Obj {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Obj;
  return mismatch(field, 'object', value);
}

function asList(value: unknown, field: string): unknown[] {
  if (Array.isArray(value)) return value;
  return mismatch(field, 'list', value);
}

function requireText(o: Obj, key: string, field: string): void {
  const value = fieldOf(o, key);
  if (typeof value !== 'string') mismatch(`${field}.${key}`, 'text', value);
}

function optionalText(o: Obj, key: string, field: string): void {
  const value = fieldOf(o, key);
  if (!absent(value) && typeof value !== 'string') mismatch(`${field}.${key}`, 'text', value);
}

function optionalObject(o: Obj, key: string, field: string): Obj | undefined {
  const value = fieldOf(o, key);
  if (absent(value)) return undefined;
  if (typeof value === 'object' && !Array.isArray(value)) return value as Obj;
  return mismatch(`${field}.${key}`, 'object', value);
}

function optionalBoolean(o: Obj, key: string, field: string): void {
  const value = fieldOf(o, key);
  if (!absent(value) && typeof value !== 'boolean') mismatch(`${field}.${key}`, 'boolean', value);
}

function optionalCount(o: Obj, key: string, field: string): void {
  const value = fieldOf(o, key);
  if (absent(value)) return;
  if (typeof value !== 'number') mismatch(`${field}.${key}`, 'count', value);
  if (!Number.isInteger(value) || value < 0 || value > MAX_COUNT) throw new ShapeMismatch(`${field}.${key}`, 'count', 'otherValue');
}

/** Whether a value is an id from FullStory that may go into a URL path (see SERVER_ID_RE). */
export function isServerId(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= SERVER_ID_MAX_LENGTH && SERVER_ID_RE.test(value);
}

/** An id from FullStory (user or job id): checked here, before any URL or msg holds it. */
export function checkServerId(value: unknown, field: string): string {
  if (typeof value !== 'string') return mismatch(field, 'id', value);
  if (value === '') throw new ShapeMismatch(field, 'id', 'emptyText');
  if (value.length > SERVER_ID_MAX_LENGTH) throw new ShapeMismatch(field, 'id', 'longText', value.length);
  if (!SERVER_ID_RE.test(value)) throw new ShapeMismatch(field, 'id', 'otherChars');
  return value;
}

// (Field paths are built only for a mismatch: a page of 50,000 imports is checked per item.)
function requireId(o: Obj, key: string, field: string): void {
  const value = fieldOf(o, key);
  if (!isServerId(value)) checkServerId(value, `${field}.${key}`);
}

function optionalId(o: Obj, key: string, field: string): void {
  const value = fieldOf(o, key);
  if (!absent(value) && !isServerId(value)) checkServerId(value, `${field}.${key}`);
}

function optionalPageToken(o: Obj, key: string, field: string): void {
  const value = fieldOf(o, key);
  if (absent(value)) return;
  if (typeof value !== 'string') mismatch(`${field}.${key}`, 'pageToken', value);
  if (value.length > PAGE_TOKEN_MAX_LENGTH) throw new ShapeMismatch(`${field}.${key}`, 'pageToken', 'longText', value.length);
  if (CONTROL_RE.test(value) || LONE_SURROGATE_RE.test(value)) throw new ShapeMismatch(`${field}.${key}`, 'pageToken', 'otherChars');
}

const ROOT = 'body';
/** Stands for `body.results[<index>]` while a page's items are checked. */
const ITEM = 'body.results[]';

// ---- one check per response type ----

/** Answers we read nothing from (POST /v2/events, DELETE): any JSON object. */
export function checkAnyObject(body: unknown): Record<string, unknown> {
  return asObject(body, ROOT);
}

/** POST /v2/users: `{id}`; the id goes into later URLs (update, get, delete by id). */
export function checkCreateUser(body: unknown): CreateUserResponse {
  const o = asObject(body, ROOT);
  requireId(o, 'id', ROOT);
  return o as unknown as CreateUserResponse;
}

/** POST /v2/users/{id}: `{id}`; the caller falls back to the id it sent when there is none. */
export function checkUpdateUser(body: unknown): UpdateUserResponse {
  const o = asObject(body, ROOT);
  optionalId(o, 'id', ROOT);
  return o as UpdateUserResponse;
}

/** A user as GET /v2/users/{id} and each item of GET /v2/users give it: it becomes msg.payload. */
export function checkUser(value: unknown, field = ROOT): GetUserResponse {
  const o = asObject(value, field);
  requireId(o, 'id', field);
  for (const key of ['uid', 'display_name', 'email', 'app_url']) optionalText(o, key, field);
  optionalBoolean(o, 'is_being_deleted', field);
  optionalObject(o, 'properties', field);
  return o as unknown as GetUserResponse;
}

/** One page: `results` must be a list (each item checked), the token and count text when present. */
export function checkPage<T>(body: unknown, checkItem: (value: unknown, field: string) => T): Page<T> {
  const o = asObject(body, ROOT);
  const results = asList(fieldOf(o, 'results'), `${ROOT}.results`);
  let i = 0;
  try {
    for (; i < results.length; i++) checkItem(results[i], ITEM);
  } catch (err) {
    // The item's path is spelled out only now, for the one item that does not match.
    if (!(err instanceof ShapeMismatch) || !err.field.startsWith(ITEM)) throw err;
    throw new ShapeMismatch(`${ROOT}.results[${i}]${err.field.slice(ITEM.length)}`, err.expected, err.actual, err.length);
  }
  optionalPageToken(o, 'next_page_token', ROOT);
  optionalText(o, 'total_records', ROOT);
  return o as unknown as Page<T>;
}

/** GET /v2/users: a page of users. */
export function checkUsersPage(body: unknown): ListUsersResponse {
  const page = checkPage(body, checkUser) as ListUsersResponse;
  optionalText(page as unknown as Obj, 'app_url', ROOT);
  return page;
}

/** POST /v2/{users|events}/batch: only the job id is read (it goes into every later URL of the
 * job); status and created are checked when present, since a job we can poll is still a job. */
export function checkCreateJob(body: unknown): CreateJobResponse {
  const o = asObject(body, ROOT);
  const job = asObject(fieldOf(o, 'job'), `${ROOT}.job`);
  requireId(job, 'id', `${ROOT}.job`);
  optionalText(job, 'status', `${ROOT}.job`);
  optionalText(job, 'created', `${ROOT}.job`);
  return o as unknown as CreateJobResponse;
}

/** GET /v2/{users|events}/batch/{job_id}: the status decides what happens next, so it must be one we know. */
export function checkJobStatus(body: unknown): JobStatusResponse {
  const o = asObject(body, ROOT);
  const field = `${ROOT}.job`;
  const job = asObject(fieldOf(o, 'job'), field);
  requireText(job, 'id', field);
  const status = fieldOf(job, 'status');
  if (typeof status !== 'string') mismatch(`${field}.status`, 'jobStatus', status);
  if (!JOB_STATUSES.includes(status)) throw new ShapeMismatch(`${field}.status`, 'jobStatus', 'otherValue');
  optionalText(job, 'created', field);
  optionalText(job, 'finished', field);
  optionalCount(o, 'imports', ROOT);
  optionalCount(o, 'errors', ROOT);
  return o as unknown as JobStatusResponse;
}

/** An item of a users job's /imports: its FullStory id is reported to the flow (and so may reach a URL). */
export function checkUserImport(value: unknown, field: string): BatchUserImportResponse {
  const o = asObject(value, field);
  requireId(o, 'id', field);
  for (const key of ['uid', 'display_name', 'email']) optionalText(o, key, field);
  optionalObject(o, 'properties', field);
  return o as unknown as BatchUserImportResponse;
}

/** An item of an events job's /imports: read to confirm events by name, time and user or session. */
export function checkEventImport(value: unknown, field: string): ImportedEvent {
  const o = asObject(value, field);
  requireText(o, 'name', field);
  optionalText(o, 'timestamp', field);
  optionalObject(o, 'properties', field);
  const user = optionalObject(o, 'user', field);
  if (user) for (const key of ['uid', 'id']) optionalText(user, key, `${field}.user`);
  const session = optionalObject(o, 'session', field);
  if (session) optionalText(session, 'id', `${field}.session`);
  return o as unknown as ImportedEvent;
}

/** An item of a job's /errors: its code and message go to the msg; the echoed record is matched by content. */
function checkImportError(value: unknown, field: string, itemKey: 'user' | 'event'): Obj {
  const o = asObject(value, field);
  requireText(o, 'code', field);
  requireText(o, 'message', field);
  optionalObject(o, itemKey, field);
  return o;
}

export function checkUserImportError(value: unknown, field: string): FailedUserImport {
  return checkImportError(value, field, 'user') as unknown as FailedUserImport;
}

export function checkEventImportError(value: unknown, field: string): FailedEventImport {
  return checkImportError(value, field, 'event') as unknown as FailedEventImport;
}
