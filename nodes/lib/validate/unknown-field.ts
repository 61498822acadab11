// "… has an unknown field "x" (at y). …": the one error for a field the expected shape does not
// have, whoever reads it (msg.payload of either node, the event's user, session and context, the
// v1 event, a payload's schema), with its "Did you mean …?" and "Custom data goes under
// properties" fixes. A payload in the 'source' role does not raise it for its own top-level
// fields (payload-role.ts).

import { invalidInput, type ErrorI18n, type FullStoryError } from '../api/errors';
import { nameForFix } from './property-names';
import { at, atField } from './values';

/** What an unknown-field error says about the object that holds the field. */
export interface FieldHolder {
  /** The holder as the text names it: "msg.payload", "user", "The v1 event", … */
  holder: string;
  /** What the text says next (from a space): the fields the holder has, and the fix. */
  rest: string;
  code?: 'invalid_field' | 'invalid_schema';
  /** The catalog key; its `name` and `at` vars are added here. */
  i18n?: ErrorI18n;
}

/** The name of an unknown field as error texts quote it: at most 40 characters. */
function quoteFieldName(name: string): string {
  return JSON.stringify(name.slice(0, 40));
}

/**
 * `name`: the field's name as written; `field`: where it is (the error's field); `quotedName`:
 * the name as the text quotes it, when not quoteFieldName's.
 */
export function unknownFieldError(h: FieldHolder, name: string, field: string, quotedName = quoteFieldName(name)): FullStoryError {
  const i18n = h.i18n && { ...h.i18n, vars: { ...h.i18n.vars, name: quotedName, at: atField(field) } };
  return invalidInput(h.code ?? 'invalid_field', `${h.holder} has an unknown field ${quotedName}${at(field)}.${h.rest}`, field, i18n);
}

/** A likely intended name as the hint shows it: quoted, unless it is a phrase ("user.uid (your own id) or …"). */
export function quoteHint(hint: string): string {
  return hint.includes(' ') ? hint : `"${hint}"`;
}

/** " Did you mean "display_name"?", or '' without a hint. */
export function didYouMean(hint: string | undefined): string {
  return hint === undefined ? '' : ` Did you mean ${quoteHint(hint)}?`;
}

/** The fix for an unknown top-level payload field: the likely intended field, else where custom data goes. */
export function unknownPayloadFieldFix(key: string, hint: string | undefined): string {
  return hint !== undefined ? didYouMean(hint) : ` Custom data goes under properties, e.g. msg.payload.properties.${nameForFix(key)}.`;
}
