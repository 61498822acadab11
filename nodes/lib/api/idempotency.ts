// Idempotency keys for single requests: one key per logical operation, stable across the client's
// own retries and across a flow's retry of the same msg (output 2 wired back to the input).

import { createHash, randomUUID } from 'node:crypto';

/** A short digest of what is sent: method, path and body. Same digest = same request. */
export function requestDigest(method: string, path: string, body: string | undefined): string {
  return createHash('sha256').update(method).update('\n').update(path).update('\n').update(body ?? '').digest('base64url');
}

/** What a header value may safely be: 1–255 visible ASCII characters (the msg may have been edited). */
const REUSABLE_KEY_RE = /^[\x21-\x7e]{1,255}$/;

interface PreviousAttempt {
  idempotencyKey?: unknown;
  requestDigest?: unknown;
}

/**
 * Reuses the key a msg already carries when it comes back with the same request: FullStory then
 * replays its stored answer instead of applying the request twice (a timeout or a dropped
 * connection leaves us not knowing whether it was applied). A changed body gets a new key, since
 * FullStory rejects a known key with a different body.
 */
export function idempotencyKeyFor(previous: unknown, digest: string): string {
  const prev = previous as PreviousAttempt | undefined;
  if (prev && typeof prev.idempotencyKey === 'string' && prev.requestDigest === digest && REUSABLE_KEY_RE.test(prev.idempotencyKey)) {
    return prev.idempotencyKey;
  }
  return randomUUID();
}
