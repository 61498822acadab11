// /v2/users endpoints (reference §2.1).

import { updateUser, upsertUser } from './apply';
import { boolParam, isReply, type Env } from './env';
import { failure, reply, type Reply } from './http';
import { pageOf, readPageToken } from './paging';
import type { UserFilter } from './store';
import type { Call, StoredUser } from './types';

function fromFailure(f: { status: number; code: string; message: string }): Reply {
  return failure(f.status, f.code, f.message);
}

/** GetUserResponse. */
function view(u: StoredUser, includeSchema: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = { id: u.id };
  if (u.uid !== undefined) out['uid'] = u.uid;
  if (u.display_name !== undefined) out['display_name'] = u.display_name;
  if (u.email !== undefined) out['email'] = u.email;
  out['is_being_deleted'] = u.is_being_deleted;
  out['properties'] = u.properties;
  if (includeSchema) out['schema'] = { properties: u.schema };
  out['app_url'] = `https://app.fullstory.com/ui/sandbox/segments/everyone/people:search:sandbox/user/${encodeURIComponent(u.id)}`;
  return out;
}

/** POST /v2/users: upsert by uid. */
export function createUserCall(env: Env, call: Call): Reply {
  const r = upsertUser(env, call.body, 0, false);
  return r.ok ? reply(200, { id: r.value.id }) : fromFailure(r.failure);
}

/** POST /v2/users/{id}. */
export function updateUserCall(env: Env, call: Call): Reply {
  const r = updateUser(env, call.route.id as string, call.body);
  return r.ok ? reply(200, { id: r.value.id }) : fromFailure(r.failure);
}

/** GET /v2/users/{id}: a user being deleted still answers, with is_being_deleted: true. */
export function getUserCall(env: Env, call: Call): Reply {
  const include = boolParam(call.query, 'include_schema');
  if (isReply(include)) return include;
  const u = env.store.users.get(call.route.id as string);
  if (!u) return failure(404, 'user_not_found', `User with ID ${JSON.stringify(call.route.id)} does not exist`);
  return reply(200, view(u, include === true));
}

/** GET /v2/users with filters and page_token (bound to the same filters). */
export function listUsersCall(env: Env, call: Call): Reply {
  const q = call.query;
  const include = boolParam(q, 'include_schema');
  if (isReply(include)) return include;
  const identified = boolParam(q, 'is_identified');
  if (isReply(identified)) return identified;
  const filter: UserFilter = {};
  for (const k of ['uid', 'email', 'display_name'] as const) {
    const v = q.get(k);
    if (v !== null) filter[k] = v;
  }
  if (identified !== undefined) filter.is_identified = identified;
  const scope = `users\n${JSON.stringify([filter.uid, filter.email, filter.display_name, filter.is_identified])}`;
  const offset = readPageToken(q.get('page_token') ?? undefined, scope);
  // sandbox's own rule: the specs are silent (they say to send the same filters, not what happens otherwise).
  if (offset === undefined) {
    return failure(400, 'invalid_argument', 'page_token is not valid for this listing (send it back unchanged, URL-encoded, with the same filters)');
  }
  const users = env.store.list(filter);
  const page = pageOf(users, offset, env.pageSize, scope);
  return reply(200, { ...page, results: page.results.map((u) => view(u, include === true)) });
}

/** DELETE /v2/users/{id} and DELETE /v2/users?uid=: exactly one of the two. */
export function deleteUserCall(env: Env, call: Call): Reply {
  const uid = call.query.get('uid');
  const id = call.route.id;
  // sandbox's own rule: the specs are silent (the SDK refuses both; what FullStory does is unknown).
  if (id !== undefined && uid !== null) return failure(400, 'invalid_argument', 'pass exactly one of id (path) or uid (query), not both');
  let user: StoredUser | undefined;
  if (id !== undefined) {
    user = env.store.users.get(id);
    if (!user) return failure(404, 'user_not_found', `User with ID ${JSON.stringify(id)} does not exist`);
  } else {
    if (uid === null || uid === '') return failure(400, 'required_field', 'uid is required (pass exactly one of id in the path or uid in the query)');
    user = env.store.findByUid(uid);
    if (!user) return failure(404, 'user_not_found', `User with uid ${JSON.stringify(uid)} does not exist`);
  }
  env.store.markDeleted(user, env.now + env.deletionMs);
  return reply(200, {});
}
