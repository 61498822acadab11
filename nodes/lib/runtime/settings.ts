// Turns the strings and numbers stored in a flow into checked runtime settings. Ranges and
// defaults come from the settings table the editor's dialog checks against (setting-table.ts).

import type { RetrySettings } from '../api/retry-policy';
import type { ConfigNodeDef, DataNodeDef } from './node-settings';
import type { BatchSettings } from '../batch/buffer';
import { rangedSetting, SETTING_TABLE } from './setting-table';

const CONFIG = SETTING_TABLE.ranges.config;
const BATCH = SETTING_TABLE.ranges.batch;

/** A number from a node property; falls back to the default when empty or not a number. */
export function numberSetting(value: unknown, fallback: number, min: number, max: number): number {
  const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
  if (!Number.isFinite(n)) return fallback;
  return Math.min(max, Math.max(min, n));
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
    pollIntervalMs: numberSetting(tuning.pollIntervalMs, 2000, 10, 60_000),
    maxPollIntervalMs: 30_000,
    closeBudgetMs: Math.max(1000, Math.round(closeTimeoutMs * 0.6)),
  };
}
