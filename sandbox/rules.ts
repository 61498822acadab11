// Request-shape rules for users and events, written from the reference (§2, §4) and the Swagger specs.
// Each check returns a Violation (→ 400 for a single call, → a job error for a batch record).

import { isIsoDateTime } from './iso';
import { checkProperties, isObject, type Leaves, type Violation } from './properties';

export type { Violation } from './properties';

const invalid = (message: string): Violation => ({ code: 'invalid_argument', message });

export const MAX_UID = 256;
export const MAX_DISPLAY_NAME = 256;
export const MAX_EMAIL = 128;
export const MAX_EVENT_NAME = 250;
export const MAX_BATCH = 50_000;

/** Longer than max characters (code points, as the spec's maxLength means)? */
function tooLong(s: string, max: number): boolean {
  if (s.length <= max) return false; // UTF-16 units ≥ code points, so no need to count
  let n = 0;
  for (const _ of s) if (++n > max) return true;
  return false;
}

// sandbox's own rule: the specs are silent (they list each object's fields, not what happens to others).
function unknownField(obj: Record<string, unknown>, allowed: ReadonlySet<string>, label: string): Violation | undefined {
  for (const key of Object.keys(obj)) {
    if (!allowed.has(key)) return invalid(`${label}unknown field '${key}'`);
  }
  return undefined;
}

function checkString(v: unknown, field: string, max: number | undefined, nonEmpty: boolean): Violation | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string') return invalid(`${field} must be a string`);
  // sandbox's own rule: the specs are silent (on an empty uid or id).
  if (nonEmpty && v === '') return invalid(`${field} must not be empty`);
  if (max !== undefined && tooLong(v, max)) return invalid(`${field} is longer than ${max} characters`);
  return undefined;
}

// ---- users -------------------------------------------------------------------------------------

const USER_FIELDS = new Set(['uid', 'display_name', 'email', 'properties', 'schema']);
const BATCH_USER_FIELDS = new Set([...USER_FIELDS, 'id']);

export type Checked = { ok: true; leaves: Leaves } | { ok: false; violation: Violation };

/** UserFields (create/update); batch items may also carry `id`. */
export function checkUser(body: unknown, allowId: boolean): Checked {
  if (!isObject(body)) return bad(invalid('a user must be a JSON object'));
  const v =
    unknownField(body, allowId ? BATCH_USER_FIELDS : USER_FIELDS, '') ??
    checkString(body['id'], 'id', undefined, true) ??
    checkString(body['uid'], 'uid', MAX_UID, true) ??
    checkString(body['display_name'], 'display_name', MAX_DISPLAY_NAME, false) ??
    checkString(body['email'], 'email', MAX_EMAIL, false);
  if (v) return bad(v);
  return checkProperties(body['properties'], body['schema'], '');
}

function bad(violation: Violation): Checked {
  return { ok: false, violation };
}

// ---- events ------------------------------------------------------------------------------------

const EVENT_FIELDS = new Set(['name', 'timestamp', 'properties', 'schema', 'user', 'session', 'context']);
const EVENT_USER_FIELDS = new Set(['id', 'uid']);
const SESSION_FIELDS = new Set(['id', 'use_most_recent', 'uid']);
// "<device_id>:<session_id>"; catches a session URL or an un-decoded "%3A" sent in its place.
const SESSION_ID_RE = /^[A-Za-z0-9_-]+:[A-Za-z0-9_-]+$/;

type FieldType = 'string' | 'int32' | 'double';
const CONTEXT_SPEC: Record<string, Record<string, FieldType>> = {
  browser: { url: 'string', user_agent: 'string', initial_referrer: 'string' },
  mobile: { app_id: 'string', app_version: 'string', app_name: 'string', build_variant: 'string' },
  device: {
    manufacturer: 'string', model: 'string',
    screen_width: 'int32', screen_height: 'int32', viewport_width: 'int32', viewport_height: 'int32',
  },
  location: {
    country: 'string', region: 'string', city: 'string', ip_address: 'string',
    latitude: 'double', longitude: 'double',
  },
};

