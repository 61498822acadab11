// Turns the strings and numbers stored in a flow into checked runtime settings. Ranges and
// defaults come from the settings table the editor's dialog checks against (setting-table.ts).

import type { RetrySettings } from '../api/retry-policy';
import type { ConfigNodeDef, DataNodeDef } from './node-settings';
import type { BatchSettings } from '../batch/buffer';
import { rangedSetting, SETTING_TABLE } from './setting-table';

const CONFIG = SETTING_TABLE.ranges.config;
const BATCH = SETTING_TABLE.ranges.batch;
/** Record JSON bytes one node may hold buffered, unless settings.js `fullstory.maxBufferedBytes` says otherwise. */
const MAX_BUFFERED_BYTES = 64 * 1024 * 1024;

/** A number from a node property; falls back to the default when empty or not a number. */
export function numberSetting(value: unknown, fallback: number, min: number, max: number): number {
  const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
  if (!Number.isFinite(n)) return fallback;
  return Math.min(max, Math.max(min, n));
}

/** The config node's journal setting: on unless turned off; an empty directory means the default. */
export interface JournalSetting {
  enabled: boolean;
  directory: string;
}

export function journalSetting(def: Partial<ConfigNodeDef>): JournalSetting {
  const enabled = def.journal === undefined ? SETTING_TABLE.journalByDefault : def.journal !== false && (def.journal as unknown) !== 'false';
  return { enabled, directory: typeof def.journalDir === 'string' ? def.journalDir.trim() : '' };
}

export interface ClientLimits {
  timeoutMs: number;
  retry: RetrySettings;
  maxConcurrency: number;
  maxJobs: number;
  requestsPerSecond: number;
}

export function clientLimits(def: Partial<ConfigNodeDef>): ClientLimits {
  return {
    timeoutMs: rangedSetting(def.timeout, CONFIG.timeout) * 1000,
    retry: {
      maxAttempts: rangedSetting(def.maxAttempts, CONFIG.maxAttempts),
      budgetMs: rangedSetting(def.retryBudget, CONFIG.retryBudget) * 1000,
      baseDelayMs: 500,
      maxDelayMs: 8000,
    },
    maxConcurrency: rangedSetting(def.maxConcurrency, CONFIG.maxConcurrency),
    maxJobs: rangedSetting(def.maxJobs, CONFIG.maxJobs),
    requestsPerSecond: rangedSetting(def.rateLimit, CONFIG.rateLimit),
  };
}

/**
 * Batch settings of a data node. The buffer bound is the node's own setting, tightened by
 * Node-RED's `nodeMessageBufferMaxLength` when the runtime sets one.
 */
export interface RuntimeTuning {
  /** settings.js `fullstory.pollIntervalMs`: first wait between job status polls (default 2000). */
  pollIntervalMs?: unknown;
  /** settings.js `fullstory.maxBufferedBytes`: record JSON bytes one node may hold buffered (default 64 MiB). */
  maxBufferedBytes?: unknown;
}

export function batchSettings(
  def: Partial<DataNodeDef>,
  runtimeBufferMax: unknown,
  closeTimeoutMs: number,
  tuning: RuntimeTuning = {},
): BatchSettings {
  const ownMax = rangedSetting(def.maxBuffered, BATCH.maxBuffered);
  const runtimeMax = typeof runtimeBufferMax === 'number' && runtimeBufferMax > 0 ? runtimeBufferMax : Infinity;
  return {
    batchSize: rangedSetting(def.batchSize, BATCH.batchSize),
    flushIntervalMs: rangedSetting(def.flushInterval, BATCH.flushInterval) * 1000,
    jobTimeoutMs: rangedSetting(def.jobTimeout, BATCH.jobTimeout) * 1000,
    maxBuffered: Math.min(ownMax, runtimeMax),
    maxBufferedBytes: Math.round(numberSetting(tuning.maxBufferedBytes, MAX_BUFFERED_BYTES, 1024, 2 ** 40)),
    pollIntervalMs: numberSetting(tuning.pollIntervalMs, 2000, 10, 60_000),
    maxPollIntervalMs: 30_000,
    closeBudgetMs: Math.max(1000, Math.round(closeTimeoutMs * 0.6)),
  };
}
