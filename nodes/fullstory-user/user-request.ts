// User requests: turns msg.payload into the UserFields body of create/update/batch import
// (README §2.1), in the v2 shape or the v1 flat "customvars" shape (README §2.4, §4.4), or throws
// an error that tells a low-code user what to change. Pure: no HTTP, no Node-RED.

import type { PropertyType, UserFields } from '../lib/api/types';
import { invalidInput, type LocalErrorCode } from '../lib/api/errors';
import { ignoresUnknownFields, isGiven, withSettingProperties, type PayloadRole } from '../lib/validate/payload-role';
import {
  buildProperties, isValidPropertyName, nameForFix, parseSchemaObject, propertyNameError, splitV1Suffix,
} from '../lib/validate/properties';
import { at, atField, describeType, excerpt, isPlainObject, shorten } from '../lib/validate/values';

/** The user fields the node's own settings supply for one msg (see payload-role.ts). */
export interface UserSettings {
  uid?: unknown;
  id?: unknown;
  email?: unknown;
  display_name?: unknown;
  properties?: unknown;
}

export interface UserRequestOptions {
  declaredTypes: Record<string, PropertyType>;
  /** What msg.payload is (payload-role.ts); 'request' (strict) unless the node sets fields. */
  payloadRole?: PayloadRole;
  /** The node's settings for this msg; those given win over the payload's fields. */
  settings?: UserSettings;
}

const NO_SETTINGS: UserSettings = {};

/** FullStory's length limits (README §2.0). */
export const USER_FIELD_LIMITS = { uid: 256, display_name: 256, email: 128, id: 256 } as const;

// eslint-disable-next-line no-control-regex -- rejecting control characters is the point
const CONTROL_CHARS_RE = /[\u0000-\u001f\u007f-\u009f]/;
/** Half of a UTF-16 surrogate pair without its other half: not a character at all. */
const LONE_SURROGATE_RE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

const V2_FIELDS = 'uid, display_name, email, properties, schema and id';

/** Likely intended spelling of an unknown top-level field. */
const USER_FIELD_HINTS: ReadonlyMap<string, string> = new Map([
  ['displayName', 'display_name'], ['displayname', 'display_name'], ['name', 'display_name'],
  ['userId', 'uid'], ['user_id', 'uid'], ['userID', 'uid'], ['externalId', 'uid'],
  ['emailAddress', 'email'], ['email_address', 'email'], ['mail', 'email'],
  ['props', 'properties'], ['customProperties', 'properties'], ['custom_properties', 'properties'],
]);

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
export function optionalText(value: unknown, field: string, max: number, label = field): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') {
    const hint = typeof value === 'number' || typeof value === 'bigint'
      ? ` Convert it to text first, e.g. String(…) in a Function node or a Change node, because FullStory compares ${label} values as text.`
      : '';
    const shown = typeof value === 'number' ? ` (${excerpt(value)})` : '';
    throw invalidInput('invalid_field', `The ${label}${at(field)} must be a string, but it is ${describeType(value)}${shown}.${hint}`, field,
      { key: hint ? 'field.notStringConvert' : 'field.notString', vars: { label, at: atField(field), type: describeType(value), value: shown } });
  }
  if (longerThan(value, max)) {
    throw invalidInput('invalid_field', `The ${label}${at(field)} is ${value.length} characters long; FullStory accepts at most ${max}. Shorten it.`, field,
      { key: 'field.tooLong', vars: { label, at: atField(field), length: value.length, max } });
  }
  // JSON would carry it as an escape that FullStory stores as "�" (a uid would name another user),
  // and a URL cannot carry it at all (encodeURIComponent throws).
  if (LONE_SURROGATE_RE.test(value)) {
    throw invalidInput('invalid_field', `The ${label}${at(field)} contains a broken character (half of an emoji or other character, as left when text is cut in the wrong place). Fix the text where it is made.`, field,
      { key: 'field.loneSurrogate', vars: { label, at: atField(field) } });
  }
  return value;
}

function controlCharError(field: string, label: string) {
  return invalidInput('invalid_field', `The ${label}${at(field)} contains a control character (such as a line break or tab). Remove it; a trailing newline from a file or template is a common cause.`, field,
    { key: 'field.controlChar', vars: { label, at: atField(field) } });
}

