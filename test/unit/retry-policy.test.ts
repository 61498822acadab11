import assert from 'node:assert/strict';
import { backoffDelay, isRetryableStatus, nextRetryDelay, parseRetryAfter, type RetrySettings } from '../../nodes/shared/retry-policy';

const settings: RetrySettings = { maxAttempts: 5, budgetMs: 30_000, baseDelayMs: 500, maxDelayMs: 8000 };

describe('retry policy', function () {
  it('retries 408, 409, 429 and 5xx, never 400/401/403/404', function () {
    for (const s of [408, 409, 429, 500, 502, 503, 504]) assert.equal(isRetryableStatus(s), true, String(s));
    for (const s of [400, 401, 403, 404, 413, 422]) assert.equal(isRetryableStatus(s), false, String(s));
  });

  it('reads Retry-After as seconds or as an HTTP-date', function () {
    const now = Date.parse('2026-11-27T12:00:00Z');
    assert.equal(parseRetryAfter('3', now), 3000);
    assert.equal(parseRetryAfter(2, now), 2000);
    assert.equal(parseRetryAfter('0.5', now), 500);
    assert.equal(parseRetryAfter('Fri, 27 Nov 2026 12:00:07 GMT', now), 7000);
    assert.equal(parseRetryAfter('Fri, 27 Nov 2026 11:00:00 GMT', now), 0, 'a date in the past means now');
    assert.equal(parseRetryAfter('soon', now), undefined);
    assert.equal(parseRetryAfter(undefined, now), undefined);
    assert.equal(parseRetryAfter('', now), undefined);
  });

  it('backs off exponentially with jitter, capped', function () {
    assert.equal(backoffDelay(1, settings, () => 0), 250);
    assert.equal(backoffDelay(1, settings, () => 1), 500);
    assert.equal(backoffDelay(3, settings, () => 1), 2000);
    assert.equal(backoffDelay(10, settings, () => 1), 8000);
  });

  it('stops when attempts are used up or the budget would be passed', function () {
    const start = 0;
    assert.equal(nextRetryDelay(6, start, 1000, undefined, settings), undefined);
    assert.equal(nextRetryDelay(2, start, 1000, 2000, settings), 2000);
    assert.equal(nextRetryDelay(2, start, 29_000, 2000, settings), undefined, 'Retry-After beyond the budget');
  });
});
