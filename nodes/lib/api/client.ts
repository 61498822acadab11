// The one HTTP client of a config node: keep-alive, auth, JSON in and out, retries with backoff,
// shared limits, and errors normalised (and redacted) into FullStoryError.

import http from 'node:http';
import https from 'node:https';
import type { Readable } from 'node:stream';
import axios, { type AxiosInstance } from 'axios';
import { FullStoryError } from './errors';
import { catalogText, withVars, type CatalogText } from './texts';
import { jsonMayHoldSecret, redact, redactParsed, regionOfKey, secretForms, type Region } from './connection';
import { RequestGate, Semaphore } from './limits';
import { configProblemOf, type ConfigProblem } from './config-problems';
import { isRetryableStatus, nextRetryDelay, parseRetryAfter, type RetrySettings } from './retry-policy';
import { ERROR_BODY_LIMIT, readBody, RESPONSE_LIMITS } from './response-body';

export const INTEGRATION_SOURCE = 'node-red-contrib-fullstory';

/** FullStory's error codes are snake_case words (README §6). */
const ERROR_CODE_RE = /^[a-z][a-z0-9_]{0,63}$/;

/**
 * The least time an attempt gets (or the timeout, when that is shorter): a retry is only started
 * when this much of the retry budget is left, and a first attempt that waited its budget away for
 * a free connection still gets this long.
 */
export const MIN_ATTEMPT_MS = 1000;

/**
 * A request body larger than this extends its attempt's deadline by the time the rest takes to
 * upload at this rate (about 4 Mbit/s): a batch job of 50,000 records can be tens of MB, and its
 * upload is work, not a server that stalls. Single requests and ordinary jobs are far smaller and
 * get exactly the timeout; a 10 MB job gets 19 s more.
 */
export const UPLOAD_BYTES_PER_SECOND = 512 * 1024;

export interface ClientSettings {
  apiKey: string;
  baseUrl: string;
  timeoutMs: number;
  retry: RetrySettings;
  maxConcurrency: number;
  maxJobs: number;
  requestsPerSecond: number;
  /** Told when a request fails because of the config itself (key, rights, host); see config-problems.ts. */
  onConfigProblem?: (problem: ConfigProblem, error: FullStoryError, transportCode: string | undefined) => void;
}

export type HttpMethod = 'GET' | 'POST' | 'DELETE';

export interface ApiRequest {
  method: HttpMethod;
  /** Path with every user-supplied segment already encoded (see `pathOf`). */
  path: string;
  query?: Record<string, string | boolean | undefined>;
  /** A JSON value, or a string already serialised (batch jobs serialise once, retry many times). */
  body?: unknown;
  idempotencyKey?: string;
  /** Statuses that are answers rather than failures, e.g. 202 "job still processing". */
  acceptStatuses?: readonly number[];
  /** Overrides the retry budget (a node closing has less time than a running flow). */
  budgetMs?: number;
  /** Aborts the request and its retries (node closing). */
  signal?: AbortSignal;
  /** Last chance (a closing node's final job): send now even while FullStory's 429 pause runs
   * past the budget; one refused request costs less than records that are never sent. */
  lastChance?: boolean;
  /** No retry starts and no attempt waits past this time (epoch ms), e.g. a batch job's deadline. */
  deadline?: number;
  /** Told after each attempt: undefined when FullStory answered, else the attempt's failure. */
  onAttempt?: (failure: FullStoryError | undefined) => void;
  /**
   * The largest answer this call may get, in bytes (see RESPONSE_LIMITS; every call in
   * endpoints.ts says). A request that does not say gets the largest cap for a read and the small
   * one otherwise. A larger 2xx answer fails as `invalid_response`, read no further.
   */
  maxResponseBytes?: number;
  /**
   * A POST without an Idempotency-Key that may still be sent again: applying it twice is applying
   * it once (a user update sets the fields it names). Declared by the call (endpoints.ts).
   */
  repeatable?: boolean;
}

export interface ApiResponse<T = unknown> {
  status: number;
  data: T;
  attempts: number;
}

/** Builds a path from literal parts and user values; values are always encoded, so a uid like
 * `../x?y` can never change the path or query of the request. */
export function pathOf(strings: TemplateStringsArray, ...values: string[]): string {
  return strings.reduce((out, part, i) => out + part + (i < values.length ? encodeURIComponent(values[i]) : ''), '');
}

