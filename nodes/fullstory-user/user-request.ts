// User requests: turns msg.payload and the node's settings into the UserFields body of
// create/update/batch import (README §2.1), in the v2 shape or the v1 flat "customvars" shape
// (README §2.4, §4.4), and into the user that get, list and delete name; or throws an error that
// tells a low-code user what to change. Pure: no HTTP, no Node-RED.

import type { PropertyType, UserFields } from '../lib/api/types';
import { invalidInput } from '../lib/api/errors';
import { catalogText } from '../lib/api/texts';
import type { UserFilter } from '../lib/api/endpoints';
import { isGiven, SettingsOverPayload, type PayloadRole } from '../lib/validate/payload-role';
import { buildProperties, parseSchemaObject } from '../lib/validate/properties';
import { nameForFix } from '../lib/validate/property-names';
import { optionalText, optionalUserKey, refuseControlChars, USER_FIELD_LIMITS } from '../lib/validate/text-fields';
import { unknownFieldError, unknownFieldVars } from '../lib/validate/unknown-field';
import { buildV1Properties, readV1Fields, splitV1Suffix } from '../lib/validate/v1-fields';
import { atField, commaList, describeType, isPlainObject } from '../lib/validate/values';

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

/** The node's settings for one msg over its payload: what every user operation reads. */
type UserOver = SettingsOverPayload<keyof UserSettings>;

function overPayload(options: UserRequestOptions): UserOver {
  return new SettingsOverPayload<keyof UserSettings>(options.settings ?? {}, options.payloadRole);
}

const V2_FIELDS = commaList(['uid', 'display_name', 'email', 'properties', 'schema', 'id']);

/** Likely intended spelling of an unknown top-level field. */
const USER_FIELD_HINTS: ReadonlyMap<string, string> = new Map([
  ['displayName', 'display_name'], ['displayname', 'display_name'], ['name', 'display_name'],
  ['userId', 'uid'], ['user_id', 'uid'], ['userID', 'uid'], ['externalId', 'uid'],
  ['emailAddress', 'email'], ['email_address', 'email'], ['mail', 'email'],
  ['props', 'properties'], ['customProperties', 'properties'], ['custom_properties', 'properties'],
]);

/**
 * Validates a FullStory user id or uid used in a URL path: non-empty string ≤256, no control
 * characters, and (for ids, which become a path segment) not "." or "..", which a URL parser
 * resolves as path steps even when encoded (the caller encodes everything else).
 */
export function requireUserKey(value: unknown, field: 'id' | 'uid'): string {
  const label = field === 'id' ? catalogText('config:errors.label.userId') : 'uid';
  if (value === undefined || value === null || value === '') {
    throw invalidInput('missing_field', field === 'id' ? catalogText('user:errors.user.missingId') : catalogText('user:errors.user.missingUid'), field);
  }
  const text = optionalText(value, field, USER_FIELD_LIMITS[field], label) as string;
  if (text.trim() === '') {
    throw invalidInput('invalid_field', catalogText('user:errors.field.whitespace', { label, at: atField(field) }), field);
  }
  refuseControlChars(text, field, label);
  if (field === 'id' && (text === '.' || text === '..')) {
    throw invalidInput('invalid_field', catalogText('user:errors.user.dotId', { label, at: atField(field), value: JSON.stringify(text) }), field);
  }
  return text;
}

function notAnObject(payload: unknown) {
  return invalidInput('invalid_payload', catalogText('user:errors.user.payloadNotObject', { type: describeType(payload) }));
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
  return unknownFieldError({
    text: hint !== undefined
      ? catalogText('user:errors.user.unknownFieldHint', { ...unknownFieldVars(key, key), fields: V2_FIELDS, hint })
      : catalogText('user:errors.user.unknownFieldCustom', { ...unknownFieldVars(key, key), fields: V2_FIELDS, suggestion: nameForFix(key) }),
  }, key);
}

type Parsed = { fields: UserFields; id?: string };

function fromV2(payload: Record<string, unknown>, keys: readonly string[], options: UserRequestOptions, over: UserOver): Parsed {
  const fields: UserFields = {};
  let id: string | undefined;
  for (const key of keys) {
    const value = payload[key];
    switch (key) {
      // A field the node's setting replaces is not read (payload-role.ts).
      case 'uid': if (!over.sets('uid')) { const v = optionalUserKey(value, key, USER_FIELD_LIMITS.uid); if (v !== undefined) fields.uid = v; } break;
      case 'display_name': if (!over.sets('display_name')) { const v = optionalText(value, key, USER_FIELD_LIMITS.display_name); if (v !== undefined) fields.display_name = v; } break;
      case 'email': if (!over.sets('email')) { const v = optionalText(value, key, USER_FIELD_LIMITS.email); if (v !== undefined) fields.email = v; } break;
      case 'id': if (!over.sets('id') && value !== undefined && value !== null && value !== '') id = requireUserKey(value, 'id'); break;
      case 'properties': case 'schema': break; // read below, together
      default:
        if (!over.ignoresUnknownFields) throw unknownV2Field(key);
    }
  }
  const explicit = parseSchemaObject(payload.schema, 'schema');
  const input = over.properties(payload.properties, 'properties');
  const { properties, schema } = buildProperties(input, options.declaredTypes, explicit, 'properties');
  if (properties !== undefined) fields.properties = properties;
  if (schema !== undefined) fields.schema = schema;
  return id === undefined ? { fields } : { fields, id };
}

