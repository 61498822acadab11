// What the sandbox holds, for people trying their own flows: GET /sandbox/state (JSON) and
// GET /sandbox/ (a small HTML page), both read-only. They live outside /v2 so nobody takes them for
// FullStory's API. The server listens on 127.0.0.1 only; on top of that these views answer only a
// loopback Host header, so a web page cannot read them through DNS rebinding.

import type { IncomingMessage } from 'node:http';
import type { FaultSummary, SandboxCounters, SandboxJob, StoredEvent, StoredUser } from './types';

export const INSPECT_ROOT = '/sandbox';
const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 1000;
const MAX_CELL_CHARS = 300;

/** What the views read: the sandbox's state at the time of the request. */
export interface InspectSource {
  readonly users: Map<string, StoredUser>;
  readonly events: StoredEvent[];
  readonly jobs: Map<string, SandboxJob>;
  readonly counters: SandboxCounters;
  faultSummary(): FaultSummary[];
}

/** A page of the newest items, newest first. */
export interface Listing<T> {
  total: number;
  items: T[];
}

export interface SandboxState {
  users: Listing<UserView>;
  events: Listing<StoredEvent>;
  jobs: Listing<SandboxJob>;
  counters: SandboxCounters;
  faults: FaultSummary[];
  /** The filters and limit this answer used. */
  query: { limit: number; uid?: string };
}

type UserView = Omit<StoredUser, 'schema'>;

export interface InspectReply {
  status: number;
  text: string;
  headers: Record<string, string>;
}

export function isInspectPath(pathname: string): boolean {
  return pathname === INSPECT_ROOT || pathname.startsWith(`${INSPECT_ROOT}/`);
}

const COMMON_HEADERS = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
};

function json(status: number, body: unknown): InspectReply {
  return { status, text: JSON.stringify(body, null, 2), headers: { ...COMMON_HEADERS, 'content-type': 'application/json' } };
}

/** A loopback name, or no Host at all (HTTP/1.0 clients); anything else may be a rebound DNS name. */
function loopbackHost(host: string | undefined): boolean {
  if (host === undefined) return true;
  const name = host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.replace(/:\d*$/, '');
  return ['127.0.0.1', 'localhost', '[::1]'].includes(name.toLowerCase());
}

export function inspect(req: IncomingMessage, url: URL, source: InspectSource): InspectReply {
  const method = (req.method ?? 'GET').toUpperCase();
  if (!loopbackHost(req.headers.host)) {
    return json(403, { code: 'forbidden', message: 'the sandbox views answer only loopback hosts (127.0.0.1, localhost)' });
  }
  if (method !== 'GET' && method !== 'HEAD') {
    return { ...json(405, { code: 'method_not_allowed', message: 'the sandbox views are read-only: use GET' }), headers: { ...COMMON_HEADERS, 'content-type': 'application/json', allow: 'GET, HEAD' } };
  }
  const query = readQuery(url.searchParams);
  if (typeof query === 'string') return json(400, { code: 'invalid_argument', message: query });
  const path = url.pathname;
  if (path === `${INSPECT_ROOT}/state`) return json(200, snapshot(source, query));
  if (path === INSPECT_ROOT || path === `${INSPECT_ROOT}/`) {
    return {
      status: 200,
      text: page(snapshot(source, query), url.searchParams.get('refresh')),
      headers: {
        ...COMMON_HEADERS,
        'content-type': 'text/html; charset=utf-8',
        'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'",
      },
    };
  }
  return json(404, { code: 'not_found', message: `no sandbox view at ${path}; try ${INSPECT_ROOT}/ or ${INSPECT_ROOT}/state` });
}

function readQuery(params: URLSearchParams): SandboxState['query'] | string {
  const raw = params.get('limit');
  const limit = raw === null ? DEFAULT_LIMIT : Number(raw);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) return `limit must be an integer from 1 to ${MAX_LIMIT}`;
  const uid = params.get('uid');
  return uid === null || uid === '' ? { limit } : { limit, uid };
}

/** The newest `limit` items that `keep` accepts, newest first, and how many it accepts in all. */
function newest<T>(items: Iterable<T>, limit: number, keep: (item: T) => boolean): Listing<T> {
  const all = Array.isArray(items) ? (items as T[]) : [...items];
  const out: T[] = [];
  let total = 0;
  for (let i = all.length - 1; i >= 0; i--) {
    const item = all[i] as T;
    if (!keep(item)) continue;
    total++;
    if (out.length < limit) out.push(item);
  }
  return { total, items: out };
}

