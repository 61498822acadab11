// Event requests: turns msg.payload plus the node's editor settings into a CreateEventRequest
// (README §2.2), in the v2 shape or the v1 "Set User Events" shape (README §2.4), enforcing
// FullStory's one-identification-form rule locally so that a mixed form fails with a clear
// message instead of a 400 (or a failed batch record) later. Pure: no HTTP, no Node-RED.

import type { Context, CreateEventRequest, EventSession, EventUser, PropertyType } from '../lib/api/types';
import { invalidInput } from '../lib/api/errors';
import { catalogText, type FixedText, type TextValue } from '../lib/api/texts';
import { inputNote, type InputNote, type NoteSink } from '../lib/validate/notes';
import { isGiven, SettingsOverPayload, type PayloadRole } from '../lib/validate/payload-role';
import { buildProperties, parseSchemaObject } from '../lib/validate/properties';
import { nameForFix } from '../lib/validate/property-names';
import { toSessionId } from '../lib/validate/session-url';
import { optionalText, optionalUserKey, USER_FIELD_LIMITS } from '../lib/validate/text-fields';
import { toUtcIso } from '../lib/validate/timestamps';
import { quoteHint, unknownFieldError, unknownFieldVars, type FieldHolder } from '../lib/validate/unknown-field';
import { buildV1Properties, readV1Fields, type V1Fields } from '../lib/validate/v1-fields';
import { andList, atField, commaList, describeType, isPlainObject } from '../lib/validate/values';

export { toSessionId } from '../lib/validate/session-url';

export interface EventDefaults {
  /** From the editor; overrides payload.name when defined. */
  name?: unknown;
  /** Overrides payload.timestamp when defined. */
  timestamp?: unknown;
  /** Merged over payload.properties (editor keys win). */
  properties?: unknown;
  /** When set, REPLACES payload.user/session entirely. */
  association?: { kind: 'uid' | 'userId' | 'sessionId' | 'anonymous'; value?: unknown; useMostRecent: boolean };
  declaredTypes: Record<string, PropertyType>;
  /** What msg.payload is (payload-role.ts); 'request' (strict) unless the node sets fields. */
  payloadRole?: PayloadRole;
}

/** Client API rule (README §5); the server's own limit is not documented. */
export const MAX_EVENT_NAME = 250;
/**
 * Ours: FullStory documents no limit for context strings, so a runaway value (a whole page, a
 * file) would otherwise be sent as is; 8192 matches the property value limit.
 */
export const MAX_CONTEXT_TEXT = 8192;

const V2_FIELDS = commaList(['name', 'timestamp', 'properties', 'schema', 'user', 'session', 'context']);
const V1_FIELDS = commaList(['event_name', 'event_data', 'timestamp', 'session_url', 'device_session', 'use_recent_session', 'uid']);

const USER_ID_OR_UID = catalogText('event:errors.hint.userIdOrUid');
const EVENT_FIELD_HINTS: ReadonlyMap<string, string | FixedText> = new Map<string, string | FixedText>([
  ['eventName', 'name'], ['event', 'name'], ['type', 'name'],
  ['event_data', 'properties'], ['eventData', 'properties'], ['data', 'properties'], ['props', 'properties'], ['attributes', 'properties'],
  ['uid', 'user.uid'], ['userUid', 'user.uid'], ['user_id', USER_ID_OR_UID], ['userId', USER_ID_OR_UID],
  ['sessionId', 'session.id'], ['session_id', 'session.id'], ['session_url', 'session.id'], ['sessionUrl', 'session.id'],
  ['use_most_recent', 'session.use_most_recent'], ['useMostRecent', 'session.use_most_recent'],
  ['time', 'timestamp'], ['ts', 'timestamp'], ['date', 'timestamp'], ['eventTime', 'timestamp'],
]);

/** An event's user and session: what their unknown-field errors say about them. */
const eventUserField = (key: string): FieldHolder => ({ text: catalogText('event:errors.event.userUnknownField', unknownFieldVars(key, `user.${key}`)) });
const eventSessionField = (key: string): FieldHolder => ({ text: catalogText('event:errors.event.sessionUnknownField', unknownFieldVars(key, `session.${key}`)) });

