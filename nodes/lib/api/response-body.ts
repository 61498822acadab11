// How much of a FullStory answer we read: a cap per kind of call, sized from what FullStory can send
// for it, and a reader that stops (and drops the connection) as soon as an answer passes its cap.
// Memory then stays bounded whatever a server (or a broken proxy) sends: at most one cap plus one
// chunk per request in flight, and at most `maxConcurrency` requests are in flight per config.

import type { Readable } from 'node:stream';

const KiB = 1024;
const MiB = 1024 * KiB;

/**
 * The largest answer each kind of call may return, from FullStory's published limits
 * (FullStory's API reference: user and event limits, batch import limits):
 *
 * - `small`: create/update user (`{"id"}`), create event (`{}`), delete (`{}`), batch job creation
 *   (`{"job": {id, status, created}}`), job status (`{imports, errors, job}`) and every error answer
 *   (`{code, message}`). All are well under 1 KiB; 64 KiB leaves room for fields FullStory may add
 *   and for long error messages.
 * - `user`: GET /v2/users/{id}, one user: at most 500 properties × 8 KiB per value = 4 MiB of
 *   values, plus their names (≤ 512 characters each, 0.25 MiB), their `schema` and `type_conflicts`
 *   (about 0.5 MiB more) and a few short fields: under 5 MiB as raw text. JSON escaping (`\"`, and
 *   `\u003c`-style escapes of control and HTML characters) can inflate values, so the cap is about
 *   3× that: 16 MiB.
 * - `page`: one page of GET /v2/users or of a job's `/imports` / `/errors`. FullStory does not
 *   publish its page sizes; results are users or echoed import records (each bounded like a user
 *   above). 64 MiB holds 1000 results of 64 KiB each (e.g. 50 properties of 1 KiB), or a dozen
 *   records at FullStory's maximum size; a page larger than that is not a page.
 */
export const RESPONSE_LIMITS = {
  small: 64 * KiB,
  user: 16 * MiB,
  page: 64 * MiB,
} as const;

export type ResponseKind = keyof typeof RESPONSE_LIMITS;

/** Error answers are `{code, message}`: what is past this is cut off (the status decides the rest). */
export const ERROR_BODY_LIMIT = RESPONSE_LIMITS.small;

export interface BodyText {
  /** The answer as text (UTF-8); when it was larger than the cap, its first `maxBytes` if asked
   * for (`keepPrefix`), else ''. */
  text: string;
  /** The answer was larger than `maxBytes`: reading stopped and the stream was destroyed. */
  overflow: boolean;
}

/**
 * Reads a response stream into text, counting bytes as they come (after decompression, so a
 * small compressed answer cannot expand past the cap either). Past `maxBytes` it stops at once and
 * destroys the stream, which drops the connection: nothing more is read from it. What was read is
 * then dropped too, unless `keepPrefix` asks for it (an error page, whose start says what it is).
 */
export async function readBody(stream: Readable, maxBytes: number, keepPrefix = false): Promise<BodyText> {
  const chunks: Buffer[] = [];
  let total = 0;
  let overflow = false;
  for await (const chunk of stream as AsyncIterable<Buffer | string>) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    if (total + buffer.length > maxBytes) {
      chunks.push(buffer.subarray(0, maxBytes - total));
      total = maxBytes;
      overflow = true;
      break; // leaving the loop destroys the stream
    }
    chunks.push(buffer);
    total += buffer.length;
  }
  if (overflow && !stream.destroyed) stream.destroy();
  if (overflow && !keepPrefix) return { text: '', overflow };
  let text = (chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, total)).toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  return { text, overflow };
}
