// "… has an unknown field "x" (at y). …": the one error for a field the expected shape does not
// have, whoever reads it (msg.payload of either node, the event's user, session and context, the
// v1 event, a payload's schema), with its "Did you mean …?" and "Custom data goes under
// properties" fixes. A payload in the 'source' role does not raise it for its own top-level
// fields (payload-role.ts).

import { invalidInput, type FullStoryError } from '../api/errors';
import type { FixedText } from '../api/texts';
import { atField } from './values';

/** What an unknown-field error says: its catalog text, whose variables include unknownFieldVars(). */
export interface FieldHolder {
  text: FixedText;
  code?: 'invalid_field' | 'invalid_schema';
}

/** The name of an unknown field as error texts quote it: at most 40 characters. */
function quoteFieldName(name: string): string {
  return JSON.stringify(name.slice(0, 40));
}

/**
 * The `name` and `at` variables every unknown-field text has. `name`: the field's name as written;
 * `field`: where it is (the error's field); `quotedName`: the name as the text quotes it, when not
 * quoteFieldName's.
 */
export function unknownFieldVars(name: string, field: string, quotedName = quoteFieldName(name)): { name: string; at: string } {
  return { name: quotedName, at: atField(field) };
}

/** `field`: where the unknown field is (the error's field). */
export function unknownFieldError(h: FieldHolder, field: string): FullStoryError {
  return invalidInput(h.code ?? 'invalid_field', h.text, field);
}

/** A likely intended name as the hint shows it: quoted, unless it is a phrase ("user.uid (your own id) or …"). */
export function quoteHint(hint: string): string {
  return hint.includes(' ') ? hint : `"${hint}"`;
}
