// The error done(err) reports for a msg that could not leave on its output (code `undeliverable`),
// and the log line for a fault of our own: both say what happened at FullStory, since the msg that
// would have said it is gone.

import { FullStoryError } from '../api/errors';
import { catalogText, type CatalogText } from '../api/texts';
import { localizeError, sayText, type Translate } from './error-text';

/** Why the msg could not leave: we could not set our fields on it or on a copy, or Node-RED could not pass it on. */
export type UndeliverableReason = 'notWritable' | 'notSent';

/** What happened at FullStory: `text` is the msg.error text the msg would have carried. */
export type DeliveryOutcome =
  | { kind: 'accepted' }
  | { kind: 'failed' | 'partly'; text: string }
  /** A flush / reset control msg: nothing to say. */
  | { kind: 'none' };

function outcomeText(outcome: DeliveryOutcome): CatalogText | undefined {
  switch (outcome.kind) {
    case 'none':
      return undefined;
    case 'accepted':
      return catalogText('config:errors.delivery.outcomeAccepted');
    case 'failed':
      return catalogText('config:errors.delivery.outcomeFailed', { error: outcome.text });
    case 'partly':
      return catalogText('config:errors.delivery.outcomePartly', { error: outcome.text });
  }
}

/** `detail` is what the write, the copy or Node-RED threw (thrownText: short, one line). */
export function undeliverableError(translate: Translate, reason: UndeliverableReason, detail: string, outcome: DeliveryOutcome, attempts?: number): FullStoryError {
  const said = outcomeText(outcome);
  const text = reason === 'notWritable'
    ? catalogText('config:errors.delivery.notWritable', { detail, outcome: said ?? '' })
    : catalogText('config:errors.delivery.notSent', { detail, outcome: said ?? '' });
  const error = new FullStoryError(text, { code: 'undeliverable', attempts });
  // done(err) logs and hands this text to Catch nodes: it is the text the user sees.
  error.message = localizeError(translate, error).trim();
  return error;
}

/** The log line for a failure of our own code (a bug), never a msg's. */
export function internalFaultText(translate: Translate, detail: string): string {
  return sayText(translate, catalogText('config:errors.delivery.internalFault', { detail }));
}
