// Turns the strings and numbers stored in a flow into checked runtime settings.

import type { RetrySettings } from '../api/retry-policy';
import { DEFAULTS, type ConfigNodeDef, type DataNodeDef } from './node-settings';
import type { BatchSettings } from '../batch/buffer';

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
  const enabled = def.journal === undefined ? DEFAULTS.journal : def.journal !== false && (def.journal as unknown) !== 'false';
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
    timeoutMs: numberSetting(def.timeout, DEFAULTS.timeoutSeconds, 1, 300) * 1000,
    retry: {
      maxAttempts: Math.round(numberSetting(def.maxAttempts, DEFAULTS.maxAttempts, 1, 20)),
      budgetMs: numberSetting(def.retryBudget, DEFAULTS.retryBudgetSeconds, 1, 3600) * 1000,
      baseDelayMs: 500,
      maxDelayMs: 8000,
    },
    maxConcurrency: Math.round(numberSetting(def.maxConcurrency, DEFAULTS.maxConcurrency, 1, 256)),
    maxJobs: Math.round(numberSetting(def.maxJobs, DEFAULTS.maxJobs, 1, DEFAULTS.maxJobsCeiling)),
    requestsPerSecond: numberSetting(def.rateLimit, DEFAULTS.rateLimit, 0, 10_000),
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
  const ownMax = Math.round(numberSetting(def.maxBuffered, DEFAULTS.maxBuffered, 1, 10_000_000));
  const runtimeMax = typeof runtimeBufferMax === 'number' && runtimeBufferMax > 0 ? runtimeBufferMax : Infinity;
  return {
    batchSize: Math.round(numberSetting(def.batchSize, DEFAULTS.batchSize, 1, DEFAULTS.maxBatchSize)),
    flushIntervalMs: numberSetting(def.flushInterval, DEFAULTS.flushIntervalSeconds, 0, 86_400) * 1000,
    jobTimeoutMs: numberSetting(def.jobTimeout, DEFAULTS.jobTimeoutSeconds, 1, 86_400) * 1000,
    maxBuffered: Math.min(ownMax, runtimeMax),
    maxBufferedBytes: Math.round(numberSetting(tuning.maxBufferedBytes, DEFAULTS.maxBufferedBytes, 1024, 2 ** 40)),
    pollIntervalMs: numberSetting(tuning.pollIntervalMs, 2000, 10, 60_000),
    maxPollIntervalMs: 30_000,
    closeBudgetMs: Math.max(1000, Math.round(closeTimeoutMs * 0.6)),
  };
}