/**
 * An optional uid or user id: optionalText plus no control characters. These values name a user
 * (in a body, a query or a path), so "abc\n" must not become a second user that a delete by uid,
 * which refuses control characters, could never reach.
 */
export function optionalUserKey(value: unknown, field: string, max: number, label = field): string | undefined {
  const text = optionalText(value, field, max, label);
  if (text !== undefined && CONTROL_CHARS_RE.test(text)) throw controlCharError(field, label);
  return text;
}

/**
 * Validates a FullStory user id or uid used in a URL path: non-empty string ≤256, no control
 * characters, and (for ids, which become a path segment) not "." or "..", which a URL parser
 * resolves as path steps even when encoded (the caller encodes everything else).
 */
export function requireUserKey(value: unknown, field: 'id' | 'uid'): string {
  const label = field === 'id' ? 'FullStory user id' : 'uid';
  if (value === undefined || value === null || value === '') {
    const how = field === 'id'
      ? 'Set msg.payload.id (the id FullStory returned when the user was created), or the node\'s User id.'
      : 'Set msg.payload.uid (your own id for the user), or the node\'s uid.';
    throw invalidInput('missing_field', `The ${label} is missing. ${how}`, field,
      { key: field === 'id' ? 'user.missingId' : 'user.missingUid' });
  }
  const text = optionalText(value, field, USER_FIELD_LIMITS[field], label) as string;
  if (text.trim() === '') {
    throw invalidInput('invalid_field', `The ${label}${at(field)} is only whitespace. Give the real ${label}.`, field,
      { key: 'field.whitespace', vars: { label, at: atField(field) } });
  }
  if (CONTROL_CHARS_RE.test(text)) throw controlCharError(field, label);
  if (field === 'id' && (text === '.' || text === '..')) {
    throw invalidInput('invalid_field',
      `The ${label}${at(field)} is ${JSON.stringify(text)}, which is not a FullStory user id: in a URL it would be read as a path step and the request would go to another endpoint. Give the id FullStory returned when the user was created.`, field,
      { key: 'user.dotId', vars: { label, at: atField(field), value: JSON.stringify(text) } });
  }
  return text;
}

function notAnObject(payload: unknown) {
  return invalidInput('invalid_payload',
    `msg.payload must be an object with the user's fields, e.g. {"uid": "user-1", "email": "a@example.com", "properties": {"plan": "pro"}}, but it is ${describeType(payload)}.`,
    undefined, { key: 'user.payloadNotObject', vars: { type: describeType(payload) } });
}

/** v1 customvars payloads are flat: displayName and/or suffixed custom fields, no `properties`. */
function looksLikeV1(payload: Record<string, unknown>, keys: readonly string[]): boolean {
  if (Object.hasOwn(payload, 'properties') && payload.properties !== undefined) return false;
  if (Object.hasOwn(payload, 'displayName')) return true;
  for (const key of keys) if (splitV1Suffix(key) !== undefined) return true;
  return false;
}

function unknownV2Field(key: string) {
  const hint = USER_FIELD_HINTS.get(key);
  const fix = hint !== undefined
    ? ` Did you mean "${hint}"?`
    : ` Custom data goes under properties, e.g. msg.payload.properties.${nameForFix(key)}.`;
  return invalidInput('invalid_field',
    `msg.payload has an unknown field ${JSON.stringify(key.slice(0, 40))}${at(key)}. User fields are ${V2_FIELDS}.${fix}`, key,
    hint !== undefined
      ? { key: 'user.unknownFieldHint', vars: { name: JSON.stringify(key.slice(0, 40)), at: atField(key), fields: V2_FIELDS, hint } }
      : { key: 'user.unknownFieldCustom', vars: { name: JSON.stringify(key.slice(0, 40)), at: atField(key), fields: V2_FIELDS, suggestion: nameForFix(key) } });
}

type Parsed = { fields: UserFields; id?: string };

