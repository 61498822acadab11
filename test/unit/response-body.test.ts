import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import fc from 'fast-check';
import { readBody, RESPONSE_LIMITS } from '../../nodes/lib/api/response-body';
import * as endpoints from '../../nodes/lib/api/endpoints';
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
    type Kind = keyof typeof RESPONSE_LIMITS;
    const cases: Record<string, Array<[endpoints.ApiCall<unknown>, Kind]>> = {
      createUser: [[endpoints.createUser({ uid: 'u' }), 'small']],
      updateUser: [[endpoints.updateUser('123', { email: 'a@example.com' }), 'small']],
      createEvent: [[endpoints.createEvent({ name: 'E' }), 'small']],
      createJob: [[endpoints.createJob('users', '{"requests":[]}'), 'small'], [endpoints.createJob('events', '{"requests":[]}'), 'small']],
      deleteUser: [[endpoints.deleteUser('123'), 'small']],
      deleteUserByUid: [[endpoints.deleteUserByUid('u'), 'small']],
      getJobStatus: [[endpoints.getJobStatus('users', 'abc='), 'small'], [endpoints.getJobStatus('events', 'abc='), 'small']],
      getUser: [[endpoints.getUser('123'), 'user']],
      listUsers: [[endpoints.listUsers({ uid: 'u' }), 'page'], [endpoints.listUsers({ uid: 'u' }).page('t2'), 'page']],
      getJobImports: [[endpoints.getJobImports('users', 'abc='), 'page'], [endpoints.getJobImports('events', 'abc=').page('t2'), 'page']],
      getJobErrors: [[endpoints.getJobErrors('users', 'abc='), 'page'], [endpoints.getJobErrors('events', 'abc=').page('t2'), 'page']],
    };
    for (const [call, kind] of Object.values(cases).flat()) assert.equal(call.request.maxResponseBytes, RESPONSE_LIMITS[kind], call.name);
    // Every call endpoints.ts exports is in the table (callApi and isPaged send and test calls).
    const calls = Object.keys(endpoints).filter((name) => typeof (endpoints as Record<string, unknown>)[name] === 'function' && !['callApi', 'isPaged'].includes(name));
    assert.deepEqual(calls.sort(), Object.keys(cases).sort());
    // One user as raw text at FullStory's limits: 500 values of 8 KiB plus 500 names of 512
    // characters, twice more names for schema and type_conflicts.
    const rawUser = 500 * 8192 + 3 * 500 * 512;
    assert.ok(RESPONSE_LIMITS.user >= 3 * rawUser, 'room for JSON escaping of a full user');
    assert.ok(RESPONSE_LIMITS.page >= 1000 * 64 * 1024, 'a page of 1000 results of 64 KiB');
    assert.ok(RESPONSE_LIMITS.small >= 1024 && RESPONSE_LIMITS.small < RESPONSE_LIMITS.user);
  });
});
