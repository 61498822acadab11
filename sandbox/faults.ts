// Injected faults: network and server failures a client must survive. Probabilities come from a
// seeded PRNG so a failing run can be repeated.

import type { Fault, FaultAction, FaultSummary } from './types';

/** mulberry32: tiny, fast, good enough to spread faults (the soak's generator uses it too). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Armed {
  fault: Fault;
  remaining: number;
}

const TYPES = new Set(['status', 'delay', 'drop', 'dropAfterProcessing', 'delayAfterProcessing', 'malformed']);

export class Faults {
  private armed: Armed[] = [];
  private random: () => number;

  constructor(private readonly seed: number) {
    this.random = prng(seed);
  }

  add(fault: Fault): void {
    const times = fault.times ?? 1;
    const p = fault.probability ?? 1;
    // Bad test setup should fail loudly, not silently never fire.
    if (!(times > 0)) throw new RangeError(`fault.times must be > 0 (got ${times})`);
    if (!(p >= 0 && p <= 1)) throw new RangeError(`fault.probability must be within 0..1 (got ${p})`);
    if (!fault.fault || !TYPES.has(fault.fault.type)) throw new TypeError(`unknown fault type ${JSON.stringify(fault.fault?.type)}`);
    this.armed.push({ fault, remaining: times });
  }

  clear(): void {
    this.armed = [];
  }

  reset(): void {
    this.armed = [];
    this.random = prng(this.seed);
  }

  /** What is armed, for the sandbox's own state view. */
  summary(): FaultSummary[] {
    return this.armed.map(({ fault, remaining }) => {
      const out: FaultSummary = {
        fault: { ...fault.fault },
        probability: fault.probability ?? 1,
        remaining: Number.isFinite(remaining) ? remaining : null,
      };
      const m = fault.match;
      if (m && (m.method !== undefined || m.path !== undefined)) {
        out.match = {};
        if (m.method !== undefined) out.match.method = m.method;
        if (m.path !== undefined) out.match.path = String(m.path);
      }
      return out;
    });
  }

  /** The first armed fault that matches and fires for this request (consuming one of its `times`). */
  take(method: string, pathname: string): FaultAction | undefined {
    if (this.armed.length === 0) return undefined;
    for (let i = 0; i < this.armed.length; i++) {
      const a = this.armed[i] as Armed;
      if (!matches(a.fault, method, pathname)) continue;
      const p = a.fault.probability ?? 1;
      if (p < 1 && this.random() >= p) continue;
      if (--a.remaining <= 0) this.armed.splice(i, 1);
      return a.fault.fault;
    }
    return undefined;
  }
}

function matches(f: Fault, method: string, pathname: string): boolean {
  const m = f.match;
  if (!m) return true;
  if (m.method !== undefined && m.method.toUpperCase() !== method) return false;
  if (m.path === undefined) return true;
  if (typeof m.path === 'string') return pathname.startsWith(m.path);
  m.path.lastIndex = 0; // a /g or /y regex keeps state between test() calls
  return m.path.test(pathname);
}

/** Default error code for a status fault, as FullStory would name it. */
export function codeForStatus(status: number): string {
  switch (status) {
    case 400: return 'invalid_argument';
    case 401: return 'unauthorized';
    case 403: return 'forbidden';
    case 404: return 'not_found';
    case 409: return 'conflict';
    case 429: return 'too_many_requests';
    case 500: return 'server_error';
    case 502: return 'bad_gateway';
    case 503: return 'service_unavailable';
    case 504: return 'gateway_timeout';
    default: return status >= 500 ? 'server_error' : 'error';
  }
}
