// Validates one user or event record and applies it to the store. Single calls and batch jobs both
// come through here, so a batch record is judged exactly like the same body sent on its own.

import { isObject, schemaOf } from './properties';
import { checkEvent, checkUser } from './rules';
import type { Store } from './store';
import type { JobResource, RecordRejection, StoredEvent, StoredUser } from './types';

export interface ApplyEnv {
  store: Store;
  now: number;
  rejectRecord?: (resource: JobResource, record: unknown, index: number) => RecordRejection | undefined;
}

export interface Failure { status: number; code: string; message: string }
export type Outcome<T> = { ok: true; value: T } | { ok: false; failure: Failure };

const fail = (status: number, code: string, message: string): { ok: false; failure: Failure } =>
  ({ ok: false, failure: { status, code, message } });

function hook(env: ApplyEnv, resource: JobResource, record: unknown, index: number): Failure | undefined {
  if (!env.rejectRecord) return undefined;
  let r: RecordRejection | undefined;
  try {
    r = env.rejectRecord(resource, record, index);
  } catch (err) {
    return { status: 500, code: 'server_error', message: `rejectRecord hook threw: ${String(err)}` };
  }
  return r ? { status: 400, code: r.code, message: r.message } : undefined;
}

/** Why `uid` cannot go onto `user`, if it cannot: a uid is immutable and belongs to one user. */
function uidConflict(store: Store, user: StoredUser, uid: string): Failure | undefined {
  if (user.uid !== undefined && user.uid !== uid) {
    return { status: 400, code: 'invalid_argument', message: `uid cannot be changed once set (user ${user.id} has uid ${JSON.stringify(user.uid)})` };
  }
  const owner = store.findByUid(uid);
  // sandbox's own rule: the specs are silent (on giving a second user a uid that is taken).
  if (owner && owner !== user) {
    return { status: 400, code: 'invalid_argument', message: `uid ${JSON.stringify(uid)} already belongs to user ${owner.id}` };
  }
  return undefined;
}

function notFound(id: string): { ok: false; failure: Failure } {
  return fail(404, 'user_not_found', `User with ID ${JSON.stringify(id)} does not exist`);
}

/** POST /v2/users (upsert by uid) and users batch items (which may name the user by `id`). */
export function upsertUser(env: ApplyEnv, body: unknown, index: number, allowId: boolean): Outcome<StoredUser> {
  const checked = checkUser(body, allowId);
  if (!checked.ok) return fail(400, checked.violation.code, checked.violation.message);
  const fields = body as Record<string, unknown>;
  const rejected = hook(env, 'users', body, index);
  if (rejected) return { ok: false, failure: rejected };
  const uid = fields['uid'] as string | undefined;
  const id = fields['id'] as string | undefined;
  let user: StoredUser | undefined;
  if (id !== undefined) {
    user = env.store.alive(id);
    if (!user) return notFound(id);
    const conflict = uid === undefined ? undefined : uidConflict(env.store, user, uid);
    if (conflict) return { ok: false, failure: conflict };
  } else if (uid !== undefined) {
    user = env.store.findByUid(uid);
  }
  user ??= env.store.create();
  env.store.apply(user, changesOf(fields, schemaOf(checked.leaves, fields['schema'])));
  return { ok: true, value: user };
}

/** POST /v2/users/{id}. */
export function updateUser(env: ApplyEnv, id: string, body: unknown): Outcome<StoredUser> {
  const checked = checkUser(body, false);
  if (!checked.ok) return fail(400, checked.violation.code, checked.violation.message);
  const fields = body as Record<string, unknown>;
  const rejected = hook(env, 'users', body, 0);
  if (rejected) return { ok: false, failure: rejected };
  const user = env.store.alive(id);
  if (!user) return notFound(id);
  const uid = fields['uid'] as string | undefined;
  const conflict = uid === undefined ? undefined : uidConflict(env.store, user, uid);
  if (conflict) return { ok: false, failure: conflict };
  env.store.apply(user, changesOf(fields, schemaOf(checked.leaves, fields['schema'])));
  return { ok: true, value: user };
}

function changesOf(fields: Record<string, unknown>, schema: Record<string, string>) {
  return {
    uid: fields['uid'] as string | undefined,
    display_name: fields['display_name'] as string | undefined,
    email: fields['email'] as string | undefined,
    properties: fields['properties'] as Record<string, unknown> | undefined,
    schema,
  };
}

export interface EventOptions {
  via: 'single' | 'batch';
  jobId?: string;
  idempotencyKey?: string;
  /** A batch's shared.context: an event carrying its own context then fails. */
  sharedContext?: Record<string, unknown>;
}

/** POST /v2/events and events batch items. */
export function createEvent(env: ApplyEnv, body: unknown, index: number, opts: EventOptions): Outcome<StoredEvent> {
  const checked = checkEvent(body);
  if (!checked.ok) return fail(400, checked.violation.code, checked.violation.message);
  const fields = body as Record<string, unknown>;
  if (opts.sharedContext !== undefined && fields['context'] !== undefined) {
    return fail(400, 'invalid_argument', 'the event has its own context while the batch sets shared.context; send one or the other');
  }
  const rejected = hook(env, 'events', body, index);
  if (rejected) return { ok: false, failure: rejected };

  const ident = checked.ident;
  let user: StoredUser | undefined;
  if (ident.form === 'user') {
    if (ident.id !== undefined) {
      user = env.store.alive(ident.id);
      if (!user) return notFound(ident.id);
      const conflict = ident.uid === undefined ? undefined : uidConflict(env.store, user, ident.uid);
      if (conflict) return { ok: false, failure: conflict };
    } else if (ident.uid !== undefined) {
      user = env.store.findByUid(ident.uid);
    }
    user ??= env.store.create();
    if (ident.uid !== undefined) env.store.apply(user, { uid: ident.uid });
  } else if (ident.form === 'anonymous') {
    user = env.store.create(); // FullStory puts an unidentified event on a new anonymous user
  }

  const event: StoredEvent = {
    name: fields['name'] as string,
    timestamp: (fields['timestamp'] as string | undefined) ?? new Date(env.now).toISOString(),
    via: opts.via,
  };
  if (fields['properties'] !== undefined) event.properties = fields['properties'] as Record<string, unknown>;
  if (fields['schema'] !== undefined) event.schema = fields['schema'];
  if (isObject(fields['user'])) event.user = fields['user'] as StoredEvent['user'];
  if (user) event.userId = user.id;
  if (isObject(fields['session'])) event.session = fields['session'] as StoredEvent['session'];
  const context = fields['context'] ?? opts.sharedContext;
  if (context !== undefined) event.context = context;
  if (opts.idempotencyKey !== undefined) event.idempotencyKey = opts.idempotencyKey;
  if (opts.jobId !== undefined) event.jobId = opts.jobId;
  env.store.events.push(event);
  return { ok: true, value: event };
}