export function snapshot(source: InspectSource, query: SandboxState['query']): SandboxState {
  const { limit, uid } = query;
  const users = source.users;
  const eventUid = (e: StoredEvent): string | undefined => e.user?.uid ?? (e.userId === undefined ? undefined : users.get(e.userId)?.uid);
  const userList = newest(users.values(), limit, (u) => uid === undefined || u.uid === uid);
  const events = newest(source.events, limit, (e) => uid === undefined || eventUid(e) === uid);
  const jobs = newest(source.jobs.values(), limit, () => true);
  return {
    users: { total: userList.total, items: userList.items.map(({ schema: _schema, ...rest }) => rest) },
    events,
    jobs,
    counters: source.counters,
    faults: source.faultSummary(),
    query,
  };
}

// ---- the HTML page -----------------------------------------------------------------------------

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function cell(value: unknown): string {
  if (value === undefined || value === null) return '<td></td>';
  let text = typeof value === 'string' ? value : JSON.stringify(value);
  if (text.length > MAX_CELL_CHARS) text = `${text.slice(0, MAX_CELL_CHARS)}…`;
  return `<td>${escapeHtml(text)}</td>`;
}

function table<T>(title: string, listing: Listing<T>, columns: Array<[string, (item: T) => unknown]>): string {
  const shown = listing.items.length < listing.total ? ` (newest ${listing.items.length} of ${listing.total})` : ` (${listing.total})`;
  const head = columns.map(([name]) => `<th>${escapeHtml(name)}</th>`).join('');
  const rows = listing.items.map((item) => `<tr>${columns.map(([, get]) => cell(get(item))).join('')}</tr>`).join('\n');
  return `<h2>${escapeHtml(title)}${escapeHtml(shown)}</h2>\n<table><thead><tr>${head}</tr></thead><tbody>\n${rows}\n</tbody></table>`;
}

function page(state: SandboxState, refresh: string | null): string {
  const seconds = refresh !== null && /^\d{1,3}$/.test(refresh) && Number(refresh) > 0 ? Number(refresh) : undefined;
  const filter = state.query.uid === undefined ? '' : ` for uid ${escapeHtml(JSON.stringify(state.query.uid))}`;
  const faults = state.faults.length === 0
    ? 'none'
    : state.faults.map((f) => escapeHtml(`${JSON.stringify(f.fault)} p=${f.probability}${f.remaining === null ? '' : `, ${f.remaining} left`}${f.match ? ` on ${JSON.stringify(f.match)}` : ''}`)).join('<br>');
  const c = state.counters;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">${seconds ? `<meta http-equiv="refresh" content="${seconds}">` : ''}
<title>FullStory sandbox</title>
<style>
body { font: 14px system-ui, sans-serif; margin: 1.5em; }
table { border-collapse: collapse; margin-bottom: 1.5em; }
th, td { border: 1px solid #ccc; padding: 2px 6px; text-align: left; vertical-align: top; font-family: ui-monospace, monospace; font-size: 12px; }
th { background: #f3f3f3; }
</style></head><body>
<h1>FullStory sandbox${filter}</h1>
<p>Not FullStory: a local stand-in. Read-only; the same data as JSON at <a href="${INSPECT_ROOT}/state">${INSPECT_ROOT}/state</a>.
Filter with <code>?uid=…</code>, show more with <code>?limit=…</code> (up to ${MAX_LIMIT}), <a href="?refresh=5">refresh every 5 s</a>.</p>
<p>Requests: ${c.requests}; records imported by jobs: ${c.recordsImported}; idempotent replays: ${c.idempotentReplays}.<br>Faults armed: ${faults}</p>
${table('Users', state.users, [['id', (u) => u.id], ['uid', (u) => u.uid], ['display_name', (u) => u.display_name], ['email', (u) => u.email], ['properties', (u) => u.properties], ['being deleted', (u) => (u.is_being_deleted ? 'yes' : '')]])}
${table('Events', state.events, [['name', (e) => e.name], ['timestamp', (e) => e.timestamp], ['user', (e) => e.user], ['user id', (e) => e.userId], ['session', (e) => e.session], ['properties', (e) => e.properties], ['via', (e) => (e.jobId ? `batch ${e.jobId}` : e.via)]])}
${table('Batch import jobs', state.jobs, [['id', (j) => j.id], ['resource', (j) => j.resource], ['status', (j) => j.status], ['created', (j) => j.created], ['finished', (j) => j.finished], ['records', (j) => j.requestCount], ['imported', (j) => j.importsCount], ['failed', (j) => j.errorsCount]])}
</body></html>
`;
}