const CONTEXT_HINTS: ReadonlyMap<string, string> = new Map([['web', 'browser'], ['app', 'mobile'], ['geo', 'location']]);

type ContextKind = 'string' | 'int32' | 'latitude' | 'longitude';

// Maps, not object literals: a key such as "constructor" must not find Object.prototype members.
const CONTEXT_SPEC: ReadonlyMap<string, ReadonlyMap<string, ContextKind>> = new Map<string, ReadonlyMap<string, ContextKind>>([
  ['browser', new Map<string, ContextKind>([['url', 'string'], ['user_agent', 'string'], ['initial_referrer', 'string']])],
  ['mobile', new Map<string, ContextKind>([['app_id', 'string'], ['app_version', 'string'], ['app_name', 'string'], ['build_variant', 'string']])],
  ['device', new Map<string, ContextKind>([
    ['manufacturer', 'string'], ['model', 'string'],
    ['screen_width', 'int32'], ['screen_height', 'int32'], ['viewport_width', 'int32'], ['viewport_height', 'int32'],
  ])],
  ['location', new Map<string, ContextKind>([
    ['country', 'string'], ['region', 'string'], ['city', 'string'], ['ip_address', 'string'],
    ['latitude', 'latitude'], ['longitude', 'longitude'],
  ])],
]);

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;


type EventOver = SettingsOverPayload<'name' | 'timestamp' | 'properties' | 'association'>;

/** The node's settings for one msg over its payload (payload-role.ts); the association replaces user and session. */
function overPayload(defaults: EventDefaults): EventOver {
  const { name, timestamp, properties, association } = defaults;
  return new SettingsOverPayload({ name, timestamp, properties, association }, defaults.payloadRole);
}

/** What the payload contributes, before the editor's settings are applied. */
interface Parts {
  name?: unknown;
  nameField: string;
  timestamp?: unknown;
  timestampField: string;
  properties?: unknown;
  propertiesField: string;
  explicit?: Record<string, PropertyType>;
  v1?: V1Fields;
  user?: EventUser;
  session?: EventSession;
  context?: Context;
  /** Said in msg.fullstory.notes once the event is built (e.g. a v1 uid that was not sent). */
  notes?: InputNote[];
}

function unknownField(key: string, field: string, allowed: TextValue, hint: string | FixedText | undefined, what: string) {
  return unknownFieldError({
    text: hint !== undefined
      ? catalogText('event:errors.event.unknownFieldHint', { ...unknownFieldVars(key, field), what, allowed, hint: typeof hint === 'string' ? quoteHint(hint) : hint })
      : catalogText('event:errors.event.unknownFieldCustom', { ...unknownFieldVars(key, field), what, allowed, suggestion: nameForFix(key) }),
  }, field);
}

// ---------------------------------------------------------------------------------------------
// v2 shape

function readUser(value: unknown): EventUser | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isPlainObject(value)) {
    throw invalidInput('invalid_field', typeof value === 'string'
      ? catalogText('event:errors.event.userNotObjectText', { at: atField('user'), type: describeType(value), value: JSON.stringify(value.slice(0, 40)) })
      : catalogText('event:errors.event.userNotObject', { at: atField('user'), type: describeType(value) }), 'user');
  }
  let out: EventUser | undefined;
  for (const key of Object.keys(value)) {
    switch (key) {
      case 'uid': {
        const v = optionalUserKey(value[key], 'user.uid', USER_FIELD_LIMITS.uid, catalogText('event:errors.label.userUid'));
        if (v !== undefined) (out ??= {}).uid = v;
        break;
      }
      case 'id': {
        const v = optionalUserKey(value[key], 'user.id', USER_FIELD_LIMITS.id, catalogText('config:errors.label.userId'));
        if (v !== undefined) (out ??= {}).id = v;
        break;
      }
      default:
        throw unknownFieldError(eventUserField(key), `user.${key}`);
    }
  }
  return out;
}