/** Connection errors that prove the request never reached FullStory. */
const NEVER_SENT_CODES: ReadonlySet<string> = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH']);

/** The error code of a failed connection (ECONNREFUSED, ENOTFOUND, CERT_HAS_EXPIRED, …), when it looks like one. */
function transportCodeOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[A-Z][A-Z0-9_]{1,63}$/.test(code) ? code : undefined;
}

/** Tells the caller how an attempt went; a caller's observer never changes the request. */
function notify(req: ApiRequest, failure: FullStoryError | undefined): void {
  try {
    req.onAttempt?.(failure);
  } catch {
    // ignore
  }
}

/** One HTTP exchange as read off the wire: status, Retry-After, and the body (capped). */
interface RawAnswer {
  status: number;
  retryAfter: unknown;
  text: string;
}

/**
 * Requests that may be sent again without doing twice what FullStory did once: reads, deletes,
 * POSTs with an Idempotency-Key (FullStory replays its first answer), and POSTs the call declares
 * repeatable (a user update). Any other POST without a key (none is sent today) is not.
 */
function safeToRepeat(req: ApiRequest): boolean {
  return req.method !== 'POST' || Boolean(req.idempotencyKey) || req.repeatable === true;
}

/** Thrown before a request is sent, when sending it cannot help (see attempt()). */
class NotSent extends Error {
  constructor(readonly error: FullStoryError) {
    super(error.message);
  }
}

