// Problems with a config node itself (a wrong key, a key without the rights, a host that cannot be
// reached) fail every msg that uses it. Output 2 says so per msg, but a flow that does not wire
// output 2 would never hear of it: the config node logs each kind of problem, rate-limited.
//
// Rule: a kind of problem is logged the first time it happens for a config node instance, then
// again only if it still happens CONFIG_PROBLEM_LOG_INTERVAL_MS (10 minutes) after the last line
// for that kind. A redeploy starts afresh. A success does not reset it: a Standard key succeeds
// with upserts and fails with gets, so a reset would log a 403 for every get.

import type { FullStoryError } from './errors';

export type ConfigProblem = 'unauthorized' | 'forbidden' | 'hostNotFound' | 'unreachable' | 'tls' | 'unusable';

export const CONFIG_PROBLEM_LOG_INTERVAL_MS = 10 * 60_000;

/** Connection errors that say the host name does not resolve. */
const DNS_CODES: ReadonlySet<string> = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_FAIL', 'EAI_NODATA', 'EAI_NONAME']);
/** Connection errors that say nothing listens there, or no route leads there. */
const UNREACHABLE_CODES: ReadonlySet<string> = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN', 'ENETDOWN']);
/** Certificate and handshake failures (Node's and OpenSSL's codes). */
const TLS_CODE_RE = /^(CERT_|ERR_TLS_|ERR_SSL_|UNABLE_TO_|DEPTH_ZERO_SELF_SIGNED_CERT$|SELF_SIGNED_CERT_IN_CHAIN$|HOSTNAME_MISMATCH$|EPROTO$)/;

/**
 * Which config problem a failed request shows, if any. Timeouts, dropped connections, 429 and 5xx
 * are passing faults of FullStory or the network (retried, and on output 2 when they last), not a
 * problem of the config; validation errors never reach the client.
 */
export function configProblemOf(error: FullStoryError, transportCode: string | undefined): ConfigProblem | undefined {
  if (error.status === 401) return 'unauthorized';
  if (error.status === 403) return 'forbidden';
  if (error.status !== undefined || transportCode === undefined) return undefined;
  if (DNS_CODES.has(transportCode)) return 'hostNotFound';
  if (UNREACHABLE_CODES.has(transportCode)) return 'unreachable';
  if (TLS_CODE_RE.test(transportCode)) return 'tls';
  return undefined;
}

export type ProblemVars = Record<string, string | number>;

/** Logs each kind of problem at most once per interval (see the rule above). */
export class ConfigProblemLog {
  private readonly lastLogged = new Map<ConfigProblem, number>();

  constructor(
    private readonly log: (problem: ConfigProblem, vars: ProblemVars) => void,
    private readonly intervalMs = CONFIG_PROBLEM_LOG_INTERVAL_MS,
  ) {}

  report(problem: ConfigProblem, vars: ProblemVars): void {
    const now = Date.now();
    const last = this.lastLogged.get(problem);
    if (last !== undefined && now - last < this.intervalMs) return;
    this.lastLogged.set(problem, now);
    try {
      this.log(problem, { ...vars, minutes: Math.round(this.intervalMs / 60_000) });
    } catch {
      // Logging must never fail a request.
    }
  }
}
