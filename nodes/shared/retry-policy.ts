// When to retry a FullStory request and how long to wait: one policy for every call we make.

export interface RetrySettings {
  /** Attempts per request, the first one included. */
  maxAttempts: number;
  /** Milliseconds after the first attempt past which no retry is started. */
  budgetMs: number;
  /** First backoff step; doubles each attempt (full jitter). */
  baseDelayMs: number;
  /** Largest single backoff wait. */
  maxDelayMs: number;
}

/**
 * 408 and 409 (an idempotent request of ours still in progress at FullStory), 429 and 5xx are
 * worth another try. 400/401/403/404 never are: the same request would fail the same way.
 */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 409 || status === 429 || status >= 500;
}

/**
 * Retry-After comes as delta-seconds or an HTTP-date (RFC 9110 §10.2.3). Returns milliseconds,
 * or undefined when absent or unreadable.
 */
export function parseRetryAfter(value: unknown, now: number): number | undefined {
  if (typeof value !== 'string' && typeof value !== 'number') return undefined;
  const text = String(value).trim();
  if (text === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

/** Exponential backoff with full jitter (AWS architecture blog): spreads retries of many callers. */
export function backoffDelay(attempt: number, settings: RetrySettings, random: () => number = Math.random): number {
  const ceiling = Math.min(settings.maxDelayMs, settings.baseDelayMs * 2 ** (attempt - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/**
 * The wait before attempt `nextAttempt`, or undefined when the policy says stop: attempts used up,
 * or the wait would end past the budget (a flow should hear about an outage quickly).
 */
export function nextRetryDelay(
  nextAttempt: number,
  startedAt: number,
  now: number,
  retryAfterMs: number | undefined,
  settings: RetrySettings,
): number | undefined {
  if (nextAttempt > settings.maxAttempts) return undefined;
  const delay = retryAfterMs ?? backoffDelay(nextAttempt - 1, settings);
  if (now + delay - startedAt > settings.budgetMs) return undefined;
  return delay;
}
