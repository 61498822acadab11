// Following FullStory's `next_page_token`: one loop for user lists and job results, bounded so it
// ends, and ends soon, whatever the server sends: by a deadline, by a page count FullStory's
// limits justify, by the results the listing can hold, and by progress.

import type { Page } from './types';
import { FullStoryError } from './errors';
import { catalogText, type FixedText } from './texts';
import type { FullStoryClient } from './client';
import { callApi, type CallOptions, type PagedCall } from './endpoints';

/**
 * FullStory does not publish its page size. The sandbox, modelled on FullStory, sends 1000
 * results a page; we expect at least a tenth of that, which leaves ten times headroom.
 */
export const MIN_EXPECTED_PAGE_SIZE = 100;
/** Pages in a row with no results but a new token that are still followed; the next one ends the loop. */
export const MAX_EMPTY_PAGES_IN_A_ROW = 3;

/** The most pages a listing of at most `maxResults` results justifies. */
export function maxPagesFor(maxResults: number): number {
  return Math.ceil(maxResults / MIN_EXPECTED_PAGE_SIZE) + MAX_EMPTY_PAGES_IN_A_ROW;
}

export interface PageBounds {
  /** What is paged (`GET /v2/users`), and the job it belongs to: for the error. */
  call: string;
  jobId?: string;
  /** No page is asked for at or after this time (ms since the epoch). */
  deadline: number;
  maxPages: number;
  /** Gather at most this many results, then stop and say so (`truncated`): a list's cap. */
  cap?: number;
  /** More results than this is a wrong answer (a job cannot list more results than it had records). */
  maxResults?: number;
  /** Whether asking again is safe, for the error when a bound is hit (default true: pages are reads). */
  retryable?: boolean;
}

export interface PagedResult<T, P extends Page<T> = Page<T>> {
  results: T[];
  /** The last page as FullStory sent it (its other fields, e.g. total_records). */
  lastPage: P;
  /** The cap was reached while FullStory had more. */
  truncated: boolean;
  pages: number;
}

type Bound = 'deadline' | 'pages' | 'results' | 'empty';

/**
 * Calls `fetchPage` with each page token in turn (none for the first page) and gathers the
 * results. Ends on a missing, empty or repeated token (FullStory's SDK does the same: no endless
 * loop on a server that repeats itself), or at the cap. Throws `invalid_response` when a bound is
 * hit: the deadline passes, more pages than `maxPages`, more results than `maxResults`, or more
 * than MAX_EMPTY_PAGES_IN_A_ROW empty pages in a row that each name a new page.
 */
export async function followPages<T, P extends Page<T> = Page<T>>(
  fetchPage: (pageToken: string | undefined) => Promise<P>,
  bounds: PageBounds,
): Promise<PagedResult<T, P>> {
  const results: T[] = [];
  const seen = new Set<string>();
  let pageToken: string | undefined;
  let pages = 0;
  let emptyInARow = 0;
  for (;;) {
    if (Date.now() >= bounds.deadline) throw boundReached(bounds, 'deadline', pages);
    if (pages >= bounds.maxPages) throw boundReached(bounds, 'pages', pages);
    const page = await fetchPage(pageToken);
    pages++;
    for (const item of page.results) results.push(item);
    if (bounds.maxResults !== undefined && results.length > bounds.maxResults) throw boundReached(bounds, 'results', pages);
    const next = page.next_page_token;
    const more = typeof next === 'string' && next !== '' && !seen.has(next);
    const cap = bounds.cap ?? Infinity;
    if (results.length > cap || (results.length === cap && more)) {
      return { results: results.slice(0, cap), lastPage: page, truncated: true, pages };
    }
    if (!more) return { results, lastPage: page, truncated: false, pages };
    emptyInARow = page.results.length === 0 ? emptyInARow + 1 : 0;
    if (emptyInARow > MAX_EMPTY_PAGES_IN_A_ROW) throw boundReached(bounds, 'empty', pages);
    seen.add(next);
    pageToken = next;
  }
}

/**
 * GET list endpoints: gathers every page's `results`, capped so a flow never pulls an unbounded
 * user list into memory, and bounded like every page loop (followPages): all pages share the
 * config's retry budget, and at most maxPagesFor(cap) pages are asked for.
 */
export async function collectAllPages(
  client: FullStoryClient,
  first: PagedCall<Page<unknown>>,
  options: CallOptions,
  cap: number,
): Promise<{ status: number; attempts: number; data: unknown; truncated: boolean }> {
  let attempts = 0;
  let status = 200;
  const deadline = Date.now() + client.retryBudgetMs;
  const fetchPage = async (pageToken: string | undefined): Promise<Page<unknown>> => {
    try {
      const response = await callApi(client, pageToken === undefined ? first : first.page(pageToken), { ...options, deadline });
      attempts += response.attempts;
      status = response.status;
      return response.data;
    } catch (err) {
      if (err instanceof FullStoryError) attempts += err.attempts;
      throw err;
    }
  };
  try {
    const paged = await followPages<unknown>(fetchPage, { call: first.name, deadline, maxPages: maxPagesFor(cap), cap });
    const data = { ...paged.lastPage, results: paged.results, next_page_token: undefined };
    return { status, attempts, data, truncated: paged.truncated };
  } catch (err) {
    // A failure reports the attempts of every page, not only those of its own request.
    if (err instanceof FullStoryError) err.attempts = attempts;
    throw err;
  }
}

function boundReached(bounds: PageBounds, bound: Bound, pages: number): FullStoryError {
  const call = bounds.call;
  let text: FixedText;
  switch (bound) {
    case 'deadline':
      text = catalogText('config:errors.response.paging.deadline', { call, pages });
      break;
    case 'pages':
      text = catalogText('config:errors.response.paging.pages', { call, pages: bounds.maxPages, perPage: MIN_EXPECTED_PAGE_SIZE });
      break;
    case 'results':
      text = catalogText('config:errors.response.paging.results', { call, max: bounds.maxResults ?? 0 });
      break;
    case 'empty':
      text = catalogText('config:errors.response.paging.empty', { call, pages: MAX_EMPTY_PAGES_IN_A_ROW + 1 });
      break;
  }
  return new FullStoryError(text, {
    code: 'invalid_response',
    status: 200,
    retryable: bounds.retryable ?? true,
    // At least one request a page; the caller, which counts retries too, may correct it.
    attempts: pages,
    jobId: bounds.jobId,
  });
}