function readSession(value: unknown): EventSession | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isPlainObject(value)) {
    const vars = { at: atField('session'), type: describeType(value) };
    throw invalidInput('invalid_field', typeof value === 'string'
      ? catalogText('event:errors.event.sessionNotObjectText', vars)
      : catalogText('event:errors.event.sessionNotObject', vars), 'session');
  }
  let out: EventSession | undefined;
  for (const key of Object.keys(value)) {
    const v = value[key];
    switch (key) {
      case 'id':
        if (isGiven(v)) (out ??= {}).id = toSessionId(v, 'session.id');
        break;
      case 'uid': {
        const uid = optionalUserKey(v, 'session.uid', USER_FIELD_LIMITS.uid, catalogText('event:errors.label.sessionUid'));
        if (uid !== undefined) (out ??= {}).uid = uid;
        break;
      }
      case 'use_most_recent':
        if (v === undefined || v === null || v === false) break; // false is omitted (README §2.4)
        if (v !== true) {
          throw invalidInput('invalid_field', catalogText('event:errors.event.useMostRecentNotBool', { at: atField('session.use_most_recent'), type: describeType(v), value: typeof v === 'string' ? ` (${JSON.stringify(v.slice(0, 20))})` : '' }), 'session.use_most_recent');
        }
        (out ??= {}).use_most_recent = true;
        break;
      default:
        throw unknownFieldError(eventSessionField(key), `session.${key}`);
    }
  }
  return out;
}

function readContext(value: unknown): Context | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isPlainObject(value)) {
    throw invalidInput('invalid_field', catalogText('event:errors.event.contextNotObject', { at: atField('context'), type: describeType(value) }), 'context');
  }
  let out: Record<string, Record<string, unknown>> | undefined;
  for (const part of Object.keys(value)) {
    const spec = CONTEXT_SPEC.get(part);
    const partField = `context.${part}`;
    if (spec === undefined) {
      const hint = CONTEXT_HINTS.get(part);
      throw unknownFieldError({
        text: hint
          ? catalogText('event:errors.event.contextUnknownPartHint', { ...unknownFieldVars(part, partField), hint })
          : catalogText('event:errors.event.contextUnknownPart', unknownFieldVars(part, partField)),
      }, partField);
    }
    const sub = value[part];
    if (sub === undefined || sub === null) continue;
    if (!isPlainObject(sub)) {
      throw invalidInput('invalid_field', catalogText('event:errors.event.contextPartNotObject', { part: partField, at: atField(partField), type: describeType(sub) }), partField);
    }
    let clean: Record<string, unknown> | undefined;
    for (const key of Object.keys(sub)) {
      const kind = spec.get(key);
      const field = `${partField}.${key}`;
      if (kind === undefined) {
        const allowed = [...spec.keys()].join(', ');
        throw unknownFieldError({ text: catalogText('event:errors.event.contextUnknownField', { ...unknownFieldVars(key, field), part: partField, allowed }) }, field);
      }
      const v = sub[key];
      if (v === undefined || v === null || v === '') continue;
      checkContextValue(kind, v, field);
      (clean ??= {})[key] = v; // key is one of the spec's names
    }
    if (clean !== undefined) (out ??= {})[part] = clean;
  }
  return out as Context | undefined;
}

function checkContextValue(kind: ContextKind, v: unknown, field: string): void {
  let need: FixedText | undefined;
  switch (kind) {
    case 'string':
      if (typeof v !== 'string') need = catalogText('event:errors.event.needString');
      else if (v.length > MAX_CONTEXT_TEXT) {
        throw invalidInput('invalid_field', catalogText('event:errors.event.contextTooLong', { field, at: atField(field), length: v.length, max: MAX_CONTEXT_TEXT }), field);
      }
      break;
    case 'int32':
      if (typeof v !== 'number' || !Number.isInteger(v) || v < INT32_MIN || v > INT32_MAX) need = catalogText('event:errors.event.needPixels');
      break;
    case 'latitude':
      if (typeof v !== 'number' || !Number.isFinite(v) || v < -90 || v > 90) need = catalogText('event:errors.event.needLatitude');
      break;
    case 'longitude':
      if (typeof v !== 'number' || !Number.isFinite(v) || v < -180 || v > 180) need = catalogText('event:errors.event.needLongitude');
      break;
  }
  if (need === undefined) return;
  const shown = typeof v === 'string' ? JSON.stringify(v.slice(0, 40)) : typeof v === 'number' ? String(v) : describeType(v);
  const vars = { field, at: atField(field), shown, need };
  // Text where a number belongs only needs converting: say so.
  throw invalidInput('invalid_field', typeof v === 'string' && kind !== 'string'
    ? catalogText('event:errors.event.contextWrongValueConvert', vars)
    : catalogText('event:errors.event.contextWrongValue', vars), field);
}

