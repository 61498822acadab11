// What a data node shows under itself in the editor. Updates are debounced (~500 ms, like core
// delay/batch nodes) because batch mode changes counts thousands of times a second.

import type { Node, NodeStatus as RedStatus } from 'node-red';

export const STATUS_DEBOUNCE_MS = 500;

export class NodeStatusBoard {
  private sending = 0;
  private queued = 0;
  private jobs = 0;
  private closing = false;
  private lastError: string | undefined;
  private lastOk = false;
  private timer: NodeJS.Timeout | undefined;
  private shown = '';

  constructor(private readonly node: Node, private readonly t: (key: string, vars?: Record<string, unknown>) => string) {}

  requestStarted(): void { this.sending++; this.changed(); }
  requestEnded(): void { this.sending--; this.changed(); }
  recordResult(ok: boolean, code?: string): void {
    if (ok) { this.lastOk = true; this.lastError = undefined; } else { this.lastOk = false; this.lastError = code; }
    this.changed();
  }
  setQueued(count: number): void { if (count !== this.queued) { this.queued = count; this.changed(); } }
  setJobs(count: number): void { if (count !== this.jobs) { this.jobs = count; this.changed(); } }
  setClosing(): void { this.closing = true; this.render(); }
  notConfigured(): void { this.node.status({ fill: 'red', shape: 'ring', text: this.t('status.notConfigured') }); }

  /** Stops the debounce timer (close) so nothing fires after the node is gone. */
  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private changed(): void {
    if (this.timer || this.closing) return;
    this.timer = setTimeout(() => { this.timer = undefined; this.render(); }, STATUS_DEBOUNCE_MS);
  }

  private render(): void {
    const status = this.describe();
    const key = JSON.stringify(status);
    if (key === this.shown) return;
    this.shown = key;
    this.node.status(status);
  }

  private describe(): RedStatus {
    if (this.closing) return { fill: 'blue', shape: 'dot', text: this.t('status.closing') };
    const fill = this.lastError ? 'red' : 'blue';
    if (this.queued > 0 && this.jobs > 0) return { fill, shape: 'dot', text: this.t('status.queuedAndJobs', { queued: this.queued, jobs: this.jobs }) };
    if (this.queued > 0) return { fill, shape: 'dot', text: this.t('status.queued', { count: this.queued }) };
    if (this.jobs > 0) return { fill, shape: 'dot', text: this.t('status.jobs', { count: this.jobs }) };
    if (this.sending > 0) return { fill, shape: 'dot', text: this.t('status.sending') };
    if (this.lastError) return { fill: 'red', shape: 'ring', text: this.t('status.error', { code: this.lastError }) };
    if (this.lastOk) return { fill: 'green', shape: 'dot', text: this.t('status.ok') };
    return {};
  }
}
