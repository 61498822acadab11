// What each endpoint does once the request is routed, authorised and parsed. Synchronous on purpose:
// a request's side effects happen all at once, which keeps idempotency and fault timing simple.

import { createBatch, jobPage, jobStatus } from './batch-api';
import { createEventCall } from './events-api';
import type { Reply } from './http';
import type { Env } from './env';
import type { Call } from './types';
import { createUserCall, deleteUserCall, getUserCall, listUsersCall, updateUserCall } from './users-api';

export function dispatch(env: Env, call: Call): Reply {
  switch (call.route.name) {
    case 'createUser': return createUserCall(env, call);
    case 'getUser': return getUserCall(env, call);
    case 'listUsers': return listUsersCall(env, call);
    case 'updateUser': return updateUserCall(env, call);
    case 'deleteUser':
    case 'deleteUserByUid': return deleteUserCall(env, call);
    case 'createEvent': return createEventCall(env, call);
    case 'createBatch': return createBatch(env, call);
    case 'jobStatus': return jobStatus(env, call);
    case 'jobErrors':
    case 'jobImports': return jobPage(env, call);
  }
}
