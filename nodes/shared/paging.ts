// Following FullStory's `next_page_token` to the end: one loop for user lists and job results.

import type { Page } from './api-types';

export interface PagedResult<T> {
  results: T[];
  /** The last page as FullStory sent it (its other fields, e.g. total_records). */
  lastPage: Page<T>;
  /** The cap was reached before the last page. */
  truncated: boolean;
}

/**
 * Calls `fetchPage` with each page token in turn (none for the first page) and gathers the
 * results. Stops on a missing, empty or repeated token (FullStory's SDK does the same: no endless
 * loop on a server that repeats itself), or once `cap` results are gathered.
 */
export async function followPages<T>(
  fetchPage: (pageToken: string | undefined) => Promise<Page<T>>,
  cap = Infinity,
): Promise<PagedResult<T>> {
  const results: T[] = [];
  const seen = new Set<string>();
  let pageToken: string | undefined;
  for (;;) {
    const page = await fetchPage(pageToken);
    for (const item of page.results) results.push(item);
    if (results.length >= cap) return { results: results.slice(0, cap), lastPage: page, truncated: true };
    const next = page.next_page_token;
    if (!next || seen.has(next)) return { results, lastPage: page, truncated: false };
    seen.add(next);
    pageToken = next;
  }
}
