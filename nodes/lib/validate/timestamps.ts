// Timestamps: turns what users send (a Date, epoch milliseconds, ISO 8601 text) into the UTC ISO
// string FullStory expects. ISO text is parsed by hand rather than with Date.parse because
// Date.parse reads text without a timezone as local time, which would silently shift events by
// the server's offset; we refuse such text instead and say how to fix it.

import { types as utilTypes } from 'node:util';
import { invalidInput } from '../api/errors';
import { catalogText, type FixedText } from '../api/texts';
import { kindOf } from './values';

// date [T time [.fraction] zone]; the zone is optional here so that we can say "no timezone"
// rather than "not ISO 8601" when it is the only thing missing.
const ISO_RE =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?([Zz]|[+-]\d{2}(?::?\d{2})?)?)?$/;

/** Largest time a JavaScript Date can hold, either side of 1970. */
const MAX_DATE_MS = 8.64e15;
/** RFC 3339 (what FullStory takes) has four-digit years: 0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999Z. */
const FIRST_RFC3339_MS = -62_135_596_800_000;
const LAST_RFC3339_MS = 253_402_300_799_999;
/** 400 Gregorian years are exactly 146,097 days: lets years 0–99 avoid Date.UTC's 1900 offset. */
const MS_PER_400_YEARS = 146_097 * 86_400_000;
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];


type IsoResult = number | 'invalid' | 'no_zone' | 'date_only';

function daysIn(year: number, month: number): number {
  if (month === 2 && ((year % 4 === 0 && year % 100 !== 0) || year % 400 === 0)) return 29;
  return DAYS_IN_MONTH[month - 1];
}

/** Epoch ms of an ISO 8601 date-time with timezone, or why it is not one. */
function parseIso(text: string): IsoResult {
  const m = ISO_RE.exec(text);
  if (m === null) return 'invalid';
  const year = +m[1];
  const month = +m[2];
  const day = +m[3];
  if (month < 1 || month > 12 || day < 1 || day > daysIn(year, month)) return 'invalid';
  if (m[4] === undefined) return 'date_only';
  const hour = +m[4];
  const minute = +m[5];
  const second = m[6] === undefined ? 0 : +m[6];
  // 24:00 and leap seconds are legal ISO but a Date cannot hold them; nobody sends them on purpose.
  if (hour > 23 || minute > 59 || second > 59) return 'invalid';
  const zone = m[8];
  if (zone === undefined) return 'no_zone';
  const millis = m[7] === undefined ? 0 : +(m[7] + '00').slice(0, 3);
  let offsetMinutes = 0;
  if (zone !== 'Z' && zone !== 'z') {
    const offHours = +zone.slice(1, 3);
    const offMinutes = zone.length > 3 ? +zone.slice(zone.length - 2) : 0;
    if (offHours > 23 || offMinutes > 59) return 'invalid';
    offsetMinutes = (zone[0] === '-' ? -1 : 1) * (offHours * 60 + offMinutes);
  }
  let t = year < 100
    ? Date.UTC(year + 400, month - 1, day, hour, minute, second, millis) - MS_PER_400_YEARS
    : Date.UTC(year, month - 1, day, hour, minute, second, millis);
  t -= offsetMinutes * 60_000;
  return Math.abs(t) <= MAX_DATE_MS ? t : 'invalid';
}

/** The strict RFC 3339 form FullStory's server takes for `date` property text: seconds and zone required. */
const STRICT_DATE_RE = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2}))?$/;

/**
 * True for what a `date` property may hold as text: a calendar date ("2024-05-01") or an instant
 * "2024-05-01T12:00:00[.sss](Z|±hh:mm)". Stricter than toUtcIso, which can normalise what it reads;
 * property values are sent as they are, so they must already be in the server's form.
 */
export function isIsoDateString(text: string): boolean {
  if (!STRICT_DATE_RE.test(text)) return false;
  const r = parseIso(text);
  return typeof r === 'number' ? inRfc3339Range(r) : r === 'date_only' && text.slice(0, 4) !== '0000';
}

/** True when a moment (epoch ms) has an RFC 3339 form: years 0001 to 9999. */
export function inRfc3339Range(ms: number): boolean {
  return ms >= FIRST_RFC3339_MS && ms <= LAST_RFC3339_MS;
}

function quote(text: string): string {
  return JSON.stringify(text.length > 40 ? text.slice(0, 37) + '…' : text);
}

/** `problem`: what is wrong with the value (the catalog's `timestamp.<problem>` texts). */
function timestampError(field: string, problem: FixedText) {
  return invalidInput('invalid_timestamp', catalogText('config:errors.timestamp.invalid', { field, problem, forms: catalogText('config:errors.timestamp.forms') }), field);
}

/** The UTC ISO string of a moment, refused when it has no RFC 3339 form (toISOString writes "+275760-…"). */
function rfc3339(ms: number, field: string): string {
  const iso = new Date(ms).toISOString();
  if (!inRfc3339Range(ms)) throw timestampError(field, catalogText('config:errors.timestamp.outOfRange', { value: iso }));
  return iso;
}

/**
 * Date, epoch milliseconds (finite number), or ISO 8601 string WITH a timezone (Z or ±hh:mm)
 * → UTC ISO string (toISOString). Anything else → invalid_timestamp saying which forms are accepted.
 */
export function toUtcIso(value: unknown, field: string): string {
  if (typeof value === 'string') {
    const text = value.trim();
    const r = parseIso(text);
    if (typeof r === 'number') return rfc3339(r, field);
    if (r === 'no_zone') {
      throw timestampError(field, catalogText('config:errors.timestamp.noZone', { value: quote(text) }));
    }
    if (r === 'date_only') {
      throw timestampError(field, catalogText('config:errors.timestamp.dateOnly', { value: quote(text), text }));
    }
    throw text === ''
      ? timestampError(field, catalogText('config:errors.timestamp.empty'))
      : timestampError(field, catalogText('config:errors.timestamp.notIso', { value: quote(text) }));
  }
  if (typeof value === 'number') {
    if (Number.isFinite(value) && Math.abs(value) <= MAX_DATE_MS) return rfc3339(value, field);
    throw timestampError(field, catalogText('config:errors.timestamp.badNumber', { value: String(value) }));
  }
  if (utilTypes.isDate(value)) {
    const t = value.getTime();
    if (Number.isNaN(t)) throw timestampError(field, catalogText('config:errors.timestamp.invalidDate'));
    return rfc3339(t, field);
  }
  throw timestampError(field, catalogText('config:errors.timestamp.wrongType', { type: kindOf(value) }));
}
