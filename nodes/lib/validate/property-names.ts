// FullStory's property name rule (README §4.1: letters, digits and _, starting with a letter) and
// the names our error texts suggest in a fix, for the property rules and the request builders.

import { invalidInput, type FullStoryError } from '../api/errors';
import { catalogText } from '../api/texts';
import { atField, shorten } from './values';

const NAME_RE = /^[A-Za-z][A-Za-z0-9_]*$/;
const BAD_NAME_CHARS_RE = /[^A-Za-z0-9_]+/g;
const EDGE_UNDERSCORES_RE = /^_+|_+$/g;
const STARTS_WITH_LETTER_RE = /^[A-Za-z]/;

/** A valid replacement for a bad property name, for the "Rename it, e.g. …" hint. */
export function suggestName(name: string): string {
  let s = name.replace(BAD_NAME_CHARS_RE, '_').replace(EDGE_UNDERSCORES_RE, '');
  if (!STARTS_WITH_LETTER_RE.test(s)) s = s === '' ? 'property_1' : `p_${s}`;
  return shorten(s, 40);
}

/**
 * A name to show in a fix ("e.g. properties.plan"): the name itself when FullStory takes it, else
 * suggestName's; at most 40 characters either way, so a runaway key cannot blow up an error text.
 */
export function nameForFix(name: string): string {
  return isValidPropertyName(name) ? shorten(name, 40) : suggestName(name);
}

export function isValidPropertyName(name: string): boolean {
  return NAME_RE.test(name);
}

/** The FullStory name rule, with the reason and a fix spelled out. */
export function propertyNameError(name: string, field: string | undefined): FullStoryError {
  if (name === '__proto__') {
    return invalidInput('invalid_property_name', catalogText('config:errors.property.protoName', { at: atField(field), proto: '__proto__' }), field);
  }
  if (name === '') {
    return invalidInput('invalid_property_name', catalogText('config:errors.property.emptyName', { at: atField(field) }), field);
  }
  return invalidInput('invalid_property_name', catalogText('config:errors.property.badName', { name: JSON.stringify(shorten(name, 40)), at: atField(field), suggestion: suggestName(name) }), field);
}
