// Text fields that name or describe a user, for both data nodes: the user node's uid, email and
// display name, and the event node's user.uid, user.id and session.uid. FullStory compares these
// as text, so nothing here coerces a value: "123" and 123 are different uids.

import { invalidInput, type FullStoryError } from '../api/errors';
import { catalogText, type TextValue } from '../api/texts';
import { atField, describeType } from './values';

/** FullStory's length limits (README §2.0). */
export const USER_FIELD_LIMITS = { uid: 256, display_name: 256, email: 128, id: 256 } as const;

// eslint-disable-next-line no-control-regex -- rejecting control characters is the point
const CONTROL_CHARS_RE = /[\u0000-\u001f\u007f-\u009f]/;
/** Half of a UTF-16 surrogate pair without its other half: not a character at all. */
const LONE_SURROGATE_RE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Length in characters (code points), counted only when the UTF-16 length is over the limit. */
function longerThan(text: string, max: number): boolean {
  if (text.length <= max) return false;
  let count = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0xdc00 || c > 0xdfff) count++; // a low surrogate belongs to the character before it
    if (count > max) return true;
  }
  return false;
}

/**
 * An optional text field: undefined, null and '' mean "not given"; anything but a string is
 * refused (never coerced, because "123" and 123 are different uids to FullStory).
 */
export function optionalText(value: unknown, field: string, max: number, label: TextValue = field): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') {
    const shown = typeof value === 'number' ? ` (${String(value)})` : '';
    const vars = { label, at: atField(field), type: describeType(value), value: shown };
    // A number (or BigInt) only needs converting: say how.
    throw invalidInput('invalid_field', typeof value === 'number' || typeof value === 'bigint'
      ? catalogText('config:errors.field.notStringConvert', vars)
      : catalogText('config:errors.field.notString', vars), field);
  }
  if (longerThan(value, max)) {
    throw invalidInput('invalid_field', catalogText('config:errors.field.tooLong', { label, at: atField(field), length: value.length, max }), field);
  }
  // JSON would carry it as an escape that FullStory stores as "�" (a uid would name another user),
  // and a URL cannot carry it at all (encodeURIComponent throws).
  if (LONE_SURROGATE_RE.test(value)) {
    throw invalidInput('invalid_field', catalogText('config:errors.field.loneSurrogate', { label, at: atField(field) }), field);
  }
  return value;
}

function controlCharError(field: string, label: TextValue): FullStoryError {
  return invalidInput('invalid_field', catalogText('config:errors.field.controlChar', { label, at: atField(field) }), field);
}

/** Throws when a text that names a user holds a control character (see optionalUserKey). */
export function refuseControlChars(text: string, field: string, label: TextValue): void {
  if (CONTROL_CHARS_RE.test(text)) throw controlCharError(field, label);
}

/**
 * An optional uid or user id: optionalText plus no control characters. These values name a user
 * (in a body, a query or a path), so "abc\n" must not become a second user that a delete by uid,
 * which refuses control characters, could never reach.
 */
export function optionalUserKey(value: unknown, field: string, max: number, label: TextValue = field): string | undefined {
  const text = optionalText(value, field, max, label);
  if (text !== undefined) refuseControlChars(text, field, label);
  return text;
}
