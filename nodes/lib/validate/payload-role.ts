// How a data node's own settings and msg.payload combine: ONE rule, applied here for the user
// node (user-request.ts) and the event node (event-request.ts) alike (SettingsOverPayload). The
// help of both nodes and the README state it in one sentence: "When the node sets any field
// itself, msg.payload is only the source it reads from: the FullStory fields in it that the node
// does not set are still sent and checked, and every other field in it is ignored."
//
// - The payload is the REQUEST when the node sets none of the request's fields: it must be
//   FullStory's shape (v2, or v1), and an unknown field is refused, because it is most likely a
//   typo or a wrong shape, and sending without it would lose data silently.
// - The payload is a SOURCE when the node sets at least one of the request's fields: a
//   typedInput setting that is set (and applies to the operation), or the event node's
//   association other than "as msg.payload says". The settings read from it (a form body, a CRM
//   record), so:
//     - a field the node sets replaces the payload's field of that name, which is then neither
//       read nor checked; a setting that reads nothing for a msg (undefined, null or "") leaves
//       the payload's field in place;
//     - FullStory's fields of the payload that no setting replaces are read and checked as
//       always, because they are sent (a uid that is a number is still an error);
//     - the node's properties are merged over the payload's properties (the node's keys win);
//     - every other field of the payload is the flow's own data, and is ignored.

import { invalidInput } from '../api/errors';
import { catalogText } from '../api/texts';
import type { V1Fields } from './v1-fields';
import { atField, describeType, isPlainObject } from './values';

export type PayloadRole = 'request' | 'source';

/** `settingsSet`: the node's settings that supply a field of the request (set, and applying). */
export function payloadRole(settingsSet: readonly string[]): PayloadRole {
  return settingsSet.length > 0 ? 'source' : 'request';
}

/** A value that says something: undefined, null and "" mean nothing (for a setting's value for
 * one msg: "the payload's field applies"). */
export function isGiven(value: unknown): boolean {
  return value !== undefined && value !== null && value !== '';
}

/** v1 custom fields read from the payload: what a property of the node's setting replaces. */
type V1Origin = Pick<V1Fields, 'origin' | 'types'>;

/**
 * The properties to send: the payload's (at `payloadField`), with the node's Properties setting
 * merged over them, the setting's keys winning. A v1 field the setting replaces loses its suffix
 * type too. Returns the payload's own properties when the setting gives nothing.
 */
function withSettingProperties(fromPayload: unknown, payloadField: string, setting: unknown, v1?: V1Origin): unknown {
  if (!isGiven(setting)) return fromPayload;
  if (!isPlainObject(setting)) {
    throw invalidInput('invalid_payload', catalogText('config:errors.setting.propertiesNotObject', { type: describeType(setting) }), 'properties');
  }
  const keys = Object.keys(setting);
  if (keys.length === 0) return fromPayload;
  if (fromPayload !== undefined && fromPayload !== null && !isPlainObject(fromPayload)) {
    throw invalidInput('invalid_payload', catalogText('config:errors.setting.payloadPropertiesNotObject', { at: atField(payloadField), type: describeType(fromPayload) }), payloadField);
  }
  // Null prototype: a "__proto__" key is then an ordinary entry, refused later by the name rule.
  const merged = Object.create(null) as Record<string, unknown>;
  if (fromPayload !== undefined && fromPayload !== null) for (const key of Object.keys(fromPayload)) merged[key] = (fromPayload as Record<string, unknown>)[key];
  for (const key of keys) {
    merged[key] = setting[key];
    if (v1?.origin.delete(key)) delete v1.types[key];
  }
  return merged;
}

/**
 * The node's settings for one msg merged over msg.payload by the rule above: the one place where
 * both request builders (and the user node's get, list and delete) learn which value a request
 * field takes. `settings` are the values the node's settings give for this msg, named as the
 * request fields they supply ("uid", "name", "properties", the event's "association", …).
 */
export class SettingsOverPayload<F extends string> {
  constructor(
    private readonly settings: Readonly<Partial<Record<F, unknown>>>,
    readonly role: PayloadRole | undefined,
  ) {}

  /** Whether a payload field FullStory does not know is ignored (source) or refused (request). */
  get ignoresUnknownFields(): boolean {
    return this.role === 'source';
  }

  /** Whether the node sets `field` for this msg: the payload's field is then neither read nor checked. */
  sets(field: F): boolean {
    return isGiven(this.settings[field]);
  }

  /** The setting's value for `field` (undefined, null or "" when the node does not set it). */
  setting(field: F): unknown {
    return this.settings[field];
  }

  /**
   * The value `field` takes and where it comes from (the field an error names): the setting's
   * when the node sets it, else the payload's.
   */
  pick(field: F, fromPayload: unknown, payloadField: string = field): { value: unknown; field: string } {
    return this.sets(field) ? { value: this.settings[field], field } : { value: fromPayload, field: payloadField };
  }

  /** The properties to send: the payload's with the node's Properties setting merged over them (withSettingProperties). */
  properties(this: SettingsOverPayload<F | 'properties'>, fromPayload: unknown, payloadField: string, v1?: V1Origin): unknown {
    return withSettingProperties(fromPayload, payloadField, this.settings.properties, v1);
  }
}
