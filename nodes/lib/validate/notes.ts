// Notes: what a node changed in a msg's input on its way to FullStory that the user should know
// about, although nothing failed (e.g. a v1 event's uid that FullStory v2 does not take beside a
// session). They land in msg.fullstory.notes, in the runtime's language.

import type { ErrorI18n } from '../api/errors';
import { englishText, type FixedText } from '../api/texts';

/** A note as a request builder makes it: English text plus its catalog key. */
export interface InputNote {
  /** Stable, for flows to test: e.g. `uid_not_sent`. */
  code: string;
  /** The input field it is about, named like error fields (relative to msg.payload). */
  field?: string;
  /** English text (the fallback when the catalog has no translation). */
  message: string;
  i18n?: ErrorI18n;
}

/** A note with its English (from the en-US catalog) and its catalog text. */
export function inputNote(code: string, field: string | undefined, text: FixedText): InputNote {
  return { code, ...(field !== undefined && { field }), message: englishText(text), i18n: text };
}

/** Where a request builder hands its notes (a held msg, or a collector per single call). */
export interface NoteSink {
  addNote(note: InputNote): void;
}

/** A note as it lands in msg.fullstory.notes; `index` is the record's place in a bulk msg's array. */
export interface MsgNote {
  code: string;
  field?: string;
  message: string;
  index?: number;
}
