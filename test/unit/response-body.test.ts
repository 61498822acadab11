import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import fc from 'fast-check';
import { readBody, RESPONSE_LIMITS, responseKindOf } from '../../nodes/lib/api/response-body';
import { numRuns } from '../support/fc-runs';

/** A byte stream that hands out `chunk`-sized pieces of `content` (forever when `endless`),
 * holding at most one piece ahead (highWaterMark 1), and counts what it produced. */
function source(content: Buffer, chunk: number, endless = false): { stream: Readable; produced: () => number } {
  let offset = 0;
  let produced = 0;
  const stream = new Readable({
    highWaterMark: 1,
    read() {
      if (!endless && offset >= content.length) {
        this.push(null);
        return;
      }
      const piece = endless ? Buffer.alloc(chunk, 0x78) : content.subarray(offset, offset + chunk);
      offset += piece.length;
      produced += piece.length;
      this.push(piece);
    },
  });
  return { stream, produced: () => produced };
}

describe('response body', function () {
  it('reads an answer within its cap whole, in any chunking, UTF-8 split anywhere', async function () {
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: 'grapheme', maxLength: 300 }), fc.integer({ min: 1, max: 64 }), async (text, chunk) => {
        const content = Buffer.from(text, 'utf8');
        const { stream } = source(content, chunk);
        const body = await readBody(stream, content.length);
        assert.equal(body.overflow, false);
        assert.equal(body.text, text);
      }),
      { numRuns: numRuns(100) },
    );
  });

  it('stops past the cap: overflow, the prefix kept only when asked, at most one chunk read past it, stream destroyed', async function () {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 20_000 }),
        fc.integer({ min: 1, max: 20_000 }),
        fc.oneof(fc.constant(-1), fc.integer({ min: 1, max: 60_000 })),
        fc.boolean(),
        async (cap, chunk, size, keepPrefix) => {
          const endless = size === -1;
          const { stream, produced } = source(Buffer.alloc(endless ? 0 : size, 0x61), chunk, endless);
          const body = await readBody(stream, cap, keepPrefix);
          const expectOverflow = endless || size > cap;
          assert.equal(body.overflow, expectOverflow);
          assert.ok(Buffer.byteLength(body.text) <= cap);
          if (expectOverflow) assert.equal(body.text, keepPrefix ? (endless ? 'x' : 'a').repeat(cap) : '');
          if (expectOverflow) {
            assert.ok(stream.destroyed, 'the stream is destroyed, so the connection is dropped');
            // Read: at most the cap plus the chunk that crossed it; one more may sit in the buffer.
            assert.ok(produced() <= cap + 2 * chunk, `produced ${produced()} for cap ${cap}, chunk ${chunk}`);
          }
        },
      ),
      { numRuns: numRuns(60) },
    );
  });

  it('drops a byte order mark', async function () {
    const { stream } = source(Buffer.from('\ufeff{"a":1}', 'utf8'), 3);
    assert.equal((await readBody(stream, 100)).text, '{"a":1}');
  });

  it('gives every call the cap of what FullStory can answer to it', function () {
    const cases: Array<[string, string, keyof typeof RESPONSE_LIMITS]> = [
      ['POST', '/v2/users', 'small'],
      ['POST', '/v2/users/123', 'small'],
      ['POST', '/v2/events', 'small'],
      ['POST', '/v2/users/batch', 'small'],
      ['POST', '/v2/events/batch', 'small'],
      ['DELETE', '/v2/users/123', 'small'],
      ['DELETE', '/v2/users', 'small'],
      ['GET', '/v2/users/batch/abc%3D', 'small'],
      ['GET', '/v2/events/batch/abc%3D', 'small'],
      ['GET', '/v2/users/123', 'user'],
      ['GET', '/v2/users', 'page'],
      ['GET', '/v2/users/batch/abc%3D/imports', 'page'],
      ['GET', '/v2/users/batch/abc%3D/errors', 'page'],
      ['GET', '/v2/events/batch/abc%3D/imports', 'page'],
      ['GET', '/v2/events/batch/abc%3D/errors', 'page'],
      ['GET', '/v2/something/new', 'page'],
    ];
    for (const [method, path, kind] of cases) assert.equal(responseKindOf(method, path), kind, `${method} ${path}`);
    // One user as raw text at FullStory's limits: 500 values of 8 KiB plus 500 names of 512
    // characters, twice more names for schema and type_conflicts.
    const rawUser = 500 * 8192 + 3 * 500 * 512;
    assert.ok(RESPONSE_LIMITS.user >= 3 * rawUser, 'room for JSON escaping of a full user');
    assert.ok(RESPONSE_LIMITS.page >= 1000 * 64 * 1024, 'a page of 1000 results of 64 KiB');
    assert.ok(RESPONSE_LIMITS.small >= 1024 && RESPONSE_LIMITS.small < RESPONSE_LIMITS.user);
  });
});
