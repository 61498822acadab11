// The controller both data nodes share: takes each msg in, sends it as a single request or puts
// its records in the batch buffer, and makes sure it leaves exactly once (output 1 = success,
// output 2 = failure) with done() called. The user and event nodes only say how to build requests
// (node-behaviour.ts). Its parts: message-exit.ts (the one way out), batch-intake.ts (batch mode),
// single-mode.ts (one call per msg), node-journal.ts (batch mode's journal).

import type { Node, NodeAPI, NodeMessageInFlow } from 'node-red';
import { asFullStoryError, FullStoryError } from '../api/errors';
import { catalogText } from '../api/texts';
import type { FullStoryClient } from '../api/client';
import { BatchBuffer, newCloseController } from '../batch/buffer';
import { sayText, type Translate } from '../delivery/error-text';
import { HeldMessage, type Done, type Send } from '../delivery/held-message';
import { workingMsg } from '../delivery/msg-fields';
import { internalFaultText } from '../delivery/undeliverable';
import { thrownText } from '../validate/unreadable-input';
import { BatchIntake, handleControl } from './batch-intake';
import { DataNodeExit } from './message-exit';
import type { DataNodeBehaviour } from './node-behaviour';
import { DataNodeJournal, warnOfUnusedJournal } from './node-journal';
import type { DataNodeDef } from './node-settings';
import { NodeStatusBoard } from './node-status';
import { batchSettings, journalSetting as journalSettingOf, type JournalSetting } from './settings';
import { SingleMode } from './single-mode';

// The node folders import everything of the controller from here.
export type { DataNodeBehaviour, SingleCall } from './node-behaviour';

export interface ClientProvider {
  client(): FullStoryClient;
  /** Batch mode's write-ahead journal: on (default) or off, and where (absent: on, default place). */
  journal?: JournalSetting;
}

export class DataNodeController {
  private readonly status: NodeStatusBoard;
  /** The one way a msg leaves: output 1 or 2, then done(). */
  private readonly exit: DataNodeExit;
  private readonly batch: BatchBuffer | undefined;
  /** Batch mode: msgs into records in the batch buffer. */
  private readonly intake: BatchIntake | undefined;
  /** One call per msg (single mode, and what batch mode does not batch); absent without a config node. */
  private readonly single: SingleMode | undefined;
  /** Batch mode: its journal's problems and the records it recovered. */
  private readonly journal: DataNodeJournal | undefined;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly closing = newCloseController();
  private readonly closeBudgetMs: number;
  private readonly logError: (text: string) => void;
  private readonly translate: Translate;
  private readonly behaviour: DataNodeBehaviour;

  constructor(
    RED: NodeAPI,
    node: Node,
    def: DataNodeDef,
    private readonly config: ClientProvider | null,
    behaviour: DataNodeBehaviour,
  ) {
    this.logError = (text) => node.error(text);
    this.translate = (key, vars) => RED._(key, vars);
    this.behaviour = behaviour;
    this.status = new NodeStatusBoard(node, (key, vars) => RED._(`${def.type}.${key}`, vars as Record<string, string | number>));
    this.exit = new DataNodeExit(this.status, this.translate, node, def.reportToCatch);
    const settings = RED.settings as unknown as { nodeMessageBufferMaxLength?: unknown; nodeCloseTimeout?: unknown; fullstory?: { pollIntervalMs?: unknown } };
    const closeTimeout = typeof settings.nodeCloseTimeout === 'number' ? settings.nodeCloseTimeout : 15_000;
    const batch = batchSettings(def, settings.nodeMessageBufferMaxLength, closeTimeout, settings.fullstory ?? {});
    this.closeBudgetMs = batch.closeBudgetMs;
    if (!config) this.status.notConfigured();
    else this.status.start();
    const journalSetting = config?.journal ?? journalSettingOf({});
    if (config && (def.mode !== 'batch' || !journalSetting.enabled)) {
      // A journal of an earlier life (batch mode, journal on) that this one will not read: said, never deleted.
      warnOfUnusedJournal(RED, node, journalSetting, this.translate);
    }
    if (config) this.single = new SingleMode(behaviour, this.exit, this.status, config, this.closing.signal, this.onAttempt);
    if (def.mode === 'batch' && config) {
      const journal = new DataNodeJournal(RED, node, this.status, this.translate);
      this.journal = journal;
      const opened = journal.open(journalSetting);
      this.batch = new BatchBuffer(behaviour.resource, batch, () => config.client(), this.exit, {
        queued: (n) => this.status.setQueued(n),
        jobs: (n) => this.status.setJobs(n),
        jobFinished: (ok, code) => this.status.recordResult(ok, code),
        attempt: this.onAttempt,
        warn: (text) => node.warn(sayText(this.translate, text)),
        error: (text) => node.error(sayText(this.translate, text)),
        journalFailed: (error) => journal.unavailable(error.code ?? 'EIO'),
        journalKept: (records, file) => journal.kept(records, file),
        journalOrphaned: (records, file) => journal.orphaned(records, file),
      }, opened?.journal);
      this.intake = new BatchIntake(this.batch, behaviour, this.exit, journal, (work) => this.track(work));
      if (opened) journal.resume(this.batch, opened, behaviour.batchOperation);
    }
  }

