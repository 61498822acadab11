// The limits a config node shares between every node that uses it: how many things run at once
// (requests, batch jobs) and how fast requests start (our own rate, and FullStory's 429 cool-down).

import { MAX_RETRY_AFTER_MS } from './retry-policy';

/** A FIFO counting semaphore: waiters are served in arrival order so no caller starves. */
export class Semaphore {
  private active = 0;
  private readonly waiters: Array<() => void> = [];

  constructor(private readonly capacity: number) {}

  get inUse(): number {
    return this.active;
  }

  get waiting(): number {
    return this.waiters.length;
  }

  /** Resolves with a release function once a slot is free. Call release exactly once. */
  acquire(): Promise<() => void> {
    return new Promise((resolve) => {
      this.waiters.push(() => resolve(this.releaser()));
      this.wakeWaiters();
    });
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.active--;
      this.wakeWaiters();
    };
  }

  private wakeWaiters(): void {
    while (this.active < this.capacity && this.waiters.length > 0) {
      this.active++;
      this.waiters.shift()!();
    }
  }
}

/**
 * Decides when the next request may start: spaced by our own rate limit (if any) and held back
 * while FullStory has asked us to wait (429 + Retry-After applies to the whole key, so every
 * node using the config waits, not just the one that got the 429).
 */
export class RequestGate {
  private nextSlotAt = 0;
  private pausedUntil = 0;

  constructor(
    private readonly requestsPerSecond: number,
    // Looked up at each call, not bound once: a test's fake clock then governs the gate too.
    private readonly now: () => number = () => Date.now(),
    private readonly maxPauseMs: number = MAX_RETRY_AFTER_MS,
  ) {}

  /**
   * FullStory answered 429: nobody sends before `until`, but never for longer than `maxPauseMs`
   * from now: one absurd Retry-After must not stop every node of the config until a redeploy.
   */
  pauseUntil(until: number): void {
    const now = this.now();
    if (Number.isNaN(until)) return;
    this.pausedUntil = Math.max(this.pausedUntil, Math.min(until, now + this.maxPauseMs));
  }

  /** Milliseconds the caller must wait before sending; reserves its slot. */
  reserve(): number {
    const now = this.now();
    let start = Math.max(now, this.pausedUntil);
    if (this.requestsPerSecond > 0) {
      start = Math.max(start, this.nextSlotAt);
      this.nextSlotAt = start + 1000 / this.requestsPerSecond;
    }
    return start - now;
  }
}
