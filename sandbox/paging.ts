// Opaque page tokens (standard base64, so a client must URL-encode them) bound to what they page:
// a token from another job, another resource or another filter set is refused with 400.

export function pageToken(scope: string, offset: number): string {
  return Buffer.from(`${offset}\n${scope}`, 'utf8').toString('base64');
}

/** The offset a token stands for; 0 when absent; undefined when the token is not ours for this scope. */
export function readPageToken(token: string | undefined, scope: string): number | undefined {
  if (token === undefined) return 0;
  const text = Buffer.from(token, 'base64').toString('utf8');
  const nl = text.indexOf('\n');
  const offset = Number(text.slice(0, nl));
  if (nl < 1 || !Number.isSafeInteger(offset) || offset <= 0) return undefined;
  // Re-encode to reject mangled tokens (e.g. a '+' that became a space because it was not encoded).
  return pageToken(scope, offset) === token ? offset : undefined;
}

export interface PageOf<T> {
  results: T[];
  total_records: string;
  next_page_token?: string;
}

/** One page; total_records is a string, as FullStory encodes 64-bit counts. */
export function pageOf<T>(items: readonly T[], offset: number, size: number, scope: string): PageOf<T> {
  const end = offset + size;
  const out: PageOf<T> = { results: items.slice(offset, end), total_records: String(items.length) };
  if (end < items.length) out.next_page_token = pageToken(scope, end);
  return out;
}
