// Session ids: users copy either the session URL FullStory shows (…/session/DEVICE%3ASESSION) or
// the raw "DEVICE:SESSION" id from FS.getCurrentSession(); the v2 API wants the raw id (README §1).

import { invalidInput } from '../api/errors';
import { catalogText, type FixedText } from '../api/texts';
import { kindOf } from './values';

const SESSION_MARKER = '/session/';
/** Where the session segment of a URL ends: query, fragment or a further path segment. */
const SEGMENT_END_RE = /[?#/]/;
/** "<device_id>:<session_id>", e.g. "5650771745456128:6755328389070848" (ids are digits in practice). */
const SESSION_ID_RE = /^[A-Za-z0-9_-]+:[A-Za-z0-9_-]+$/;
const ENCODED_COLON_RE = /%3a/i;


/** `problem`: what is wrong with the value (the catalog's `session.<problem>` texts). */
function sessionError(field: string, problem: FixedText) {
  return invalidInput('invalid_identification', catalogText('config:errors.session.invalid', { field, problem, forms: catalogText('config:errors.session.forms') }), field);
}

function quote(text: string): string {
  return JSON.stringify(text.length > 40 ? text.slice(0, 37) + '…' : text);
}

/**
 * FullStory session URL (…/session/DEVICE%3ASESSION, possibly with query/fragment) or
 * 'DEVICE:SESSION' → 'DEVICE:SESSION'; else invalid_identification.
 * `field` names where the value came from, for the error (default `session.id`).
 */
export function toSessionId(value: unknown, field = 'session.id'): string {
  if (typeof value !== 'string') {
    throw sessionError(field, catalogText('config:errors.session.notText', { type: kindOf(value) }));
  }
  let id = value.trim();
  if (id === '') throw sessionError(field, catalogText('config:errors.session.empty'));
  const at = id.lastIndexOf(SESSION_MARKER);
  if (at !== -1) {
    let segment = id.slice(at + SESSION_MARKER.length);
    const end = segment.search(SEGMENT_END_RE);
    if (end !== -1) segment = segment.slice(0, end);
    id = segment;
  } else if (id.includes('://')) {
    throw sessionError(field, catalogText('config:errors.session.notSessionUrl', { value: quote(value) }));
  }
  if (ENCODED_COLON_RE.test(id)) {
    try {
      id = decodeURIComponent(id);
    } catch {
      throw sessionError(field, catalogText('config:errors.session.badEncoding', { value: quote(value) }));
    }
  }
  if (!SESSION_ID_RE.test(id)) {
    throw sessionError(field, catalogText('config:errors.session.badForm', { value: quote(value) }));
  }
  return id;
}
