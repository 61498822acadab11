import assert from 'node:assert/strict';
import sinon from 'sinon';
import { FullStoryError } from '../../nodes/lib/api/errors';
import { followPages, MAX_EMPTY_PAGES_IN_A_ROW, maxPagesFor, MIN_EXPECTED_PAGE_SIZE, type PageBounds } from '../../nodes/lib/api/paging';

type TestPage = { results: number[]; next_page_token?: string };

const far = (): PageBounds => ({ call: 'GET /test', deadline: Date.now() + 60_000, maxPages: 1000 });

async function rejection(work: Promise<unknown>): Promise<FullStoryError> {
  try {
    await work;
  } catch (err) {
    assert.ok(err instanceof FullStoryError, String(err));
    return err;
  }
  return assert.fail('expected a rejection');
}

describe('followPages', function () {
  it('follows tokens to the end, and stops on a repeated token', async function () {
    const pages: Record<string, TestPage> = {
      '': { results: [1, 2], next_page_token: 'a' },
      a: { results: [3], next_page_token: 'b' },
      b: { results: [4], next_page_token: 'a' },
    };
    const asked: Array<string | undefined> = [];
    const out = await followPages<number>(async (token) => { asked.push(token); return pages[token ?? '']; }, far());
    assert.deepEqual(out.results, [1, 2, 3, 4]);
    assert.deepEqual(asked, [undefined, 'a', 'b']);
    assert.equal(out.truncated, false);
    assert.equal(out.pages, 3);
  });

  it('stops at the cap and says so', async function () {
    let calls = 0;
    const out = await followPages<number>(async () => { calls++; return { results: [1, 2, 3], next_page_token: `t${calls}` }; }, { ...far(), cap: 5 });
    assert.deepEqual(out.results, [1, 2, 3, 1, 2]);
    assert.equal(out.truncated, true);
    assert.equal(calls, 2);
  });

  it('exactly the cap on the last page is not truncated', async function () {
    const out = await followPages<number>(async (token) => (token ? { results: [4, 5] } : { results: [1, 2, 3], next_page_token: 'x' }), { ...far(), cap: 5 });
    assert.deepEqual(out.results, [1, 2, 3, 4, 5]);
    assert.equal(out.truncated, false);
  });

  it('an empty or null token ends the list', async function () {
    assert.deepEqual((await followPages<string>(async () => ({ results: ['x'], next_page_token: '' }), far())).results, ['x']);
    assert.deepEqual((await followPages<string>(async () => ({ results: ['y'], next_page_token: null }), far())).results, ['y']);
  });

  it(`empty pages with a fresh token: ${MAX_EMPTY_PAGES_IN_A_ROW} in a row are followed, the next one ends it with invalid_response`, async function () {
    let calls = 0;
    const error = await rejection(followPages<number>(async () => ({ results: [], next_page_token: `fresh-${++calls}` }), { ...far(), jobId: 'J1', retryable: false }));
    assert.equal(calls, MAX_EMPTY_PAGES_IN_A_ROW + 1);
    assert.deepEqual([error.code, error.jobId, error.retryable, error.i18n?.key], ['invalid_response', 'J1', false, 'config:errors.response.paging.empty']);
    assert.match(error.message, /GET \/test sent 4 pages in a row with no results but a new page token/);
  });

  it('empty pages between pages with results are progress, as long as results come', async function () {
    let calls = 0;
    // empty, empty, empty, one result, … : never more than 3 empty pages in a row.
    const out = await followPages<number>(async () => {
      calls++;
      return calls <= 12 ? { results: calls % 4 === 0 ? [calls] : [], next_page_token: `t${calls}` } : { results: [] };
    }, far());
    assert.deepEqual(out.results, [4, 8, 12]);
  });

  it('never asks for more than maxPages pages', async function () {
    let calls = 0;
    const error = await rejection(followPages<number>(async () => ({ results: [calls], next_page_token: `t${++calls}` }), { ...far(), maxPages: 7 }));
    assert.equal(calls, 7);
    assert.deepEqual([error.code, error.retryable, error.i18n?.key], ['invalid_response', true, 'config:errors.response.paging.pages']);
  });

  it('more results than maxResults is a wrong answer', async function () {
    let calls = 0;
    const error = await rejection(followPages<number>(async () => ({ results: [1, 2, 3], next_page_token: `t${++calls}` }), { ...far(), maxResults: 7 }));
    assert.equal(calls, 3);
    assert.equal(error.i18n?.key, 'config:errors.response.paging.results');
  });

  it('no page is asked for once the deadline has passed (fake timers)', async function () {
    const clock = sinon.useFakeTimers({ toFake: ['Date'] });
    try {
      let calls = 0;
      const error = await rejection(followPages<number>(async () => {
        calls++;
        clock.tick(400); // each page takes 400 ms
        return { results: [calls], next_page_token: `t${calls}` };
      }, { ...far(), deadline: Date.now() + 1000 }));
      assert.equal(calls, 3, 'pages asked at 0, 400 and 800 ms; none at 1200 ms');
      assert.equal(error.i18n?.key, 'config:errors.response.paging.deadline');
    } finally {
      clock.restore();
    }
  });

  it('the page bound follows from the results a listing can hold', function () {
    assert.equal(MIN_EXPECTED_PAGE_SIZE, 100);
    assert.equal(maxPagesFor(10_000), 100 + MAX_EMPTY_PAGES_IN_A_ROW);
    assert.equal(maxPagesFor(50_000), 500 + MAX_EMPTY_PAGES_IN_A_ROW);
  });
});
