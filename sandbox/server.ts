// The HTTP server and the request pipeline:
//   read body → fault → route → auth → JSON checks → idempotency → (delay) → handler → (post fault) → send.

import http from 'node:http';
import type { Socket } from 'node:net';
import type { Env } from './env';
import { codeForStatus, Faults } from './faults';
import { dispatch } from './handlers';
import { failure, isJsonContentType, parseJson, readBody, sendText, type Reply } from './http';
import { bodyHash, IdempotencyBook } from './idempotency';
import { inspect, isInspectPath } from './inspect';
import { Jobs } from './jobs';
import { isObject } from './properties';
import { matchRoute, type Match } from './router';
import { Store } from './store';
import type {
  Fault, FaultAction, FaultSummary, JobResource, RecordedRequest, RecordRejection, Sandbox, SandboxCounters, SandboxJob,
  SandboxOptions, StoredEvent, StoredUser,
} from './types';

/** A reply ready for the wire (idempotent replays are stored in this form). */
interface Wire {
  status: number;
  text: string;
  headers?: Record<string, string>;
}

type Outcome = { kind: 'send'; wire: Wire } | { kind: 'drop' };

const MALFORMED_BODY = '{"id":"1'; // a success body cut short, as a broken proxy would deliver it

function toWire(r: Reply): Wire {
  const text = JSON.stringify(r.body);
  return r.headers ? { status: r.status, text, headers: r.headers } : { status: r.status, text };
}

interface Settings {
  admin: Set<string>;
  standard: Set<string>;
  jobProcessingMs: number;
  pageSize: number;
  recordRequests: boolean;
  maxBodyBytes: number;
  onRequest?: (entry: RecordedRequest) => void;
}

function settingsOf(o: SandboxOptions): Settings {
  const s: Settings = {
    admin: new Set(o.adminKeys ?? ['na1.admin-key']),
    standard: new Set(o.standardKeys ?? ['na1.standard-key']),
    jobProcessingMs: o.jobProcessingMs ?? 30,
    pageSize: o.pageSize ?? 1000,
    recordRequests: o.recordRequests ?? true,
    maxBodyBytes: o.maxBodyBytes ?? 64 * 1024 * 1024,
  };
  if (!(s.pageSize >= 1)) throw new RangeError('pageSize must be ≥ 1');
  if (!(s.jobProcessingMs >= 0)) throw new RangeError('jobProcessingMs must be ≥ 0');
  if (o.onRequest) s.onRequest = o.onRequest;
  return s;
}

class SandboxServer implements Sandbox {
  url = '';
  port = 0;
  readonly requests: RecordedRequest[] = [];
  rejectRecord?: (resource: JobResource, record: unknown, index: number) => RecordRejection | undefined;
  stuckJobs = false;
  processingResponsesFor202 = 0;
  readonly counters: SandboxCounters = { requests: 0, byRoute: {}, recordsImported: 0, idempotentReplays: 0 };

  private readonly store = new Store();
  private readonly jobBook: Jobs;
  private readonly idem = new IdempotencyBook();
  private readonly faults: Faults;
  private readonly settings: Settings;
  readonly server: http.Server;
  private readonly sockets = new Set<Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private closing: Promise<void> | undefined;
  // Bumped by reset(): a request that began before it must not leak into the new state or log.
  private generation = 0;

