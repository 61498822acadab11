// Idempotency-Key bookkeeping (reference §6): the first 2xx/4xx result per (route, key) is kept with
// a hash of the body and replayed; 5xx and 429 are not kept, so the client may retry them.

import { createHash } from 'node:crypto';

const LIFETIME_MS = 24 * 60 * 60 * 1000;

export interface StoredResult {
  hash: string;
  status: number;
  body: string; // serialised once, replayed byte for byte
  at: number;
}

export type Lookup =
  | { state: 'new' }
  | { state: 'in_flight' }
  | { state: 'done'; result: StoredResult };

export function bodyHash(raw: Buffer): string {
  return createHash('sha256').update(raw).digest('base64');
}

export function storable(status: number): boolean {
  return status >= 200 && status < 500 && status !== 429;
}

export class IdempotencyBook {
  private readonly done = new Map<string, StoredResult>();
  private readonly inFlight = new Set<string>();

  static slot(route: string, key: string): string {
    return `${route}\n${key}`;
  }

  lookup(slot: string, now: number): Lookup {
    if (this.inFlight.has(slot)) return { state: 'in_flight' };
    const result = this.done.get(slot);
    if (!result) return { state: 'new' };
    if (now - result.at > LIFETIME_MS) {
      this.done.delete(slot); // after 24 h a key may be reused
      return { state: 'new' };
    }
    return { state: 'done', result };
  }

  begin(slot: string): void {
    this.inFlight.add(slot);
  }

  /** Ends the in-flight mark; keeps the result when it is one FullStory stores. */
  finish(slot: string, result: StoredResult | undefined): void {
    this.inFlight.delete(slot);
    if (result && storable(result.status)) this.done.set(slot, result);
  }

  clear(): void {
    this.done.clear();
    this.inFlight.clear();
  }
}
