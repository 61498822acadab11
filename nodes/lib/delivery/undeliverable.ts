// The error done(err) reports for a msg that could not leave on its output (code `undeliverable`),
// and the log line for a fault of our own: both say what happened at FullStory, since the msg that
// would have said it is gone.

import { FullStoryError } from '../api/errors';
import { localizeError, type Translate } from './error-text';

/** Why the msg could not leave: we could not set our fields on it or on a copy, or Node-RED could not pass it on. */
export type UndeliverableReason = 'notWritable' | 'notSent';

/** What happened at FullStory: `text` is the msg.error text the msg would have carried. */
export type DeliveryOutcome =
  | { kind: 'accepted' }
  | { kind: 'failed' | 'partly'; text: string }
  /** A flush / reset control msg: nothing to say. */
  | { kind: 'none' };

function outcomeText(translate: Translate, outcome: DeliveryOutcome): string {
  switch (outcome.kind) {
    case 'none':
      return '';
    case 'accepted':
      return localizeError(translate, { message: 'FullStory accepted it.', i18n: { key: 'delivery.outcomeAccepted' } });
    case 'failed':
      return localizeError(translate, { message: `It failed: ${outcome.text}`, i18n: { key: 'delivery.outcomeFailed', vars: { error: outcome.text } } });
    case 'partly':
      return localizeError(translate, { message: `Some of its records failed: ${outcome.text}`, i18n: { key: 'delivery.outcomePartly', vars: { error: outcome.text } } });
  }
}

/** `detail` is what the write, the copy or Node-RED threw (thrownText: short, one line). */
export function undeliverableError(translate: Translate, reason: UndeliverableReason, detail: string, outcome: DeliveryOutcome, attempts?: number): FullStoryError {
  const said = outcomeText(translate, outcome);
  const english = reason === 'notWritable'
    ? `This msg could not be passed on: it can be neither changed nor copied (${detail}). ${said}`
    : `This msg could not be passed on: Node-RED failed to copy it for the next node (${detail}); a msg that goes to more than one node must hold plain data only. ${said}`;
  const error = new FullStoryError(english.trim(), {
    code: 'undeliverable',
    attempts,
    i18n: { key: `delivery.${reason}`, vars: { detail, outcome: said } },
  });
  // done(err) logs and hands this text to Catch nodes: it is the text the user sees.
  error.message = localizeError(translate, error).trim();
  return error;
}

/** The log line for a failure of our own code (a bug), never a msg's. */
export function internalFaultText(translate: Translate, detail: string): string {
  return localizeError(translate, {
    message: `Internal error in the FullStory node; please report it: ${detail}`,
    i18n: { key: 'delivery.internalFault', vars: { detail } },
  });
}
