// A scripted stand-in for FullStory on loopback, for answers the sandbox never gives: wrong
// shapes, null bodies, odd ids, endless paging. Each rule answers the requests it matches;
// every request is logged with its raw (still encoded) URL.

import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ScriptedRequest {
  method: string;
  /** The request target as sent, still percent-encoded (e.g. `/v2/users/batch/a%2Fb`). */
  rawPath: string;
  /** The path, not decoded, without the query. */
  path: string;
  query: URLSearchParams;
  body: unknown;
  headers: http.IncomingHttpHeaders;
}

export interface ScriptedAnswer {
  status?: number;
  /** Sent as JSON (`null` is the body `null`); leave out for an empty body. */
  body?: unknown;
  /** Sent as it is instead of `body`. */
  raw?: string;
}

export interface ScriptedApi {
  url: string;
  requests: ScriptedRequest[];
  /** Adds a rule (checked in order; the first that matches answers). `path` is matched against the raw path. */
  on(method: string, path: string | RegExp, answer: ScriptedAnswer | ((req: ScriptedRequest, count: number) => ScriptedAnswer)): void;
  /** Drops the rules and the log. */
  reset(): void;
  count(method: string, path: string | RegExp): number;
  close(): Promise<void>;
}

interface Rule {
  method: string;
  path: string | RegExp;
  answer: ScriptedAnswer | ((req: ScriptedRequest, count: number) => ScriptedAnswer);
  count: number;
}

const matches = (pattern: string | RegExp, path: string) => (typeof pattern === 'string' ? pattern === path : pattern.test(path));

export async function startScriptedApi(): Promise<ScriptedApi> {
  let rules: Rule[] = [];
  const requests: ScriptedRequest[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const rawPath = req.url ?? '';
      const q = rawPath.indexOf('?');
      const text = Buffer.concat(chunks).toString('utf8');
      let body: unknown = text === '' ? undefined : text;
      try {
        body = text === '' ? undefined : JSON.parse(text);
      } catch {
        // not JSON: keep the text
      }
      const entry: ScriptedRequest = {
        method: req.method ?? '',
        rawPath,
        path: q === -1 ? rawPath : rawPath.slice(0, q),
        query: new URLSearchParams(q === -1 ? '' : rawPath.slice(q + 1)),
        body,
        headers: req.headers,
      };
      requests.push(entry);
      const rule = rules.find((r) => r.method === entry.method && matches(r.path, entry.path));
      const answer: ScriptedAnswer = rule
        ? typeof rule.answer === 'function' ? rule.answer(entry, ++rule.count) : (rule.count++, rule.answer)
        : { status: 404, body: { code: 'not_found', message: `no rule for ${entry.method} ${entry.path}` } };
      const payload = answer.raw ?? (answer.body === undefined ? '' : JSON.stringify(answer.body));
      res.writeHead(answer.status ?? 200, { 'content-type': 'application/json' });
      res.end(payload);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    on(method, path, answer) {
      rules.push({ method, path, answer, count: 0 });
    },
    reset() {
      rules = [];
      requests.length = 0;
    },
    count(method, path) {
      return requests.filter((r) => r.method === method && matches(path, r.path)).length;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