/** Context {browser, mobile, device, location} with the spec's field types. */
export function checkContext(ctx: unknown, label: string): Violation | undefined {
  if (!isObject(ctx)) return invalid(`${label} must be an object`);
  for (const part of Object.keys(ctx)) {
    const spec = CONTEXT_SPEC[part];
    if (!Object.hasOwn(CONTEXT_SPEC, part) || spec === undefined) return invalid(`${label} has an unknown field '${part}'`);
    const obj = ctx[part];
    if (!isObject(obj)) return invalid(`${label}.${part} must be an object`);
    for (const field of Object.keys(obj)) {
      const type = spec[field];
      if (!Object.hasOwn(spec, field) || type === undefined) return invalid(`${label}.${part} has an unknown field '${field}'`);
      const v = obj[field];
      // sandbox's own rule: the specs are silent (on quoted numbers such as "1024", which proto3 JSON would read).
      const ok =
        type === 'string' ? typeof v === 'string'
        : type === 'int32' ? typeof v === 'number' && Number.isInteger(v) && v >= -(2 ** 31) && v < 2 ** 31
        : typeof v === 'number' && Number.isFinite(v);
      if (!ok) return invalid(`${label}.${part}.${field} must be ${type === 'string' ? 'a string' : type === 'int32' ? 'a 32-bit integer' : 'a number'}`);
    }
  }
  return undefined;
}

/** How an event names its target (§2.2). Exactly one form is allowed. */
export type Identification =
  | { form: 'session'; sessionId?: string; sessionUid?: string }
  | { form: 'user'; id?: string; uid?: string; useMostRecent: boolean }
  | { form: 'anonymous' };

export type CheckedEvent =
  | { ok: true; ident: Identification }
  | { ok: false; violation: Violation };

/** CreateEventRequest: shape, properties, context, then the identification rules. */
export function checkEvent(body: unknown): CheckedEvent {
  if (!isObject(body)) return no(invalid('an event must be a JSON object'));
  const v =
    unknownField(body, EVENT_FIELDS, '') ??
    checkName(body['name']) ??
    checkTimestamp(body['timestamp']) ??
    checkUserRef(body['user']) ??
    checkSession(body['session']) ??
    (body['context'] === undefined ? undefined : checkContext(body['context'], 'context'));
  if (v) return no(v);
  const props = checkProperties(body['properties'], body['schema'], '');
  if (!props.ok) return no(props.violation);
  return identify(body['user'] as EventUserRef | undefined, body['session'] as SessionRef | undefined);
}

function no(violation: Violation): CheckedEvent {
  return { ok: false, violation };
}

function checkName(name: unknown): Violation | undefined {
  // proto3 cannot tell a missing name from an empty one, so both get FullStory's message.
  if (name === undefined || name === '') return invalid('events must have a non-empty name');
  if (typeof name !== 'string') return invalid('name must be a string');
  // sandbox's own rule: the specs are silent (250 is the browser Client API's limit; the server spec gives none).
  if (tooLong(name, MAX_EVENT_NAME)) return invalid(`name is longer than ${MAX_EVENT_NAME} characters`);
  return undefined;
}

function checkTimestamp(ts: unknown): Violation | undefined {
  if (ts === undefined) return undefined;
  // sandbox's own rule: the specs are silent beyond "ISO 8601", which also allows zone-less local
  // times and times without seconds; the sandbox wants an RFC 3339 instant.
  if (typeof ts !== 'string' || !isIsoDateTime(ts)) {
    return invalid(`timestamp must be an ISO 8601 date-time with seconds and a zone, e.g. 2024-03-15T14:23:23.000Z (got ${JSON.stringify(ts)})`);
  }
  return undefined;
}

interface EventUserRef { id?: string; uid?: string }
interface SessionRef { id?: string; uid?: string; use_most_recent?: boolean }

function checkUserRef(user: unknown): Violation | undefined {
  if (user === undefined) return undefined;
  if (!isObject(user)) return invalid('user must be an object');
  const v = unknownField(user, EVENT_USER_FIELDS, 'user: ') ??
    checkString(user['id'], 'user.id', undefined, true) ??
    checkString(user['uid'], 'user.uid', MAX_UID, true);
  if (v) return v;
  if (user['id'] === undefined && user['uid'] === undefined) return invalid('user must carry id or uid');
  return undefined;
}