/** With the payload as a source (payload-role.ts), unknown keys are ignored: it is the flow's own data. */
function readV2(src: Record<string, unknown>, over: EventOver): Parts {
  const parts: Parts = { nameField: 'name', timestampField: 'timestamp', propertiesField: 'properties' };
  let schema: unknown;
  for (const key of Object.keys(src)) {
    const value = src[key];
    switch (key) {
      case 'name': parts.name = value; break;
      case 'timestamp': parts.timestamp = value; break;
      case 'properties': parts.properties = value; break;
      case 'schema': schema = value; break;
      // The editor's association replaces these entirely, so they are not even read then.
      case 'user': if (!over.sets('association')) parts.user = readUser(value); break;
      case 'session': if (!over.sets('association')) parts.session = readSession(value); break;
      case 'context': parts.context = readContext(value); break;
      default:
        if (!over.ignoresUnknownFields) throw unknownField(key, key, V2_FIELDS, EVENT_FIELD_HINTS.get(key), 'msg.payload');
    }
  }
  parts.explicit = parseSchemaObject(schema, 'schema');
  return parts;
}

// ---------------------------------------------------------------------------------------------
// v1 shape: {event_name, event_data, timestamp, session_url, device_session, use_recent_session, uid},
// flat or wrapped in {event: {…}, uid} as the v1 endpoint took it.

function isV1(src: Record<string, unknown>): boolean {
  if (Object.hasOwn(src, 'event_name')) return true;
  const wrapped = Object.hasOwn(src, 'event') ? src.event : undefined;
  return isPlainObject(wrapped) && Object.hasOwn(wrapped, 'event_name');
}

function readV1(src: Record<string, unknown>, over: EventOver): Parts {
  let ev = src;
  let prefix = '';
  let uid: unknown;
  let uidField = 'uid';
  if (!Object.hasOwn(src, 'event_name')) {
    // Wrapped: only `event` and the uid (a URL parameter in v1) may sit beside it.
    for (const key of Object.keys(src)) {
      if (key === 'uid') uid = src.uid;
      else if (key !== 'event' && !over.ignoresUnknownFields) throw unknownField(key, key, catalogText('event:errors.fields.wrapped'), undefined, 'msg.payload');
    }
    ev = src.event as Record<string, unknown>;
    prefix = 'event.';
  }
  const parts: Parts = { nameField: `${prefix}event_name`, timestampField: `${prefix}timestamp`, propertiesField: `${prefix}event_data` };
  let data: unknown;
  let sessionUrl: unknown;
  let deviceSession: unknown;
  let useRecent: unknown;
  for (const key of Object.keys(ev)) {
    const value = ev[key];
    switch (key) {
      case 'event_name': parts.name = value; break;
      case 'event_data': data = value; break;
      case 'timestamp': parts.timestamp = value; break;
      case 'session_url': sessionUrl = value; break;
      case 'device_session': deviceSession = value; break;
      case 'use_recent_session': useRecent = value; break;
      case 'uid':
        if (isGiven(uid) && isGiven(value) && uid !== value) {
          throw invalidInput('invalid_identification', catalogText('event:errors.event.twoUids', { field: `${prefix}uid`, at: atField(`${prefix}uid`) }), `${prefix}uid`);
        }
        if (isGiven(value)) { uid = value; uidField = `${prefix}uid`; }
        break;
      default:
        if (over.ignoresUnknownFields) break;
        throw unknownFieldError({ text: catalogText('event:errors.v1.eventUnknownField', { ...unknownFieldVars(key, prefix + key), fields: V1_FIELDS, suggestion: nameForFix(key) }) }, prefix + key);
    }
  }

  if (data !== undefined && data !== null) {
    const dataField = `${prefix}event_data`;
    if (!isPlainObject(data)) {
      throw invalidInput('invalid_payload', catalogText('event:errors.v1.eventDataNotObject', { at: atField(dataField), type: describeType(data) }), dataField);
    }
    const entries = Object.keys(data).map((k) => [k, data[k]] as const);
    parts.v1 = readV1Fields(entries, dataField);
    parts.properties = parts.v1.properties;
  }

  if (!over.sets('association')) readV1Identification(parts, prefix, { uid, uidField, sessionUrl, deviceSession, useRecent });
  return parts;
}

