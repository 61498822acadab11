// "… has an unknown field "x" (at y). …": the one error for a field the expected shape does not
// have, whoever reads it (msg.payload of either node, the event's user, session and context, the
// v1 event, a payload's schema), with its "Did you mean …?" and "Custom data goes under
// properties" fixes. A payload in the 'source' role never gets here (payload-role.ts).

import { invalidInput, type ErrorI18n, type FullStoryError } from '../api/errors';
import { nameForFix } from './property-names';
import { at, atField } from './values';

export interface UnknownField {
  /** What holds the field, as the text names it: "msg.payload", "user", "The v1 event", … */
  holder: string;
  /** The field's name as written. */
  name: string;
  /** Where it is: the error's field. */
  field: string;
  /** What the text says next (from a space): the fields the holder has, and the fix. */
  rest: string;
  /** The name as the text quotes it, when not its first 40 characters. */
  quotedName?: string;
  code?: 'invalid_field' | 'invalid_schema';
  /** The catalog key; its `name` and `at` vars are added here. */
  i18n?: ErrorI18n;
}

/** The name of an unknown field as error texts quote it: at most 40 characters. */
export function quoteFieldName(name: string): string {
  return JSON.stringify(name.slice(0, 40));
}

export function unknownFieldError(u: UnknownField): FullStoryError {
  const name = u.quotedName ?? quoteFieldName(u.name);
  const i18n = u.i18n && { ...u.i18n, vars: { ...u.i18n.vars, name, at: atField(u.field) } };
  return invalidInput(u.code ?? 'invalid_field', `${u.holder} has an unknown field ${name}${at(u.field)}.${u.rest}`, u.field, i18n);
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
