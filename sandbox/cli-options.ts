// The command line of `fullstory-sandbox` (sandbox/cli.ts): its options, its help text, and the
// fault plan the rate options become. Pure, so tests can check it without starting a process.

import type { Fault, FaultAction } from './types';

export const ADMIN_KEY = 'na1.admin-key';
export const STANDARD_KEY = 'na1.standard-key';

export interface CliOptions {
  port: number;
  jobMs?: number;
  log: boolean;
  seed: number;
  faults: Fault[];
  /** One line per fault, as asked: "10% of requests: 429 … (Retry-After 1 s)". */
  faultLines: string[];
}

export type CliCommand = { kind: 'help' } | { kind: 'run'; options: CliOptions };

export const HELP = `usage: fullstory-sandbox [options]

A stand-in for the FullStory Server API v2 on 127.0.0.1, to try flows without a FullStory account.
Point a FullStory config node at the URL it prints, with the API key ${ADMIN_KEY}
(or ${STANDARD_KEY}, a write-only key). Not FullStory: see the README's sandbox section.

Options:
  --port N                  port on 127.0.0.1 (default 8089; 0 picks a free one)
  --job-ms N                how long a batch import job stays PROCESSING, in ms (default 30)
  --log                     print one line per request
  -h, --help                this text

Faults. RATE is the share of requests hit, from 0 to 1 (0.1 = 10%); the rates add up to 1 at most.
  --rate-limited RATE       answer 429 too_many_requests with a Retry-After header
  --retry-after SECONDS     the Retry-After of those 429s (default 1)
  --server-error RATE       answer a 5xx server error; nothing is stored
  --server-error-status N   500, 502, 503 or 504 (default 503)
  --drop RATE               close the connection without an answer; nothing is stored
  --lost-answer RATE        store the request, then close the connection without an answer
  --slow RATE               answer late (after --slow-ms)
  --slow-ms N               how late, in ms (default 3000)
  --malformed RATE          answer 200 with a cut-off JSON body; nothing is stored
  --fault-path PREFIX       faults only on paths that start with PREFIX, e.g. /v2/events
  --fault-method METHOD     faults only on this method, e.g. POST
  --fault-times N           each fault stops after hitting N requests (default: never stops)
  --seed N                  seed of the fault dice, so a run repeats exactly (default 1)

See what it holds (read-only, loopback only): http://127.0.0.1:PORT/sandbox/ (a page)
and http://127.0.0.1:PORT/sandbox/state (JSON; ?uid=… filters, ?limit=… up to 1000).

Examples:
  fullstory-sandbox --rate-limited 0.1 --retry-after 2    one request in ten answers 429
  fullstory-sandbox --server-error 1 --fault-times 3      the first 3 requests answer 503
  fullstory-sandbox --lost-answer 0.05 --fault-path /v2/events
`;

/** The fault options in the order their dice are thrown. */
const RATE_OPTIONS = ['--rate-limited', '--server-error', '--drop', '--lost-answer', '--slow', '--malformed'] as const;
type RateOption = (typeof RATE_OPTIONS)[number];

const SERVER_ERROR_STATUSES = [500, 502, 503, 504];