function fromV2(payload: Record<string, unknown>, keys: readonly string[], options: UserRequestOptions, settings: UserSettings): Parsed {
  const fields: UserFields = {};
  let id: string | undefined;
  for (const key of keys) {
    const value = payload[key];
    switch (key) {
      // A field the node's setting replaces is not read (payload-role.ts).
      case 'uid': if (!isGiven(settings.uid)) { const v = optionalUserKey(value, key, USER_FIELD_LIMITS.uid); if (v !== undefined) fields.uid = v; } break;
      case 'display_name': if (!isGiven(settings.display_name)) { const v = optionalText(value, key, USER_FIELD_LIMITS.display_name); if (v !== undefined) fields.display_name = v; } break;
      case 'email': if (!isGiven(settings.email)) { const v = optionalText(value, key, USER_FIELD_LIMITS.email); if (v !== undefined) fields.email = v; } break;
      case 'id': if (!isGiven(settings.id) && value !== undefined && value !== null && value !== '') id = requireUserKey(value, 'id'); break;
      case 'properties': case 'schema': break; // read below, together
      default:
        if (!ignoresUnknownFields(options.payloadRole)) throw unknownV2Field(key);
    }
  }
  const explicit = parseSchemaObject(payload.schema, 'schema');
  const input = withSettingProperties(payload.properties, 'properties', settings.properties);
  const { properties, schema } = buildProperties(input, options.declaredTypes, explicit, 'properties');
  if (properties !== undefined) fields.properties = properties;
  if (schema !== undefined) fields.schema = schema;
  return id === undefined ? { fields } : { fields, id };
}

/** Reads suffixed v1 custom fields into v2 properties and their types (suffix stripped). */
export function readV1Fields(
  entries: ReadonlyArray<readonly [string, unknown]>,
  fieldPrefix: string,
): { properties: Record<string, unknown>; types: Record<string, PropertyType>; origin: Map<string, string> } {
  // Null prototype: even a name that slipped past the checks could not reach Object.prototype.
  const properties = Object.create(null) as Record<string, unknown>;
  const types: Record<string, PropertyType> = {};
  const origin = new Map<string, string>();
  for (const [key, value] of entries) {
    const field = fieldPrefix === '' ? key : `${fieldPrefix}.${key}`;
    const split = splitV1Suffix(key);
    if (split === undefined) {
      const base = nameForFix(key);
      throw invalidInput('invalid_property_name',
        `Field ${JSON.stringify(key.slice(0, 40))}${at(field)} has no v1 type suffix. In the v1 format every custom field needs one: ${base}_str, ${base}_int, ${base}_real, ${base}_bool, ${base}_date, or a list form such as ${base}_strs. Or switch to the v2 format and put the value under properties.`, field,
        { key: 'v1.noSuffix', vars: { name: JSON.stringify(key.slice(0, 40)), at: atField(field), base } });
    }
    if (!isValidPropertyName(split.name)) throw propertyNameError(split.name, field);
    const earlier = origin.get(split.name);
    if (earlier !== undefined) {
      const [first, second, name] = [shorten(earlier, 40), shorten(key, 40), shorten(split.name, 40)];
      throw invalidInput('invalid_property_name',
        `Fields "${first}" and "${second}"${at(field)} both become the property "${name}" once their v1 suffixes are removed. Keep only one of them.`, field,
        { key: 'v1.sameProperty', vars: { earlier: first, key: second, at: atField(field), name } });
    }
    origin.set(split.name, key);
    properties[split.name] = value;
    types[split.name] = split.type;
  }
  return { properties, types, origin };
}

/**
 * Runs buildProperties for v1 fields, reporting errors against the field the user wrote
 * ("totalSpent_real") rather than the v2 property it became ("properties.totalSpent").
 */
export function buildV1Properties(
  v1: { properties: Record<string, unknown>; types: Record<string, PropertyType>; origin: Map<string, string> },
  declared: Record<string, PropertyType>,
  fieldPrefix: string,
  input: unknown = v1.properties,
): ReturnType<typeof buildProperties> {
  try {
    return buildProperties(input, declared, v1.types, 'properties');
  } catch (err) {
    const f = (err as { field?: unknown }).field;
    if (typeof f !== 'string' || !f.startsWith('properties.')) throw err;
    const rest = f.slice('properties.'.length);
    const dot = rest.indexOf('.');
    const name = dot === -1 ? rest : rest.slice(0, dot);
    const original = v1.origin.get(name);
    if (original === undefined) throw err;
    const mapped = (fieldPrefix === '' ? '' : `${fieldPrefix}.`) + original + (dot === -1 ? '' : rest.slice(dot));
    const e = err as { code: string; message: string };
    const marker = at(f);
    const message = e.message.includes(marker)
      ? e.message.replace(marker, ` (v1 field "${original}", at ${mapped})`)
      : `${e.message} This is the v1 field "${original}".`;
    throw invalidInput(e.code as LocalErrorCode, message, mapped);
  }
}

