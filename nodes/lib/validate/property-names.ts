// FullStory's property name rule (README §4.1: letters, digits and _, starting with a letter) and
// the names our error texts suggest in a fix, for the property rules and the request builders.

import { invalidInput, type FullStoryError } from '../api/errors';
import { at, atField, shorten } from './values';

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
    return invalidInput('invalid_property_name',
      `Property name "__proto__"${at(field)} is not allowed: names start with a letter (FullStory rule), and "__proto__" is reserved by JavaScript. Remove it.`, field,
      { key: 'property.protoName', vars: { at: atField(field), proto: '__proto__' } });
  }
  if (name === '') {
    return invalidInput('invalid_property_name',
      `A property has an empty name${at(field)}: names use letters, digits and _ and start with a letter (FullStory rule). Give it a name.`, field,
      { key: 'property.emptyName', vars: { at: atField(field) } });
  }
  return invalidInput('invalid_property_name',
    `Property name ${JSON.stringify(shorten(name, 40))}${at(field)} is not allowed: names use letters, digits and _ and start with a letter (FullStory rule). Rename it, e.g. "${suggestName(name)}".`, field,
    { key: 'property.badName', vars: { name: JSON.stringify(shorten(name, 40)), at: atField(field), suggestion: suggestName(name) } });
}
