// Asserting validation errors: the code, the field, and a message a person can act on.

import assert from 'node:assert/strict';
import { FullStoryError } from '../../nodes/lib/api/errors';

export function assertSentence(message: string): void {
  assert.ok(message.length >= 20 && message.length <= 700, `odd message length: ${message}`);
  assert.match(message, /\s/);
  assert.match(message, /[.?]$/, `not a sentence: ${message}`);
  assert.doesNotMatch(message, /\[object Object\]/);
}

/** Runs fn, expects a FullStoryError with this code and field, and a readable sentence. */
export function expectError(fn: () => unknown, code: string, field: string | undefined, includes?: string | RegExp): FullStoryError {
  let thrown: unknown;
  try {
    fn();
  } catch (err) {
    thrown = err;
  }
  assert.ok(thrown instanceof FullStoryError, `expected a FullStoryError, got ${String(thrown)}`);
  assert.equal(thrown.code, code, thrown.message);
  assert.equal(thrown.field, field, thrown.message);
  assertSentence(thrown.message);
  if (typeof includes === 'string') assert.ok(thrown.message.includes(includes), `"${thrown.message}" should include "${includes}"`);
  else if (includes) assert.match(thrown.message, includes);
  return thrown;
}