/** Waits, or stops early when the signal aborts (a closing node must not sit in a backoff). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const onAbort = () => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export function closedError(attempts: number): FullStoryError {
  return new FullStoryError(catalogText('config:errors.http.closed'), {
    code: 'closed',
    retryable: true,
    attempts,
  });
}

export class FullStoryClient {
  readonly region: Region;
  readonly jobSlots: Semaphore;
  private readonly requestSlots: Semaphore;
  private readonly gate: RequestGate;
  private readonly http: AxiosInstance;
  private readonly agents: Array<http.Agent>;
  private inFlight = 0;
  private idleWaiters: Array<() => void> = [];
  private readonly holds = new Set<Promise<void>>();
  /** The key and its prefix-less form: redacted from everything read from a response. */
  private readonly secrets: string[];

  constructor(private readonly settings: ClientSettings) {
    this.secrets = secretForms([settings.apiKey]);
    this.region = regionOfKey(settings.apiKey);
    this.requestSlots = new Semaphore(settings.maxConcurrency);
    this.jobSlots = new Semaphore(settings.maxJobs);
    this.gate = new RequestGate(settings.requestsPerSecond);
    const agentOptions = { keepAlive: true, maxSockets: settings.maxConcurrency, scheduling: 'lifo' as const };
    const httpAgent = new http.Agent(agentOptions);
    // rejectUnauthorized is the default; stated so nobody "fixes" a proxy problem by turning it off.
    const httpsAgent = new https.Agent({ ...agentOptions, rejectUnauthorized: true });
    this.agents = [httpAgent, httpsAgent];
    this.http = axios.create({
      baseURL: settings.baseUrl,
      httpAgent,
      httpsAgent,
      proxy: false,
      maxRedirects: 0,
      maxBodyLength: Infinity,
      // The body is read by readBody() within the call's cap; -1 keeps axios from wrapping the stream.
      maxContentLength: -1,
      // A stream: axios's `timeout` only notices a socket gone quiet (a server dripping a byte at a
      // time keeps it alive forever), so exchange() bounds the whole attempt, body included, itself.
      responseType: 'stream',
      // Bodies are JSON text already; axios's default would JSON.parse every string body it sends
      // just to check it (a throwaway parse of each multi-megabyte batch job).
      transformRequest: [(data: unknown) => data],
      // We read and parse ourselves so a malformed or oversized body becomes a clear error.
      transformResponse: [(data: unknown) => data],
      validateStatus: () => true,
      headers: {
        Authorization: `Basic ${settings.apiKey}`,
        Accept: 'application/json',
        'Integration-Source': INTEGRATION_SOURCE,
      },
    });
  }

  /** The configured retry budget: a call made of several requests (a list's pages) shares one. */
  get retryBudgetMs(): number {
    return this.settings.retry.budgetMs;
  }

  /** Sends one request, retrying what is worth retrying. Resolves with 2xx (or accepted) answers. */
  async request<T = unknown>(req: ApiRequest): Promise<ApiResponse<T>> {
    // Counted from the call, not from the first socket write: a close that checks whenIdle() in
    // the same tick must see a request that has not reached the network yet.
    this.inFlight++;
    try {
      return await this.requestWithRetries<T>(req);
    } finally {
      this.inFlight--;
      if (this.inFlight === 0) {
        const waiters = this.idleWaiters;
        this.idleWaiters = [];
        for (const wake of waiters) wake();
      }
    }
  }

  /** Closing data nodes register their close here; the config node waits for them before
   * dropping the sockets (Node-RED closes all nodes of a flow at once, in no set order). */
  holdOpenUntil(work: Promise<unknown>): void {
    const held = work.then(
      () => undefined,
      () => undefined,
    );
    this.holds.add(held);
    void held.then(() => this.holds.delete(held));
  }

  /** Resolves when every registered close has finished and no request is in flight. */
  async whenIdle(): Promise<void> {
    // One turn of the event loop lets every node of the stopping flow start its close first.
    await new Promise((resolve) => setImmediate(resolve));
    while (this.holds.size > 0) await Promise.all([...this.holds]);
    if (this.inFlight > 0) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  private async requestWithRetries<T>(req: ApiRequest): Promise<ApiResponse<T>> {
    const startedAt = Date.now();
    const payload = req.body === undefined || typeof req.body === 'string' ? req.body : JSON.stringify(req.body);
    let retry = req.budgetMs === undefined ? this.settings.retry : { ...this.settings.retry, budgetMs: req.budgetMs };
    if (req.deadline !== undefined) retry = { ...retry, budgetMs: Math.max(0, Math.min(retry.budgetMs, req.deadline - startedAt)) };
    let maybeApplied = false;
    let transportCode: string | undefined;
    const fail = (error: FullStoryError): FullStoryError => {
      error.maybeApplied = maybeApplied;
      this.reportConfigProblem(error, transportCode);
      return error;
    };
    for (let attempt = 1; ; attempt++) {
      if (req.signal?.aborted) throw fail(closedError(attempt - 1));
      let failure: FullStoryError;
      let retryAfterMs: number | undefined;
      try {
        const answer = await this.attempt(req, payload, startedAt, retry.budgetMs, attempt);
        const status = answer.status;
        if ((status >= 200 && status < 300) || req.acceptStatuses?.includes(status)) {
          notify(req, undefined);
          return { status, data: this.parseBody(req, answer, attempt) as T, attempts: attempt };
        }
        retryAfterMs = parseRetryAfter(answer.retryAfter, Date.now());
        if (status === 429) this.gate.pauseUntil(Date.now() + (retryAfterMs ?? 1000));
        failure = this.httpError(answer, attempt);
        transportCode = undefined;
        notify(req, failure);
        // 500/502/504 and 408: FullStory may have acted before failing (its docs disagree on 5xx).
        // 503 says the service did not take the request.
        if ((status >= 500 && status !== 503) || status === 408) maybeApplied = true;
      } catch (err) {
        if (err instanceof NotSent) throw fail(err.error);
        if (req.signal?.aborted) throw fail(closedError(attempt));
        if (err instanceof FullStoryError && err.code === 'invalid_response') {
          // Only a 2xx answer is read as a result: FullStory acted, whatever its body says.
          failure = err;
          maybeApplied = true;
        } else {
          failure = this.transportError(err, attempt);
          transportCode = transportCodeOf(err);
          if (!NEVER_SENT_CODES.has(transportCode ?? '')) maybeApplied = true;
          notify(req, failure);
        }
      }
      if (!failure.retryable) throw fail(failure);
      const minAttemptMs = Math.min(this.settings.timeoutMs, MIN_ATTEMPT_MS);
      const delay = nextRetryDelay(attempt + 1, startedAt, Date.now(), retryAfterMs, retry, minAttemptMs);
      if (delay === undefined) throw fail(failure);
      await sleep(delay, req.signal);
    }
  }

  private reportConfigProblem(error: FullStoryError, transportCode: string | undefined): void {
    const report = this.settings.onConfigProblem;
    if (!report || error.code === 'closed') return;
    const problem = configProblemOf(error, transportCode);
    if (!problem) return;
    try {
      report(problem, error, transportCode);
    } catch {
      // A log line must never change the outcome of a request.
    }
  }

  /** Closes idle keep-alive sockets so the process (or a redeploy) leaves nothing open. */
  destroy(): void {
    for (const agent of this.agents) agent.destroy();
  }

  private async attempt(req: ApiRequest, payload: unknown, startedAt: number, budgetMs: number, attempt: number): Promise<RawAnswer> {
    const release = await this.requestSlots.acquire();
    try {
      let wait = this.gate.reserve();
      if (Date.now() + wait - startedAt > budgetMs && req.lastChance) wait = 0;
      if (Date.now() + wait - startedAt > budgetMs) {
        // A 429 cool-down (ours or another node's) outlasts this request's budget: waiting it out
        // would break the promise that a flow hears about an outage within the budget.
        const seconds = Math.ceil(wait / 1000);
        throw new NotSent(
          new FullStoryError(
            catalogText('config:errors.http.pausedTooLong', { seconds }),
            { code: 'too_many_requests', status: 429, retryable: true, attempts: attempt - 1 },
          ),
        );
      }
      if (wait > 0) await sleep(wait, req.signal);
      return await this.exchange(req, payload, this.deadlineFor(payload, startedAt, budgetMs), attempt);
    } finally {
      release();
    }
  }

  /**
   * How long one attempt may take, from connecting to the last byte of the answer: the timeout,
   * cut so that it ends with the retry budget (but never below MIN_ATTEMPT_MS, or the timeout when
   * that is shorter), plus the upload time of a large request body (UPLOAD_BYTES_PER_SECOND).
   */
  private deadlineFor(payload: unknown, startedAt: number, budgetMs: number): number {
    const remaining = budgetMs - (Date.now() - startedAt);
    const timeout = this.settings.timeoutMs;
    const base = Math.min(timeout, Math.max(remaining, Math.min(timeout, MIN_ATTEMPT_MS)));
    // Characters, not bytes: a cheap count of a body that may be tens of MB (close enough here).
    const beyond = Math.max(0, (typeof payload === 'string' ? payload.length : 0) - UPLOAD_BYTES_PER_SECOND);
    return base + Math.ceil((beyond * 1000) / UPLOAD_BYTES_PER_SECOND);
  }

  /**
   * One HTTP exchange, bounded as a whole by `deadlineMs` (connect, upload, headers and every byte
   * of the body: a server that drips cannot hold it) and its answer by the call's size cap. Either
   * bound, or the node closing, aborts the request, which destroys its socket.
   */
  private async exchange(req: ApiRequest, payload: unknown, deadlineMs: number, attempt: number): Promise<RawAnswer> {
    const controller = new AbortController();
    const stop = (): void => controller.abort();
    if (req.signal?.aborted) stop();
    req.signal?.addEventListener('abort', stop, { once: true });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      stop();
    }, deadlineMs);
    try {
      const headers: Record<string, string> = {};
      if (payload !== undefined) headers['Content-Type'] = 'application/json';
      if (req.idempotencyKey) headers['Idempotency-Key'] = req.idempotencyKey;
      const response = await this.http.request<Readable>({
        method: req.method,
        url: req.path,
        params: req.query,
        data: payload,
        headers,
        signal: controller.signal,
      });
      const status = response.status;
      const isAnswer = (status >= 200 && status < 300) || Boolean(req.acceptStatuses?.includes(status));
      const limit = req.maxResponseBytes ?? RESPONSE_LIMITS[req.method === 'GET' ? 'page' : 'small'];
      // An error answer is read only as far as its {code, message} can reach; the status decides.
      const body = isAnswer ? await readBody(response.data, limit) : await readBody(response.data, Math.min(limit, ERROR_BODY_LIMIT), true);
      if (body.overflow && isAnswer) throw this.tooLargeError(req, status, limit, attempt);
      return { status, retryAfter: response.headers['retry-after'], text: body.text };
    } catch (err) {
      stop(); // whatever went wrong, the socket goes: nothing more is read from it
      if (timedOut) throw this.timeoutError(deadlineMs, attempt);
      throw err;
    } finally {
      clearTimeout(timer);
      req.signal?.removeEventListener('abort', stop);
    }
  }

  /**
   * A 2xx body as data, with the key redacted from every string and property name in it: whatever
   * we take from an answer (msg.fullstory.response, msg.payload, ids, job errors) may reach a msg,
   * a status or a log, and a proxy or debug endpoint may echo our request headers back.
   */
  private parseBody(req: ApiRequest, answer: RawAnswer, attempt: number): unknown {
    const text = answer.text;
    if (text === '') return {};
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch {
      // A 2xx whose body we cannot read: FullStory may have acted, so the outcome is unknown.
      // Retrying is safe for reads, deletes and POSTs with an Idempotency-Key (FullStory replays).
      throw new FullStoryError(catalogText('config:errors.http.notJson', { status: answer.status }), {
        code: 'invalid_response',
        status: answer.status,
        retryable: safeToRepeat(req),
        attempts: attempt,
      });
    }
    return jsonMayHoldSecret(text, this.secrets) ? redactParsed(data, this.secrets) : data;
  }

  private tooLargeError(req: ApiRequest, status: number, limit: number, attempt: number): FullStoryError {
    const max = formatBytes(limit);
    return new FullStoryError(
      catalogText('config:errors.http.tooLarge', { status, max }),
      { code: 'invalid_response', status, retryable: safeToRepeat(req), attempts: attempt },
    );
  }

  private timeoutError(deadlineMs: number, attempt: number): FullStoryError {
    const seconds = Math.round(deadlineMs / 100) / 10;
    return new FullStoryError(catalogText('config:errors.http.timeout', { seconds }), {
      code: 'timeout',
      retryable: true,
      attempts: attempt,
    });
  }

  private httpError(answer: RawAnswer, attempt: number): FullStoryError {
    const status = answer.status;
    let code = `http_${status}`;
    let detail = '';
    try {
      const body = JSON.parse(answer.text) as { code?: unknown; message?: unknown };
      // msg.error.code is shown as is (status, logs): take only what looks like a code, and never
      // one that holds the key.
      if (typeof body.code === 'string' && ERROR_CODE_RE.test(body.code) && this.redact(body.code) === body.code) code = body.code;
      // Redacted before it is cut: a key straddling the cut would otherwise survive in part.
      if (typeof body.message === 'string') detail = this.redact(body.message).slice(0, 500);
    } catch {
      detail = this.redact(answer.text).slice(0, 200);
    }
    const hint = status === 401 || status === 403 ? this.authHint(status, detail) : undefined;
    const text = detail
      ? catalogText('config:errors.http.statusDetail', { status, code, detail, hint: hint ?? '' })
      : catalogText('config:errors.http.status', { status, code, hint: hint ?? '' });
    return new FullStoryError(withVars(text, (value) => (typeof value === 'string' ? this.redact(value) : value)), {
      code,
      status,
      retryable: isRetryableStatus(status),
      attempts: attempt,
    });
  }

  /** What to check after a 401/403, leaving out what FullStory's own text already says. */
  private authHint(status: number, detail: string): CatalogText | undefined {
    const hints: CatalogText[] = [];
    if (status === 401) hints.push(catalogText('config:errors.http.hint.checkKey'));
    // The sandbox (and perhaps FullStory) already names the key types a 403 needs: say it once.
    else if (!/\b(admin|architect)\b/i.test(detail)) hints.push(catalogText('config:errors.http.hint.lacksRights'));
    if (this.region === 'eu1' && !/eu1\./.test(this.settings.baseUrl)) {
      hints.push(catalogText('config:errors.http.hint.euHost'));
    }
    const [first, second] = hints;
    if (first === undefined) return undefined;
    return second === undefined
      ? catalogText('config:errors.http.hint.one', { first })
      : catalogText('config:errors.http.hint.two', { first, second });
  }

  private transportError(err: unknown, attempt: number): FullStoryError {
    if (err instanceof FullStoryError) {
      err.attempts = attempt;
      return err;
    }
    // Never keep the axios error itself: its config holds the Authorization header.
    const e = err as { code?: string; message?: string };
    const timedOut = e.code === 'ECONNABORTED' || e.code === 'ETIMEDOUT' || /timeout/i.test(e.message ?? '');
    const text = timedOut
      ? catalogText('config:errors.http.noAnswer')
      : catalogText('config:errors.http.unreachable', { code: e.code ?? '', detail: e.message ?? '', ...(e.code === undefined && { code: catalogText('config:errors.http.noCode') }), ...(e.message === undefined && { detail: catalogText('config:errors.unknownError') }) });
    return new FullStoryError(withVars(text, (value) => (typeof value === 'string' ? this.redact(value) : value)), {
      code: timedOut ? 'timeout' : 'network_error',
      retryable: true,
      attempts: attempt,
    });
  }

  private redact(text: string): string {
    return redact(text, [this.settings.apiKey]);
  }
}

function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MiB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} bytes`;
}