  constructor(options: SandboxOptions) {
    this.settings = settingsOf(options);
    this.jobBook = new Jobs(this.settings.jobProcessingMs);
    this.faults = new Faults(options.seed ?? 1);
    this.server = http.createServer((req, res) => {
      this.handle(req, res).catch(() => res.destroy());
    });
    // Long keep-alive like a real edge, so clients do not race an idle-socket close mid-benchmark.
    this.server.keepAliveTimeout = 60_000;
    this.server.headersTimeout = 65_000;
    this.server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  // State getters settle due jobs and deletions first, so a test reading them sees the present.
  get users(): Map<string, StoredUser> {
    this.settle(Date.now());
    return this.store.users;
  }

  get events(): StoredEvent[] {
    this.settle(Date.now());
    return this.store.events;
  }

  get jobs(): Map<string, SandboxJob> {
    this.settle(Date.now());
    return this.jobBook.jobs;
  }

  inject(fault: Fault): void {
    this.faults.add(fault);
  }

  clearFaults(): void {
    this.faults.clear();
  }

  faultSummary(): FaultSummary[] {
    return this.faults.summary();
  }

  reset(): void {
    this.generation++;
    this.store.clear();
    this.jobBook.clear();
    this.idem.clear();
    this.faults.reset();
    this.requests.length = 0;
    delete this.rejectRecord;
    this.stuckJobs = false;
    this.processingResponsesFor202 = 0;
    const c = this.counters;
    c.requests = 0;
    c.recordsImported = 0;
    c.idempotentReplays = 0;
    for (const k of Object.keys(c.byRoute)) delete c.byRoute[k];
  }

  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      for (const t of this.timers) clearTimeout(t);
      this.timers.clear();
      this.server.close(() => resolve());
      this.server.closeAllConnections();
      for (const s of this.sockets) s.destroy();
    });
    return this.closing;
  }

  listen(port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => {
        this.server.off('error', reject);
        const addr = this.server.address();
        this.port = typeof addr === 'object' && addr ? addr.port : port;
        this.url = `http://127.0.0.1:${this.port}`;
        resolve();
      });
    });
  }

  private env(now: number): Env {
    const env: Env = {
      store: this.store,
      jobs: this.jobBook,
      now,
      pageSize: this.settings.pageSize,
      stuckJobs: this.stuckJobs,
      deletionMs: this.settings.jobProcessingMs,
    };
    if (this.rejectRecord) env.rejectRecord = this.rejectRecord;
    return env;
  }

  private settle(now: number): void {
    this.store.settle(now);
    this.counters.recordsImported += this.jobBook.settle(this.env(now), this.processingResponsesFor202);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.timers.delete(t);
        resolve();
      }, ms);
      this.timers.add(t);
    });
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const generation = this.generation;
    const method = (req.method ?? 'GET').toUpperCase();
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://127.0.0.1');
    } catch {
      url = new URL('http://127.0.0.1/');
    }
    // The read-only views for people: no faults, not counted, not recorded.
    if (isInspectPath(url.pathname)) {
      req.resume();
      const view = inspect(req, url, this);
      sendText(res, view.status, view.text, view.headers);
      return;
    }
    this.counters.requests++;
    const match = matchRoute(method, url.pathname);
    const label = match.kind === 'route' ? match.route.label : match.kind;
    this.counters.byRoute[label] = (this.counters.byRoute[label] ?? 0) + 1;

    const body = await readBody(req, this.settings.maxBodyBytes);
    let parsed: unknown;
    let outcome: Outcome;
    if (!body.ok && body.reason === 'aborted') {
      outcome = { kind: 'drop' };
    } else if (!body.ok) {
      // sandbox's own rule: the specs are silent (FullStory publishes no size limit for these endpoints).
      outcome = { kind: 'send', wire: toWire(failure(413, 'payload_too_large', `the body is ${body.bytes} bytes; the limit is ${this.settings.maxBodyBytes}`)) };
    } else {
      try {
        const r = await this.run(req, method, url, match, body.raw, generation);
        outcome = r.outcome;
        parsed = r.parsed;
      } catch (err) {
        outcome = { kind: 'send', wire: toWire(failure(500, 'server_error', `sandbox failure: ${String(err)}`)) };
      }
    }

    if (outcome.kind === 'drop') req.socket.destroy();
    else sendText(res, outcome.wire.status, outcome.wire.text, outcome.wire.headers);
    if (generation !== this.generation) return;
    this.record(req, method, url, body.ok ? body.raw : undefined, parsed, outcome.kind === 'drop' ? 0 : outcome.wire.status);
  }

  /** Faults first (they stand for the network and the edge), then the API itself. */
  private async run(req: http.IncomingMessage, method: string, url: URL, match: Match, raw: Buffer, generation: number): Promise<{ outcome: Outcome; parsed?: unknown }> {
    const fault = this.faults.take(method, url.pathname);
    if (fault) {
      const early = faultReply(fault);
      if (early) return { outcome: early };
    }
    const delayBefore = fault?.type === 'delay' ? fault.ms : 0;
    const { wire, parsed } = await this.api(req, method, url, match, raw, delayBefore, generation);
    if (!wire) return { outcome: { kind: 'drop' }, parsed };
    if (fault?.type === 'dropAfterProcessing') return { outcome: { kind: 'drop' }, parsed };
    if (fault?.type === 'delayAfterProcessing') await this.sleep(fault.ms);
    return { outcome: { kind: 'send', wire }, parsed };
  }

  /** The API proper; no wire means hang up (the sandbox was reset while this request waited). */
  private async api(req: http.IncomingMessage, method: string, url: URL, match: Match, raw: Buffer, delayBefore: number, generation: number): Promise<{ wire?: Wire; parsed?: unknown }> {
    // A 'delay' fault holds every answer, early errors included.
    const early = async (r: Reply, parsed?: unknown) => {
      if (delayBefore > 0) await this.sleep(delayBefore);
      return { wire: toWire(r), parsed };
    };
    if (match.kind === 'not_found') return early(failure(404, 'not_found', `no such endpoint: ${method} ${url.pathname}`));
    if (match.kind === 'method_not_allowed') {
      return early(failure(405, 'method_not_allowed', `${method} is not allowed on ${url.pathname}`, { allow: match.allow.join(', ') }));
    }
    const route = match.route;

    const auth = req.headers.authorization;
    const key = auth?.startsWith('Basic ') ? auth.slice(6) : undefined;
    const admin = key !== undefined && this.settings.admin.has(key);
    if (!admin && !(key !== undefined && this.settings.standard.has(key))) {
      return early(failure(401, 'unauthorized', auth ? 'the API key is not valid (send "Authorization: Basic <key>" with the raw key)' : 'missing Authorization header'));
    }
    if (route.adminOnly && !admin) return early(failure(403, 'forbidden', 'this API key may not read or delete user data; an Admin or Architect key is required'));

    let body: unknown;
    if (method === 'POST') {
      // No Content-Type is read as JSON, as FullStory does: its official Node SDK sends none.
      const type = req.headers['content-type'];
      if (type !== undefined && !isJsonContentType(type)) {
        // sandbox's own rule: the specs are silent (they declare application/json; what FullStory does with another type is unknown).
        return early(failure(400, 'invalid_argument', `Content-Type must be application/json when it is sent (got ${JSON.stringify(type)})`));
      }
      const p = parseJson(raw);
      if (!p.ok) return early(failure(400, 'invalid_argument', p.message));
      body = p.value;
      if (!isObject(body)) return early(failure(400, 'invalid_argument', 'the body must be a JSON object'), body);
    }

    // Idempotency: replay, refuse a reused key, or refuse a concurrent duplicate.
    const idemHeader = req.headers['idempotency-key'];
    const idemKey = route.idempotent && typeof idemHeader === 'string' && idemHeader !== '' ? idemHeader : undefined;
    let slot: string | undefined;
    let hash = '';
    if (idemKey !== undefined) {
      slot = IdempotencyBook.slot(route.label, idemKey);
      hash = bodyHash(raw);
      const seen = this.idem.lookup(slot, Date.now());
      if (seen.state === 'in_flight') {
        return early(failure(409, 'conflict', 'a request with this Idempotency-Key is still being processed; retry later'), body);
      }
      if (seen.state === 'done') {
        if (seen.result.hash !== hash) {
          return early(failure(400, 'idempotency_key_reused', 'this Idempotency-Key was already used with a different request body'), body);
        }
        this.counters.idempotentReplays++;
        if (delayBefore > 0) await this.sleep(delayBefore);
        return { wire: { status: seen.result.status, text: seen.result.body }, parsed: body };
      }
      this.idem.begin(slot);
    }

    let wire: Wire | undefined;
    try {
      if (delayBefore > 0) await this.sleep(delayBefore);
      if (generation !== this.generation) return { parsed: body };
      const now = Date.now();
      this.settle(now);
      const call = idemKey !== undefined ? { route, query: url.searchParams, body, idempotencyKey: idemKey } : { route, query: url.searchParams, body };
      wire = toWire(dispatch(this.env(now), call));
      return { wire, parsed: body };
    } finally {
      if (slot !== undefined) this.idem.finish(slot, wire && { hash, status: wire.status, body: wire.text, at: Date.now() });
    }
  }

  private record(req: http.IncomingMessage, method: string, url: URL, raw: Buffer | undefined, parsed: unknown, status: number): void {
    const { recordRequests, onRequest } = this.settings;
    if (!recordRequests && !onRequest) return;
    let body = parsed;
    if (body === undefined && raw && raw.length > 0) {
      const text = raw.toString('utf8');
      try {
        body = JSON.parse(text);
      } catch {
        body = text;
      }
    }
    const entry: RecordedRequest = {
      method,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: req.headers,
      body,
      status,
    };
    if (recordRequests) this.requests.push(entry);
    onRequest?.(entry);
  }
}

/** The faults that answer (or hang up) without the API ever seeing the request. */
function faultReply(f: FaultAction): Outcome | undefined {
  switch (f.type) {
    case 'drop':
      return { kind: 'drop' };
    case 'status': {
      const headers: Record<string, string> = {};
      if (f.retryAfter !== undefined) headers['retry-after'] = String(f.retryAfter);
      const body = { code: f.code ?? codeForStatus(f.status), message: f.message ?? `injected ${f.status}` };
      return { kind: 'send', wire: { status: f.status, text: JSON.stringify(body), headers } };
    }
    case 'malformed':
      return { kind: 'send', wire: { status: f.status ?? 200, text: MALFORMED_BODY } };
    default:
      return undefined;
  }
}

export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const sandbox = new SandboxServer(options);
  await sandbox.listen(options.port ?? 0);
  return sandbox;
}