function checkSession(session: unknown): Violation | undefined {
  if (session === undefined) return undefined;
  if (!isObject(session)) return invalid('session must be an object');
  const v = unknownField(session, SESSION_FIELDS, 'session: ') ??
    checkString(session['id'], 'session.id', undefined, true) ??
    checkString(session['uid'], 'session.uid', MAX_UID, true);
  if (v) return v;
  const id = session['id'];
  // sandbox's own rule: the specs are silent (the "<device_id>:<session_id>" shape is the docs' example).
  if (typeof id === 'string' && !SESSION_ID_RE.test(id)) {
    return invalid(`session.id must look like "<device_id>:<session_id>" (got ${JSON.stringify(id.slice(0, 80))})`);
  }
  const umr = session['use_most_recent'];
  if (umr !== undefined && typeof umr !== 'boolean') return invalid('session.use_most_recent must be a boolean');
  return undefined;
}

function identify(user: EventUserRef | undefined, session: SessionRef | undefined): CheckedEvent {
  const sessionId = session?.id;
  const sessionUid = session?.uid;
  const useMostRecent = session?.use_most_recent === true;
  if (sessionId !== undefined || sessionUid !== undefined) {
    if (sessionId !== undefined && sessionUid !== undefined) return no(invalid('send only one of session.id and session.uid'));
    if (user !== undefined) return no(invalid('user is not accepted when the session is identified (session.id / session.uid identifies the target)'));
    if (useMostRecent) return no(invalid('session.use_most_recent cannot be combined with session.id or session.uid'));
    return { ok: true, ident: { form: 'session', ...(sessionId !== undefined ? { sessionId } : { sessionUid: sessionUid as string }) } };
  }
  if (useMostRecent) {
    if (user === undefined) return no(invalid('session.use_most_recent requires a user (user.id or user.uid)'));
    if (user.id !== undefined && user.uid !== undefined) {
      return no(invalid('with session.use_most_recent exactly one user field is required: send user.id or user.uid, not both'));
    }
  }
  if (user !== undefined) return { ok: true, ident: { form: 'user', id: user.id, uid: user.uid, useMostRecent } };
  return { ok: true, ident: { form: 'anonymous' } };
}

// ---- batch envelopes ---------------------------------------------------------------------------

const USERS_BATCH_FIELDS = new Set(['requests']);
const EVENTS_BATCH_FIELDS = new Set(['requests', 'shared']);
const SHARED_FIELDS = new Set(['context']);

export type CheckedBatch =
  | { ok: true; requests: unknown[]; sharedContext?: Record<string, unknown>; shared?: Record<string, unknown> }
  | { ok: false; violation: Violation };

/** The envelope only: per-record problems become job errors, never a failed request. */
export function checkBatch(body: unknown, resource: 'users' | 'events'): CheckedBatch {
  const nope = (message: string): CheckedBatch => ({ ok: false, violation: invalid(message) });
  if (!isObject(body)) return nope('the body must be a JSON object');
  const v = unknownField(body, resource === 'users' ? USERS_BATCH_FIELDS : EVENTS_BATCH_FIELDS, '');
  if (v) return { ok: false, violation: v };
  const requests = body['requests'];
  if (!Array.isArray(requests)) return nope('requests is required and must be an array');
  // sandbox's own rule: the specs are silent (on an empty batch).
  if (requests.length === 0) return nope('requests must hold at least one item');
  if (requests.length > MAX_BATCH) return nope(`requests holds ${requests.length} items; the limit is ${MAX_BATCH} per batch`);
  const shared = body['shared'];
  if (shared === undefined) return { ok: true, requests };
  if (!isObject(shared)) return nope('shared must be an object');
  const sv = unknownField(shared, SHARED_FIELDS, 'shared: ') ??
    (shared['context'] === undefined ? undefined : checkContext(shared['context'], 'shared.context'));
  if (sv) return { ok: false, violation: sv };
  const ctx = shared['context'];
  return { ok: true, requests, shared, ...(isObject(ctx) ? { sharedContext: ctx } : {}) };
}
