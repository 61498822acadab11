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
 * The longest wait one Retry-After can impose: 5 minutes. FullStory's 429s come from per-second
 * and burst limits and from its ceiling of 200 batch jobs in progress, which frees up as jobs
 * finish; none of them needs a longer pause. A larger value (a broken server or proxy, a date far
 * ahead) is cut to this, so one answer can never stop a config node for longer: after the pause
 * the next request simply asks again, and FullStory answers with a new Retry-After if it must.
 */
export const MAX_RETRY_AFTER_MS = 5 * 60 * 1000;

/** The three HTTP-date forms (RFC 9110 §5.6.7) all start with the day of the week. */
const HTTP_DATE_RE = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun)[a-z]*,? /;

/**
 * Retry-After comes as delta-seconds or an HTTP-date (RFC 9110 §10.2.3). Returns milliseconds from
 * 0 to MAX_RETRY_AFTER_MS, or undefined when absent or unreadable (negative numbers, garbage,
 * lenient date forms): the caller then backs off as after any other failure.
 */
export function parseRetryAfter(value: unknown, now: number): number | undefined {
  let ms: number;
  if (typeof value === 'number') ms = value >= 0 ? value * 1000 : NaN;
  else if (typeof value === 'string') {
    const text = value.trim();
    if (/^\d+(\.\d+)?$/.test(text)) ms = Number(text) * 1000;
    else if (HTTP_DATE_RE.test(text)) ms = Date.parse(text) - now;
    else return undefined;
  } else return undefined;
  if (Number.isNaN(ms)) return undefined;
  return Math.round(Math.min(MAX_RETRY_AFTER_MS, Math.max(0, ms)));
}

/** Exponential backoff with full jitter (AWS architecture blog): spreads retries of many callers. */
export function backoffDelay(attempt: number, settings: RetrySettings, random: () => number = Math.random): number {
  const ceiling = Math.min(settings.maxDelayMs, settings.baseDelayMs * 2 ** (attempt - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/**
 * The wait before attempt `nextAttempt`, or undefined when the policy says stop: attempts used up,
 * or the retry could not have `minAttemptMs` (its deadline) before the budget ends: a flow should
 * hear about an outage on time, and a retry with almost no time left could only time out.
 */
export function nextRetryDelay(
  nextAttempt: number,
  startedAt: number,
  now: number,
  retryAfterMs: number | undefined,
  settings: RetrySettings,
  minAttemptMs = 0,
): number | undefined {
  if (nextAttempt > settings.maxAttempts) return undefined;
  const delay = retryAfterMs ?? backoffDelay(nextAttempt - 1, settings);
  if (now + delay + minAttemptMs - startedAt > settings.budgetMs) return undefined;
  return delay;
}