function fromV1(payload: Record<string, unknown>, keys: readonly string[], options: UserRequestOptions, over: UserOver): Parsed {
  const fields: UserFields = {};
  let id: string | undefined;
  const custom: Array<[string, unknown]> = [];
  for (const key of keys) {
    const value = payload[key];
    switch (key) {
      case 'displayName':
      case 'display_name': {
        if (over.sets('display_name')) break;
        const v = optionalText(value, key, USER_FIELD_LIMITS.display_name, catalogText('user:errors.label.displayName'));
        if (v === undefined) break;
        if (fields.display_name !== undefined && fields.display_name !== v) {
          throw invalidInput('invalid_field', catalogText('user:errors.user.twoDisplayNames', { at: atField(key) }), key);
        }
        fields.display_name = v;
        break;
      }
      case 'uid': if (!over.sets('uid')) { const v = optionalUserKey(value, key, USER_FIELD_LIMITS.uid); if (v !== undefined) fields.uid = v; } break;
      case 'email': if (!over.sets('email')) { const v = optionalText(value, key, USER_FIELD_LIMITS.email); if (v !== undefined) fields.email = v; } break;
      case 'id': if (!over.sets('id') && value !== undefined && value !== null && value !== '') id = requireUserKey(value, 'id'); break;
      default:
        // Without a type suffix a v1 field is not FullStory's (readV1Fields refuses it).
        if (splitV1Suffix(key) !== undefined || !over.ignoresUnknownFields) custom.push([key, value]);
    }
  }
  if (custom.length > 0 || over.sets('properties')) {
    const v1 = readV1Fields(custom, '');
    const input = over.properties(v1.properties, 'properties', v1);
    const { properties, schema } = buildV1Properties(v1, options.declaredTypes, '', input);
    if (properties !== undefined) fields.properties = properties;
    if (schema !== undefined) fields.schema = schema;
  }
  return id === undefined ? { fields } : { fields, id };
}

/** The node's settings that are given for this msg replace the payload's fields. */
function applySettings(parsed: Parsed, over: UserOver): Parsed {
  const { fields } = parsed;
  if (over.sets('uid')) fields.uid = optionalUserKey(over.setting('uid'), 'uid', USER_FIELD_LIMITS.uid);
  if (over.sets('display_name')) fields.display_name = optionalText(over.setting('display_name'), 'display_name', USER_FIELD_LIMITS.display_name);
  if (over.sets('email')) fields.email = optionalText(over.setting('email'), 'email', USER_FIELD_LIMITS.email);
  if (over.sets('id')) parsed.id = requireUserKey(over.setting('id'), 'id');
  return parsed;
}

/**
 * payload → UserFields for create/update/batch import. Accepts the v2 shape
 * {uid, display_name, email, properties, schema} and, when the object looks like v1 (has
 * displayName or any top-level key ending in a v1 type suffix, and no `properties`), the v1 flat
 * shape. `id` (the FullStory user id) is allowed in both and returned separately.
 */
export function buildUserFields(payload: unknown, options: UserRequestOptions): Parsed {
  const over = overPayload(options);
  // A source may be missing: the node's settings then supply everything.
  const source = (payload === undefined || payload === null) && over.ignoresUnknownFields ? {} : payload;
  if (!isPlainObject(source)) throw notAnObject(payload);
  const keys = Object.keys(source);
  const parsed = looksLikeV1(source, keys) ? fromV1(source, keys, options, over) : fromV2(source, keys, options, over);
  return applySettings(parsed, over);
}


// ---------------------------------------------------------------------------------------------
// get, list and delete: the user they name (or the list's filter), from the node's settings or
// msg.payload, by the same rule as the fields of an upsert.

/** The payload's fields, or none when it is not an object (the settings may still name the user). */
function payloadData(payload: unknown): Record<string, unknown> {
  return isPlainObject(payload) ? payload : {};
}

/** get: the FullStory user id. */
export function userIdToGet(payload: unknown, options: UserRequestOptions): string {
  return requireUserKey(overPayload(options).pick('id', payloadData(payload).id).value, 'id');
}

/** list: the filter (uid, email, display_name; each optional). */
export function buildUserFilter(payload: unknown, options: UserRequestOptions): UserFilter {
  const data = payloadData(payload);
  const over = overPayload(options);
  const filters = { uid: over.pick('uid', data.uid).value, email: over.pick('email', data.email).value, display_name: data.display_name };
  const filter: UserFilter = {};
  // Same rules as the fields themselves: text only, FullStory's lengths, no control characters in a uid.
  for (const key of ['uid', 'email', 'display_name'] as const) {
    const value = key === 'uid'
      ? optionalUserKey(filters[key], key, USER_FIELD_LIMITS[key], catalogText('user:errors.label.filter', { field: key }))
      : optionalText(filters[key], key, USER_FIELD_LIMITS[key], catalogText('user:errors.label.filter', { field: key }));
    if (value !== undefined) filter[key] = value;
  }
  return filter;
}

/** delete: the user, by FullStory user id or by uid (exactly one of them). */
export function userToDelete(payload: unknown, options: UserRequestOptions): { id: string; uid?: undefined } | { id?: undefined; uid: string } {
  const data = payloadData(payload);
  const over = overPayload(options);
  const idValue = over.pick('id', data.id).value;
  const uidValue = over.pick('uid', data.uid).value;
  const hasId = isGiven(idValue);
  const hasUid = isGiven(uidValue);
  if (hasId === hasUid) {
    throw invalidInput('invalid_identification', hasId ? catalogText('user:errors.user.deleteBoth') : catalogText('user:errors.user.deleteMissing'), 'payload');
  }
  return hasId ? { id: requireUserKey(idValue, 'id') } : { uid: requireUserKey(uidValue, 'uid') };
}