export function parseCli(argv: readonly string[]): CliCommand {
  let port = 8089;
  let jobMs: number | undefined;
  let log = false;
  let seed = 1;
  let retryAfter = 1;
  let serverErrorStatus = 503;
  let slowMs = 3000;
  let times: number | undefined;
  let method: string | undefined;
  let pathPrefix: string | undefined;
  const rates = new Map<RateOption, number>();

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) throw new Error(`${arg} needs a value`);
      return v;
    };
    const integer = (min: number, max = Number.MAX_SAFE_INTEGER): number => {
      const v = value();
      const n = Number(v);
      if (!/^\d+$/.test(v) || n < min || n > max) throw new Error(`${arg} needs a whole number from ${min}${max < Number.MAX_SAFE_INTEGER ? ` to ${max}` : ''} (got ${v})`);
      return n;
    };
    if ((RATE_OPTIONS as readonly string[]).includes(arg)) {
      const v = value();
      const rate = Number(v);
      if (v.trim() === '' || !(rate >= 0 && rate <= 1)) throw new Error(`${arg} needs a rate from 0 to 1, e.g. 0.1 for 10% (got ${v})`);
      rates.set(arg as RateOption, rate);
      continue;
    }
    switch (arg) {
      case '-h':
      case '--help':
        return { kind: 'help' };
      case '--port': port = integer(0, 65535); break;
      case '--job-ms': jobMs = integer(0); break;
      case '--log': log = true; break;
      case '--seed': seed = integer(0, 2 ** 32 - 1); break;
      case '--retry-after': retryAfter = integer(0); break;
      case '--server-error-status': {
        serverErrorStatus = integer(500, 599);
        if (!SERVER_ERROR_STATUSES.includes(serverErrorStatus)) throw new Error(`${arg} must be one of ${SERVER_ERROR_STATUSES.join(', ')}`);
        break;
      }
      case '--slow-ms': slowMs = integer(1); break;
      case '--fault-times': times = integer(1); break;
      case '--fault-method': method = value().toUpperCase(); break;
      case '--fault-path': {
        pathPrefix = value();
        if (!pathPrefix.startsWith('/')) throw new Error(`${arg} needs a path that starts with /, e.g. /v2/events`);
        break;
      }
      default:
        throw new Error(`unknown option ${arg} (see --help)`);
    }
  }

  const total = [...rates.values()].reduce((a, b) => a + b, 0);
  if (total > 1 + 1e-9) throw new Error(`the fault rates add up to ${Number(total.toFixed(6))}; at most 1 is possible`);

  const actions: Record<RateOption, FaultAction> = {
    '--rate-limited': { type: 'status', status: 429, retryAfter },
    '--server-error': { type: 'status', status: serverErrorStatus },
    '--drop': { type: 'drop' },
    '--lost-answer': { type: 'dropAfterProcessing' },
    '--slow': { type: 'delay', ms: slowMs },
    '--malformed': { type: 'malformed' },
  };
  const match = method !== undefined || pathPrefix !== undefined
    ? { ...(method !== undefined ? { method } : {}), ...(pathPrefix !== undefined ? { path: pathPrefix } : {}) }
    : undefined;
  const faults: Fault[] = [];
  const faultLines: string[] = [];
  const what: Record<RateOption, string> = {
    '--rate-limited': `429 too_many_requests, Retry-After ${retryAfter} s`,
    '--server-error': `${serverErrorStatus}, nothing stored`,
    '--drop': 'connection closed without an answer, nothing stored',
    '--lost-answer': 'stored, then connection closed without an answer',
    '--slow': `answered after ${slowMs} ms`,
    '--malformed': '200 with a cut-off JSON body, nothing stored',
  };
  const where = `${method ?? ''}${method && pathPrefix ? ' ' : ''}${pathPrefix ? `${pathPrefix}…` : ''}`;
  // The sandbox throws each armed fault's dice in turn and the first hit wins, so each fault's
  // probability is its rate among the requests the faults before it left alone: the shares come
  // out as asked.
  let left = 1;
  for (const option of RATE_OPTIONS) {
    const rate = rates.get(option);
    if (rate === undefined || rate === 0) continue;
    const probability = Math.min(1, rate / left);
    left -= rate;
    faults.push({
      fault: actions[option],
      probability,
      times: times ?? Infinity,
      ...(match ? { match } : {}),
    });
    faultLines.push(`${Number((rate * 100).toFixed(4))}% of ${where ? `${where} ` : ''}requests: ${what[option]}${times === undefined ? '' : times === 1 ? ' (the first hit only)' : ` (the first ${times} hits only)`}`);
  }
  const options: CliOptions = { port, log, seed, faults, faultLines };
  if (jobMs !== undefined) options.jobMs = jobMs;
  return { kind: 'run', options };
}