function readV1Identification(
  parts: Parts,
  prefix: string,
  v1: { uid: unknown; uidField: string; sessionUrl: unknown; deviceSession: unknown; useRecent: unknown },
): void {
  const uid = optionalUserKey(v1.uid, v1.uidField, USER_FIELD_LIMITS.uid, 'uid');
  const useRecent = v1.useRecent === true;
  if (v1.useRecent !== undefined && v1.useRecent !== null && typeof v1.useRecent !== 'boolean') {
    const field = `${prefix}use_recent_session`;
    throw invalidInput('invalid_field', catalogText('event:errors.v1.useRecentNotBool', { at: atField(field), type: describeType(v1.useRecent) }), field);
  }
  const chosen: string[] = [];
  if (isGiven(v1.sessionUrl)) chosen.push('session_url');
  if (isGiven(v1.deviceSession)) chosen.push('device_session');
  if (useRecent) chosen.push('use_recent_session');
  if (chosen.length > 1) {
    throw invalidInput('invalid_identification',
      catalogText('event:errors.v1.twoSessions', { at: atField(prefix + chosen[1]), fields: andList(chosen) }), prefix + chosen[1]);
  }
  if (chosen.length === 1 && chosen[0] !== 'use_recent_session') {
    const field = prefix + chosen[0];
    // v1 took the uid in the URL, so v1 events with a session nearly always have one. FullStory v2
    // takes a session id only on its own (README §2.2): the session already names its user.
    if (uid !== undefined) {
      (parts.notes ??= []).push(inputNote('uid_not_sent', v1.uidField, catalogText('event:errors.v1.uidNotSent', { at: atField(v1.uidField), session: chosen[0]! })));
    }
    parts.session = { id: toSessionId(chosen[0] === 'session_url' ? v1.sessionUrl : v1.deviceSession, field) };
    return;
  }
  if (useRecent && uid === undefined) {
    const field = `${prefix}use_recent_session`;
    throw invalidInput('invalid_identification', catalogText('event:errors.v1.useRecentNeedsUid', { at: atField(field) }), field);
  }
  if (uid !== undefined) parts.user = { uid };
  if (useRecent) parts.session = { use_most_recent: true };
}

// ---------------------------------------------------------------------------------------------
// Shared steps

function checkName(value: unknown, field: string): string {
  if (value === undefined || value === null || (typeof value === 'string' && value.trim() === '')) {
    throw invalidInput('missing_field', typeof value === 'string' ? catalogText('event:errors.event.nameEmpty') : catalogText('event:errors.event.nameMissing'), field);
  }
  return optionalText(value, field, MAX_EVENT_NAME, catalogText('event:errors.label.eventName')) as string;
}

function fromAssociation(a: NonNullable<EventDefaults['association']>): { user?: EventUser; session?: EventSession } {
  const missing = (what: FixedText, field: string) => invalidInput('missing_field', catalogText('event:errors.event.associationEmpty', { what }), field);
  switch (a.kind) {
    case 'uid':
    case 'userId': {
      const field = a.kind === 'uid' ? 'user.uid' : 'user.id';
      const label = a.kind === 'uid' ? 'uid' : catalogText('config:errors.label.userId');
      if (!isGiven(a.value)) throw missing(a.kind === 'uid' ? catalogText('event:errors.event.target.uid') : catalogText('event:errors.event.target.userId'), field);
      const value = optionalUserKey(a.value, field, USER_FIELD_LIMITS.uid, label) as string;
      const user: EventUser = a.kind === 'uid' ? { uid: value } : { id: value };
      return a.useMostRecent ? { user, session: { use_most_recent: true } } : { user };
    }
    case 'sessionId':
      if (!isGiven(a.value)) throw missing(catalogText('event:errors.event.target.session'), 'session.id');
      return { session: { id: toSessionId(a.value, 'session.id') } };
    case 'anonymous':
      return {};
    default:
      throw invalidInput('invalid_identification', catalogText('event:errors.event.unknownAssociation', { association: JSON.stringify(String(a.kind).slice(0, 20)) }), 'association');
  }
}

