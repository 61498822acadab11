// v1 custom fields (README §4.4): flat names with a type suffix ("totalSpent_real"), as the v1
// user payload and the v1 event's event_data carry them. Both request builders read them here
// into v2 properties and types, and report errors against the field the user wrote.

import type { PropertyType } from '../api/types';
import { invalidInput, type LocalErrorCode } from '../api/errors';
import { catalogText, withVar, type FixedText } from '../api/texts';
import { buildProperties, PROPERTY_TYPES } from './properties';
import { isValidPropertyName, nameForFix, propertyNameError } from './property-names';
import { atField, shorten } from './values';

/** v1 custom fields read as v2 properties: their types (from the suffixes), and which field each came from. */
export interface V1Fields {
  properties: Record<string, unknown>;
  types: Record<string, PropertyType>;
  /** v2 property name → the v1 field it came from ("totalSpent" → "totalSpent_real"). */
  origin: Map<string, string>;
}

/**
 * v1 migration: splits a v1 suffixed name ('totalSpent_real') into { name: 'totalSpent', type: 'real' },
 * or undefined when it has no known suffix. Suffixes: str strs int ints real reals bool bools date dates.
 */
export function splitV1Suffix(name: string): { name: string; type: PropertyType } | undefined {
  const i = name.lastIndexOf('_');
  // The longest suffix is 5 characters; also needs something before the underscore.
  if (i <= 0 || name.length - i > 6 || i === name.length - 1) return undefined;
  const suffix = name.slice(i + 1);
  if (!PROPERTY_TYPES.has(suffix as PropertyType)) return undefined;
  return { name: name.slice(0, i), type: suffix as PropertyType };
}


/** Reads suffixed v1 custom fields into v2 properties and their types (suffix stripped). */
export function readV1Fields(entries: ReadonlyArray<readonly [string, unknown]>, fieldPrefix: string): V1Fields {
  // Null prototype: even a name that slipped past the checks could not reach Object.prototype.
  const properties = Object.create(null) as Record<string, unknown>;
  const types: Record<string, PropertyType> = {};
  const origin = new Map<string, string>();
  for (const [key, value] of entries) {
    const field = fieldPrefix === '' ? key : `${fieldPrefix}.${key}`;
    const split = splitV1Suffix(key);
    if (split === undefined) {
      const base = nameForFix(key);
      throw invalidInput('invalid_property_name', catalogText('config:errors.v1.noSuffix', { name: JSON.stringify(key.slice(0, 40)), at: atField(field), base }), field);
    }
    if (!isValidPropertyName(split.name)) throw propertyNameError(split.name, field);
    const earlier = origin.get(split.name);
    if (earlier !== undefined) {
      const [first, second, name] = [shorten(earlier, 40), shorten(key, 40), shorten(split.name, 40)];
      throw invalidInput('invalid_property_name', catalogText('config:errors.v1.sameProperty', { earlier: first, key: second, at: atField(field), name }), field);
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
  v1: V1Fields,
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
    const e = err as { code: string; message: string; i18n?: FixedText };
    // The error names the v1 field the user wrote, where its text says where the problem is.
    const text = e.i18n?.vars?.at === atField(f)
      ? withVar(e.i18n, 'at', catalogText('config:errors.v1.at', { original, field: mapped }))
      : catalogText('config:errors.v1.fieldOf', { error: e.i18n ?? e.message, original });
    throw invalidInput(e.code as LocalErrorCode, text, mapped);
  }
}
