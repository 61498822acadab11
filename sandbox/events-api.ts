// POST /v2/events (reference §2.2): one event per call; the 200 body is {}.

import { createEvent } from './apply';
import type { Env } from './env';
import { failure, reply, type Reply } from './http';
import type { Call } from './types';

export function createEventCall(env: Env, call: Call): Reply {
  const opts = call.idempotencyKey !== undefined ? { via: 'single' as const, idempotencyKey: call.idempotencyKey } : { via: 'single' as const };
  const r = createEvent(env, call.body, 0, opts);
  return r.ok ? reply(200, {}) : failure(r.failure.status, r.failure.code, r.failure.message);
}