/** README §2.2: exactly one identification form. */
function checkIdentification(user: EventUser | undefined, session: EventSession | undefined): void {
  const found: string[] = [];
  if (user?.uid !== undefined) found.push('user.uid');
  if (user?.id !== undefined) found.push('user.id');
  if (session?.id !== undefined) found.push('session.id');
  if (session?.uid !== undefined) found.push('session.uid');
  const useMostRecent = session?.use_most_recent === true;
  if (useMostRecent) found.push('session.use_most_recent');
  const userCount = (user?.uid !== undefined ? 1 : 0) + (user?.id !== undefined ? 1 : 0);

  let field: string | undefined;
  if (userCount > 1) field = 'user';
  else if (session?.id !== undefined && found.length > 1) field = 'session.id';
  else if (session?.uid !== undefined && found.length > 1) field = 'session.uid';
  else if (useMostRecent && userCount === 0) {
    throw invalidInput('invalid_identification', catalogText('event:errors.event.useMostRecentNeedsUser', { at: atField('session.use_most_recent'), forms: catalogText('event:errors.event.allowedForms') }), 'session.use_most_recent');
  }
  if (field !== undefined) {
    throw invalidInput('invalid_identification', catalogText('event:errors.event.mixedIdentification', { at: atField(field), found: andList(found), forms: catalogText('event:errors.event.allowedForms') }), field);
  }
}

/**
 * payload (+ the node's settings) → CreateEventRequest. Accepts the v2 shape and the v1
 * "Set User Events" shape; payload may be undefined/null when the editor supplies the name.
 * What the conversion changed that the user should know goes to `notes` (once the event is built).
 */
export function buildEventRequest(payload: unknown, defaults: EventDefaults, notes?: NoteSink): CreateEventRequest {
  const over = overPayload(defaults);
  let parts: Parts;
  if (payload === undefined || payload === null) {
    if (!over.sets('name')) {
      throw invalidInput('invalid_payload', payload === null ? catalogText('event:errors.event.payloadNull') : catalogText('event:errors.event.payloadEmpty'));
    }
    parts = { nameField: 'name', timestampField: 'timestamp', propertiesField: 'properties' };
  } else if (isPlainObject(payload)) {
    parts = isV1(payload) ? readV1(payload, over) : readV2(payload, over);
  } else {
    throw invalidInput('invalid_payload', catalogText('event:errors.event.payloadNotObject', { type: describeType(payload) }));
  }

  const name = over.pick('name', parts.name, parts.nameField);
  const event: CreateEventRequest = { name: checkName(name.value, name.field) };

  const timestamp = over.pick('timestamp', parts.timestamp, parts.timestampField);
  if (isGiven(timestamp.value)) event.timestamp = toUtcIso(timestamp.value, timestamp.field);

  const input = over.properties(parts.properties, parts.propertiesField, parts.v1);
  const built = parts.v1 !== undefined
    ? buildV1Properties(parts.v1, defaults.declaredTypes, parts.propertiesField, input)
    : buildProperties(input, defaults.declaredTypes, parts.explicit, 'properties');
  if (built.properties !== undefined) event.properties = built.properties;
  if (built.schema !== undefined) event.schema = built.schema;

  const { user, session } = defaults.association !== undefined ? fromAssociation(defaults.association) : parts;
  checkIdentification(user, session);
  if (user !== undefined) event.user = user;
  if (session !== undefined) event.session = session;
  if (parts.context !== undefined) event.context = parts.context;
  if (notes && parts.notes) for (const note of parts.notes) notes.addNote(note);
  return event;
}