  /** The 'input' handler. Never throws, never leaves a msg behind. */
  handle(received: NodeMessageInFlow, send: Send, done: Done): void {
    // A frozen or sealed msg is worked on as a shallow copy: the msg itself stays as it was (and
    // Node-RED's own copies of a msg are not frozen either).
    const msg = workingMsg(received) ?? received;
    try {
      if (handleControl(msg, send, done, this.batch, this.exit)) return;
      if (!this.config) throw new FullStoryError(catalogText('config:errors.node.notConfigured'), { code: 'not_configured' });
      if (this.intake && this.behaviour.goesToBatch(msg)) this.intake.enqueue(msg, send, done);
      else this.track(this.single!.send(msg, send, done));
    } catch (err) {
      // Only before the msg is held anywhere: the batch intake and single mode settle their own failures.
      this.exit.failure(new HeldMessage(msg, send, done, undefined, ''), asFullStoryError(err));
    }
  }

  /** Keeps the config node's sockets open until this node's final requests are done. */
  holdConfigOpen(closing: Promise<void>): void {
    try {
      this.config?.client().holdOpenUntil(closing);
    } catch {
      // No usable client: nothing to hold open.
    }
  }

  /** After each HTTP attempt of this node: the status shows at once when FullStory cannot be reached. */
  private readonly onAttempt = (failure: FullStoryError | undefined): void => {
    this.status.setUnreachable(unreachableCode(failure));
  };

  /** `removed`: the node was deleted from the flow (its journal settles), not restarted or redeployed. */
  async close(removed = true): Promise<void> {
    this.journal?.stop();
    // A batch that stays in the journal for the next instance has nothing to send now.
    const sending = this.batch && !this.batch.keepsOnClose(removed) ? this.batch.queuedCount : 0;
    this.status.setClosing({ records: sending, requests: this.inFlight.size });
    this.exit.startStopping();
    const pending = [...this.inFlight];
    if (this.batch) pending.push(this.batch.close(removed));
    // Single requests in flight get part of Node-RED's close timeout, then are cut off (they leave
    // on output 2 with code `closed`, retryable: their outcome at FullStory is unknown).
    const timer = setTimeout(() => this.closing.abort(), this.closeBudgetMs);
    try {
      await Promise.all(pending);
    } finally {
      clearTimeout(timer);
      this.status.dispose();
    }
    this.exit.reportStopped();
  }

  /**
   * Keeps async work in sight for close(). The tracked promise cannot reject: a failure here would be
   * our bug (every msg's own failures are settled before), so it is logged, never left unhandled.
   */
  private track(work: Promise<void>): void {
    const tracked: Promise<void> = work.then(
      () => void this.inFlight.delete(tracked),
      (err: unknown) => {
        this.inFlight.delete(tracked);
        this.internalFault(err);
      },
    );
    this.inFlight.add(tracked);
  }

  private internalFault(err: unknown): void {
    this.logError(internalFaultText(this.translate, thrownText(err, 300)));
  }
}

/** The code to show as "FullStory unreachable" for a failed attempt; undefined when FullStory answered. */
function unreachableCode(failure: FullStoryError | undefined): string | undefined {
  if (!failure) return undefined;
  if (failure.code === 'network_error' || failure.code === 'timeout') return failure.code;
  // A gateway in front of FullStory answered for it: FullStory itself was not reached.
  if (failure.status === 502 || failure.status === 503 || failure.status === 504) return failure.code;
  return undefined;
}

/** Registers the 'input' and 'close' handlers of a data node on its controller. */
export function attachController(RED: NodeAPI, node: Node, def: DataNodeDef, behaviour: DataNodeBehaviour): DataNodeController {
  const config = (RED.nodes.getNode(def.server) as unknown as ClientProvider | null) ?? null;
  const controller = new DataNodeController(RED, node, def, config && typeof config.client === 'function' ? config : null, behaviour);
  node.on('input', (msg: NodeMessageInFlow, send: Send, done: Done) => controller.handle(msg, send, done));
  // Two parameters: Node-RED then waits for done() (fn.length is checked).
  node.on('close', (removed: boolean, done: () => void) => {
    const closing = controller.close(removed === true);
    controller.holdConfigOpen(closing);
    closing.then(
      () => done(),
      (err: unknown) => {
        node.error(asFullStoryError(err).message);
        done();
      },
    );
  });
  return controller;
}