function fromV1(payload: Record<string, unknown>, keys: readonly string[], options: UserRequestOptions, settings: UserSettings): Parsed {
  const fields: UserFields = {};
  let id: string | undefined;
  const custom: Array<[string, unknown]> = [];
  for (const key of keys) {
    const value = payload[key];
    switch (key) {
      case 'displayName':
      case 'display_name': {
        if (isGiven(settings.display_name)) break;
        const v = optionalText(value, key, USER_FIELD_LIMITS.display_name, 'display name');
        if (v === undefined) break;
        if (fields.display_name !== undefined && fields.display_name !== v) {
          throw invalidInput('invalid_field', `msg.payload has both displayName and display_name${at(key)} with different values. Keep one of them.`, key,
            { key: 'user.twoDisplayNames', vars: { at: atField(key) } });
        }
        fields.display_name = v;
        break;
      }
      case 'uid': if (!isGiven(settings.uid)) { const v = optionalUserKey(value, key, USER_FIELD_LIMITS.uid); if (v !== undefined) fields.uid = v; } break;
      case 'email': if (!isGiven(settings.email)) { const v = optionalText(value, key, USER_FIELD_LIMITS.email); if (v !== undefined) fields.email = v; } break;
      case 'id': if (!isGiven(settings.id) && value !== undefined && value !== null && value !== '') id = requireUserKey(value, 'id'); break;
      default:
        // Without a type suffix a v1 field is not FullStory's (readV1Fields refuses it).
        if (splitV1Suffix(key) !== undefined || !ignoresUnknownFields(options.payloadRole)) custom.push([key, value]);
    }
  }
  if (custom.length > 0 || isGiven(settings.properties)) {
    const v1 = readV1Fields(custom, '');
    const input = withSettingProperties(v1.properties, 'properties', settings.properties, v1);
    const { properties, schema } = buildV1Properties(v1, options.declaredTypes, '', input);
    if (properties !== undefined) fields.properties = properties;
    if (schema !== undefined) fields.schema = schema;
  }
  return id === undefined ? { fields } : { fields, id };
}

/** The node's settings that are given for this msg replace the payload's fields. */
function applySettings(parsed: Parsed, settings: UserSettings): Parsed {
  if (settings === NO_SETTINGS) return parsed;
  const { fields } = parsed;
  if (isGiven(settings.uid)) fields.uid = optionalUserKey(settings.uid, 'uid', USER_FIELD_LIMITS.uid);
  if (isGiven(settings.display_name)) fields.display_name = optionalText(settings.display_name, 'display_name', USER_FIELD_LIMITS.display_name);
  if (isGiven(settings.email)) fields.email = optionalText(settings.email, 'email', USER_FIELD_LIMITS.email);
  if (isGiven(settings.id)) parsed.id = requireUserKey(settings.id, 'id');
  return parsed;
}

/**
 * payload → UserFields for create/update/batch import. Accepts the v2 shape
 * {uid, display_name, email, properties, schema} and, when the object looks like v1 (has
 * displayName or any top-level key ending in a v1 type suffix, and no `properties`), the v1 flat
 * shape. `id` (the FullStory user id) is allowed in both and returned separately.
 */
export function buildUserFields(payload: unknown, options: UserRequestOptions): Parsed {
  const settings = options.settings ?? NO_SETTINGS;
  // A source may be missing: the node's settings then supply everything.
  const source = (payload === undefined || payload === null) && ignoresUnknownFields(options.payloadRole) ? {} : payload;
  if (!isPlainObject(source)) throw notAnObject(payload);
  const keys = Object.keys(source);
  const parsed = looksLikeV1(source, keys) ? fromV1(source, keys, options, settings) : fromV2(source, keys, options, settings);
  return applySettings(parsed, settings);
}
