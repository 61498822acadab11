import assert from 'node:assert/strict';
import fc from 'fast-check';
import { backoffDelay, isRetryableStatus, MAX_RETRY_AFTER_MS, nextRetryDelay, parseRetryAfter, type RetrySettings } from '../../nodes/lib/api/retry-policy';
import { numRuns } from '../support/fc-runs';

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

  it('a retry is started only with the attempt\'s least time left in the budget', function () {
    assert.equal(nextRetryDelay(2, 0, 28_000, 1000, settings, 1000), 1000);
    assert.equal(nextRetryDelay(2, 0, 28_001, 1000, settings, 1000), undefined);
  });

  it('caps Retry-After at MAX_RETRY_AFTER_MS and ignores what is not a delay', function () {
    const now = Date.parse('2026-11-27T12:00:00Z');
    assert.equal(MAX_RETRY_AFTER_MS, 5 * 60 * 1000);
    const cases: Array<[unknown, number | undefined]> = [
      ['1000000000', MAX_RETRY_AFTER_MS],
      ['9'.repeat(400), MAX_RETRY_AFTER_MS],
      [' 7 ', 7000],
      ['0', 0],
      ['1.5', 1500],
      ['300', MAX_RETRY_AFTER_MS],
      ['299.9994', MAX_RETRY_AFTER_MS - 1],
      ['Fri, 31 Dec 9999 23:59:59 GMT', MAX_RETRY_AFTER_MS],
      ['Thu, 01 Jan 1970 00:00:00 GMT', 0],
      ['Friday, 27-Nov-26 12:00:05 GMT', 5000],
      ['Fri Nov 27 12:00:04 2026', 4000],
      ['-5', undefined],
      ['+5', undefined],
      ['1e5', undefined],
      ['0x10', undefined],
      ['NaN', undefined],
      ['Infinity', undefined],
      ['2026-11-27T12:00:05Z', undefined],
      ['5 seconds', undefined],
      ['Fri, 99 Foo 2026 garbage', undefined],
      [-3, undefined],
      [Number.NaN, undefined],
      [Number.POSITIVE_INFINITY, MAX_RETRY_AFTER_MS],
      [2.5, 2500],
      [['5'], undefined],
      [null, undefined],
      [{ toString: () => '5' }, undefined],
    ];
    for (const [value, expected] of cases) assert.equal(parseRetryAfter(value, now), expected, JSON.stringify(String(value)));
  });

  it('no Retry-After value throws or asks for a wait outside 0..MAX_RETRY_AFTER_MS', function () {
    const digits = fc.string({ unit: fc.constantFrom(...'0123456789'.split('')), minLength: 1, maxLength: 400 });
    const value = fc.oneof(
      digits,
      fc.tuple(digits, digits).map(([a, b]) => `${a}.${b}`),
      digits.map((d) => `-${d}`),
      fc.date({ min: new Date(-8.64e15), max: new Date(8.64e15) }).map((d) => (Number.isNaN(d.getTime()) ? 'Invalid Date' : d.toUTCString())),
      fc.string({ maxLength: 80 }),
      fc.string({ unit: 'grapheme', maxLength: 40 }),
      fc.double(),
      fc.constantFrom(undefined, null, true, [], {}, '', ' ', 'Mon, ', 'Sun,  '),
    );
    fc.assert(
      fc.property(value, fc.integer({ min: 0, max: 4_102_444_800_000 }), (v, now) => {
        const ms = parseRetryAfter(v, now);
        if (ms === undefined) return;
        assert.ok(Number.isInteger(ms) && ms >= 0 && ms <= MAX_RETRY_AFTER_MS, `${String(v)} → ${ms}`);
      }),
      { numRuns: numRuns(500) },
    );
  });
});
