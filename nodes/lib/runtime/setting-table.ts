// The settings table the runtime shares with the editor: resources/fullstory-settings.js (the
// editor loads the same file as a resource). Read once and checked here, so the rest of the
// runtime gets typed ranges and field lists. The build copies resources/ to dist/resources/:
// the relative path below holds from nodes/ (tests) and from dist/nodes/ (the package).

import type { EventAssociation, UserField, UserOperation } from './node-settings';

export interface SettingRange {
  min: number;
  max: number;
  /** A new node's value, and the runtime's when the flow has none. */
  default: number;
  /** Whole numbers only: the runtime rounds. */
  integer: boolean;
  /** The dialog spinner's step (the editor's business). */
  step?: number;
}

const CONFIG_SETTINGS = ['timeout', 'maxAttempts', 'retryBudget', 'maxConcurrency', 'maxJobs', 'rateLimit'] as const;
const BATCH_SETTINGS = ['batchSize', 'flushInterval', 'jobTimeout', 'maxBuffered'] as const;
const OPERATIONS: readonly UserOperation[] = ['upsert', 'update', 'get', 'list', 'delete'];
const USER_FIELDS: readonly UserField[] = ['uid', 'userId', 'email', 'displayName', 'properties'];
const ASSOCIATIONS: readonly EventAssociation[] = ['payload', 'uid', 'userId', 'sessionId', 'anonymous'];

export type ConfigSetting = (typeof CONFIG_SETTINGS)[number];
export type BatchSetting = (typeof BATCH_SETTINGS)[number];

export interface SettingTable {
  ranges: { config: Readonly<Record<ConfigSetting, SettingRange>>; batch: Readonly<Record<BatchSetting, SettingRange>> };
  userFieldsByOperation: Readonly<Record<UserOperation, readonly UserField[]>>;
  eventAssociationsWithValue: readonly EventAssociation[];
  journalByDefault: boolean;
}

function fail(what: string): never {
  throw new Error(`resources/fullstory-settings.js: ${what}`);
}

function objectAt(value: unknown, where: string): Record<string, unknown> {
  if (!value || typeof value !== 'object' || Array.isArray(value)) fail(`${where} is not an object`);
  return value as Record<string, unknown>;
}

function rangesOf<K extends string>(value: unknown, where: string, names: readonly K[]): Record<K, SettingRange> {
  const group = objectAt(value, where);
  const out = {} as Record<K, SettingRange>;
  for (const name of names) {
    const r = objectAt(group[name], `${where}.${name}`);
    const { min, max, default: fallback, integer, step } = r;
    const numbers = [min, max, fallback, ...(step === undefined ? [] : [step])];
    if (!numbers.every((n) => typeof n === 'number' && Number.isFinite(n)) || typeof integer !== 'boolean') {
      fail(`${where}.${name} needs numbers min, max, default (and step) and a boolean integer`);
    }
    const range = r as unknown as SettingRange;
    if (!(range.min <= range.default && range.default <= range.max)) fail(`${where}.${name}: default is outside min..max`);
    out[name] = Object.freeze({ ...range });
  }
  return Object.freeze(out);
}

function listOf<T extends string>(value: unknown, where: string, allowed: readonly T[]): readonly T[] {
  if (!Array.isArray(value) || !value.every((v) => allowed.includes(v as T))) fail(`${where} must list only ${allowed.join(', ')}`);
  return Object.freeze([...(value as T[])]);
}

/** Checks the table's shape: a table the runtime cannot trust is our bug, so it throws at load. */
export function checkSettingTable(value: unknown): SettingTable {
  const table = objectAt(value, 'the table');
  const ranges = objectAt(table.ranges, 'ranges');
  const byOperation = objectAt(table.userFieldsByOperation, 'userFieldsByOperation');
  const userFieldsByOperation = {} as Record<UserOperation, readonly UserField[]>;
  for (const op of OPERATIONS) userFieldsByOperation[op] = listOf(byOperation[op], `userFieldsByOperation.${op}`, USER_FIELDS);
  return {
    ranges: { config: rangesOf(ranges.config, 'ranges.config', CONFIG_SETTINGS), batch: rangesOf(ranges.batch, 'ranges.batch', BATCH_SETTINGS) },
    userFieldsByOperation: Object.freeze(userFieldsByOperation),
    eventAssociationsWithValue: listOf(table.eventAssociationsWithValue, 'eventAssociationsWithValue', ASSOCIATIONS),
    journalByDefault: typeof table.journalByDefault === 'boolean' ? table.journalByDefault : fail('journalByDefault must be a boolean'),
  };
}

// eslint-disable-next-line @typescript-eslint/no-require-imports -- a plain script shared with the editor
export const SETTING_TABLE: SettingTable = checkSettingTable(require('../../../resources/fullstory-settings.js'));

/** A number setting from the flow: the default when absent or not a number, else clamped to its range. */
export function rangedSetting(value: unknown, range: SettingRange): number {
  const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
  if (!Number.isFinite(n)) return range.default;
  const clamped = Math.min(range.max, Math.max(range.min, n));
  return range.integer ? Math.round(clamped) : clamped;
}
