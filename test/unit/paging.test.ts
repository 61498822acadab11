import assert from 'node:assert/strict';
import { followPages } from '../../nodes/shared/paging';

describe('followPages', function () {
  it('follows tokens to the end, and stops on a repeated token', async function () {
    const pages: Record<string, { results: number[]; next_page_token?: string }> = {
      '': { results: [1, 2], next_page_token: 'a' },
      a: { results: [3], next_page_token: 'b' },
      b: { results: [4], next_page_token: 'a' },
    };
    const asked: Array<string | undefined> = [];
    const out = await followPages(async (token) => { asked.push(token); return pages[token ?? '']; });
    assert.deepEqual(out.results, [1, 2, 3, 4]);
    assert.deepEqual(asked, [undefined, 'a', 'b']);
    assert.equal(out.truncated, false);
  });

  it('stops at the cap and says so', async function () {
    let calls = 0;
    const out = await followPages(async () => { calls++; return { results: [1, 2, 3], next_page_token: `t${calls}` }; }, 5);
    assert.deepEqual(out.results, [1, 2, 3, 1, 2]);
    assert.equal(out.truncated, true);
    assert.equal(calls, 2);
  });

  it('an empty token ends the list', async function () {
    const out = await followPages(async () => ({ results: ['x'], next_page_token: '' }));
    assert.deepEqual(out.results, ['x']);
  });
});
