// What a data node shows under itself in the editor. Updates are debounced (~500 ms, like core
// delay/batch nodes) because batch mode changes counts thousands of times a second.
//
// Counts go to the catalog as `count` so i18next picks the plural form each language needs
// (`queued_one` / `queued_other` in en-US and de, `_other` only in ja).

import type { Node, NodeStatus as RedStatus } from 'node-red';

export const STATUS_DEBOUNCE_MS = 500;

/** What a closing node still has to do: records to send as a final job, single requests to finish. */
export interface ClosingWork {
  records: number;
  requests: number;
}

export class NodeStatusBoard {
  private sending = 0;
  private queued = 0;
  private jobs = 0;
  private closing = false;
  private lastError: string | undefined;
  private lastOk = false;
  /** Code of the last failed attempt to reach FullStory, while it is not followed by an answer. */
  private unreachable: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private shown = '';
  /** The batch journal cannot be written (an errno code): batch msgs are refused while it lasts. */
  private journalProblem: string | undefined;
  /** What opening the journal found (a torn tail, a file moved aside), until the next result. */
  private journalNote: 'torn' | 'unreadable' | undefined;

  constructor(private readonly node: Node, private readonly t: (key: string, vars?: Record<string, unknown>) => string) {}

  /**
   * A new node instance says where it stands at once: after a redeploy the editor otherwise keeps
   * showing what the old instance said last (its closing status, or an old error).
   */
  start(): void {
    this.show({});
  }

  requestStarted(): void { this.sending++; this.changed(); }
  requestEnded(): void { this.sending--; this.changed(); }
  recordResult(ok: boolean, code?: string): void {
    this.journalNote = undefined;
    if (ok) { this.lastOk = true; this.lastError = undefined; } else { this.lastOk = false; this.lastError = code; }
    this.changed();
  }
  setQueued(count: number): void { if (count !== this.queued) { this.queued = count; this.changed(); } }
  setJobs(count: number): void { if (count !== this.jobs) { this.jobs = count; this.changed(); } }
  /** An attempt to reach FullStory failed (undefined: one got an answer), e.g. a job's poll. */
  setUnreachable(code: string | undefined): void {
    if (code === this.unreachable || (code !== undefined && !this.busy())) return;
    const news = this.unreachable === undefined;
    this.unreachable = code;
    // An outage shows at once (not debounced); its end can wait for the next update.
    if (news && !this.closing) {
      this.dispose();
      this.render();
    } else this.changed();
  }

  /**
   * The node is stopping. A closing status shows only while there is something left to send; it is
   * the last thing this instance shows (the next instance sets its own at start).
   */
  setClosing(work: ClosingWork): void {
    this.closing = true;
    this.dispose();
    if (work.records > 0) this.show({ fill: 'blue', shape: 'dot', text: this.t('status.closing', { count: work.records }) });
    else if (work.requests > 0) this.show({ fill: 'blue', shape: 'dot', text: this.t('status.stopping', { count: work.requests }) });
  }

  journalUnavailable(code: string): void {
    this.journalProblem = code;
    this.dispose();
    this.render();
  }

  journalNotice(kind: 'torn' | 'unreadable'): void {
    this.journalNote = kind;
    this.dispose();
    this.render();
  }

  notConfigured(): void { this.show({ fill: 'red', shape: 'ring', text: this.t('status.notConfigured') }); }

  /** Stops the debounce timer (close) so nothing fires after the node is gone. */
  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private changed(): void {
    // Nothing in progress: an old failed attempt says nothing about the next request.
    if (!this.busy()) this.unreachable = undefined;
    if (this.timer || this.closing) return;
    this.timer = setTimeout(() => { this.timer = undefined; this.render(); }, STATUS_DEBOUNCE_MS);
  }

  private busy(): boolean {
    return this.queued > 0 || this.jobs > 0 || this.sending > 0;
  }

  private render(): void {
    if (this.closing) return;
    const status = this.describe();
    if (status) this.show(status);
  }

  private show(status: RedStatus): void {
    const key = JSON.stringify(status);
    if (key === this.shown) return;
    this.shown = key;
    this.node.status(status);
  }

  /** The status for the current state; undefined when there is nothing to say yet. */
  private describe(): RedStatus | undefined {
    if (this.journalProblem !== undefined) {
      return { fill: 'red', shape: 'ring', text: this.t('status.journalUnavailable', { code: this.journalProblem }) };
    }
    if (this.unreachable !== undefined) {
      return { fill: 'yellow', shape: 'ring', text: this.t('status.unreachable', { code: this.unreachable }) };
    }
    const fill = this.lastError ? 'red' : 'blue';
    if (this.queued > 0 && this.jobs > 0) {
      const queued = this.t('status.queued', { count: this.queued });
      const jobs = this.t('status.jobs', { count: this.jobs });
      return { fill, shape: 'dot', text: this.t('status.queuedAndJobs', { queued, jobs }) };
    }
    if (this.queued > 0) return { fill, shape: 'dot', text: this.t('status.queued', { count: this.queued }) };
    if (this.jobs > 0) return { fill, shape: 'dot', text: this.t('status.jobs', { count: this.jobs }) };
    if (this.sending > 0) return { fill, shape: 'dot', text: this.t('status.sending') };
    if (this.lastError) return { fill: 'red', shape: 'ring', text: this.t('status.error', { code: this.lastError }) };
    if (this.lastOk) return { fill: 'green', shape: 'dot', text: this.t('status.ok') };
    if (this.journalNote) return { fill: 'yellow', shape: 'ring', text: this.t(`status.journal${this.journalNote === 'torn' ? 'Torn' : 'Unreadable'}`) };
    return undefined;
  }
}
