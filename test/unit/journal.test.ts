import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import fc from 'fast-check';
import { crc32, encodeGroups, GROUP_FRAME_BYTES, JOURNAL_HEADER, readFrames, tableCrc32 } from '../../nodes/lib/batch/journal-file';
import { compactBytes, Journal, looseRecords, replay, type JournalState } from '../../nodes/lib/batch/journal';
import { numRuns } from '../support/fc-runs';

/** A journal file of group commits: one frame per group. */
const journalBytes = (groups: string[][]): Buffer => Buffer.concat([JOURNAL_HEADER, ...groups.map(encodeGroups)]);
const record = (seq: number, uid = `u${seq}`, extra = ''): string => `{"t":"a","s":${seq},"at":${1_700_000_000_000 + seq},"r":{"uid":"${uid}"}${extra}}`;

/** What a state owes, in a form to compare: live records (with their reported flag) and jobs. */
function owed(state: JournalState): unknown {
  return {
    records: [...state.records.values()].map((r) => ({ seq: r.seq, json: r.json, payloadJson: r.payloadJson, reported: r.reported, acceptedAt: r.acceptedAt })),
    jobs: [...state.jobs.values()].map((j) => ({ ...j })),
  };
}

/** A generated life of a journal: records accepted (with or without a payload as given), jobs planned and created, records reported in any order. */
const journalOps = (maxLength: number) =>
  fc.array(
    fc.oneof(
      fc.record({ op: fc.constant('accept' as const), uid: fc.string({ maxLength: 8 }), payload: fc.option(fc.jsonValue({ maxDepth: 2 }), { nil: undefined }) }),
      fc.record({ op: fc.constant('plan' as const), take: fc.integer({ min: 1, max: 4 }) }),
      fc.record({ op: fc.constant('created' as const) }),
      fc.record({ op: fc.constant('report' as const), take: fc.integer({ min: 1, max: 5 }), skip: fc.nat(3) }),
    ),
    { maxLength },
  );

type JournalOp = ReturnType<typeof journalOps> extends fc.Arbitrary<Array<infer Op>> ? Op : never;

/** Runs the operations on the journal; returns the seqs still owed (accepted, not reported). */
async function applyOps(journal: Journal, ops: ReadonlyArray<JournalOp>): Promise<number[]> {
  const unplanned: number[] = [];
  const unreported: number[] = [];
  const jobs: number[] = [];
  for (const step of ops) {
    if (step.op === 'accept') {
      const seq = journal.accept(JSON.stringify({ uid: step.uid }), step.payload === undefined ? undefined : JSON.stringify(step.payload), 5);
      unplanned.push(seq);
      unreported.push(seq);
    } else if (step.op === 'plan' && unplanned.length > 0) {
      jobs.push(await journal.planJob(unplanned.splice(0, step.take), `key-${jobs.length}`));
    } else if (step.op === 'created' && jobs.length > 0) {
      journal.jobCreated(jobs.at(-1)!, `id-${jobs.length}`);
    } else if (step.op === 'report' && unreported.length > 0) {
      const seqs = unreported.splice(Math.min(step.skip, unreported.length - 1), step.take);
      for (const seq of seqs) if (unplanned.includes(seq)) unplanned.splice(unplanned.indexOf(seq), 1);
      journal.reported(seqs);
    }
  }
  return unreported;
}

describe('batch journal', function () {
  let dir: string;
  beforeEach(function () {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'journal-unit-'));
  });
  afterEach(function () {
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const fileIn = () => path.join(dir, 'n1.journal');

  describe('frames', function () {
    it('CRC-32 is the standard one (zlib / PNG check value); the JS table version (slicing-by-8: frames up to 4 KiB, and every frame before Node 20.15) agrees with the native one', function () {
      assert.equal(crc32(Buffer.from('123456789')), 0xcbf43926);
      assert.equal(tableCrc32(Buffer.from('123456789')), 0xcbf43926);
      assert.equal(crc32(Buffer.alloc(0)), 0);
      const long = Buffer.alloc(10_000, 'x'); // past the table CRC's frames: the native one, same answer
      assert.equal(crc32(long), tableCrc32(long));
      const native = (zlib as unknown as { crc32?: (data: Uint8Array) => number }).crc32;
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 600 }), fc.nat(600), fc.nat(600), (bytes, cut, cutEnd) => {
          const start = Math.min(cut, bytes.length);
          const end = Math.max(start, bytes.length - cutEnd);
          assert.equal(tableCrc32(bytes, start, end), crc32(bytes, start, end));
          if (native) assert.equal(tableCrc32(bytes, start, end), native(bytes.subarray(start, end)) >>> 0);
        }),
        { numRuns: numRuns(200) },
      );
    });

    it('round trip: entries (JSON: never a raw newline) written in group frames read back the same, in order', function () {
      const entry = fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify(v));
      fc.assert(
        fc.property(fc.array(fc.array(entry, { maxLength: 8 }), { maxLength: 8 }), (groups) => {
          const bytes = journalBytes(groups);
          const read = readFrames(bytes);
          assert.deepEqual(read.payloads, groups.flat());
          assert.equal(read.goodBytes, bytes.length);
          assert.equal(read.stoppedBy, undefined);
          assert.equal(read.foreign, false);
        }),
        { numRuns: numRuns(200) },
      );
    });

    it('a group larger than a frame holds is split over several frames, each read back whole', function () {
      const big = record(1, 'big', `,"p":"${'é'.repeat(300_000)}"`);
      const entries = Array.from({ length: 12 }, (_, i) => big.replace('"s":1,', `"s":${i + 1},`));
      const bytes = encodeGroups(entries);
      let frames = 0;
      for (let at = 0; at < bytes.length; at += 8 + bytes.readUInt32LE(at)) {
        assert.ok(bytes.readUInt32LE(at) <= GROUP_FRAME_BYTES, 'frame within its bound');
        frames++;
      }
      assert.ok(frames > 1);
      assert.deepEqual(readFrames(Buffer.concat([JOURNAL_HEADER, bytes])).payloads, entries);
    });

    it('a write torn at any byte of the last group frame reads up to the group before it, and says so', function () {
      const groups = [[record(1), record(2, 'zoë')], [record(3, 'last', ',"p":{"uid":"last","n":[1,2,3]}'), record(4), record(5)]];
      const whole = journalBytes(groups);
      const lastStart = journalBytes(groups.slice(0, 1)).length;
      for (let cut = lastStart + 1; cut < whole.length; cut++) {
        const read = readFrames(whole.subarray(0, cut));
        assert.deepEqual(read.payloads, groups[0], `cut at ${cut}`);
        assert.equal(read.goodBytes, lastStart);
        assert.equal(read.stoppedBy, 'short-frame');
      }
    });

    it('a damaged byte anywhere in the last group frame stops the read there (CRC or length): the whole group is dropped', function () {
      const groups = [[record(1)], [record(2), record(3)]];
      const whole = journalBytes(groups);
      const lastStart = journalBytes(groups.slice(0, 1)).length;
      for (let at = lastStart; at < whole.length; at++) {
        const damaged = Buffer.from(whole);
        damaged[at] ^= 0x5a;
        const read = readFrames(damaged);
        assert.deepEqual(read.payloads, groups[0], `byte ${at}`);
        assert.equal(read.goodBytes, lastStart);
        assert.ok(read.stoppedBy !== undefined);
      }
    });

    it('a file that does not start with the header is foreign; an empty one or a torn header is a new journal', function () {
      assert.equal(readFrames(Buffer.from('{"some":"json"}\n')).foreign, true);
      assert.equal(readFrames(Buffer.alloc(0)).foreign, false);
      assert.equal(readFrames(JOURNAL_HEADER.subarray(0, 5)).foreign, false);
      fc.assert(
        fc.property(fc.uint8Array({ minLength: JOURNAL_HEADER.length, maxLength: 300 }), (bytes) => {
          fc.pre(!Buffer.from(bytes.subarray(0, JOURNAL_HEADER.length)).equals(JOURNAL_HEADER));
          const read = readFrames(Buffer.from(bytes));
          assert.equal(read.foreign, true);
          assert.deepEqual(read.payloads, []);
        }),
        { numRuns: numRuns(100) },
      );
    });

    it('garbage after a good header never throws: it reads as frames up to the first bad one', function () {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 400 }), (garbage) => {
          const read = readFrames(Buffer.concat([journalBytes([[record(1)]]), Buffer.from(garbage)]));
          assert.equal(read.payloads[0], record(1));
          assert.ok(read.goodBytes >= journalBytes([[record(1)]]).length);
        }),
        { numRuns: numRuns(200) },
      );
    });
  });

  describe('replay', function () {
    it('rebuilds what is owed: loose records, planned jobs (key, records, id), and drops what was reported', function () {
      const { state } = replay([
        record(1),
        record(2),
        record(3, 'c', ',"k":"c","p":{"uid":"c","x":1}'),
        record(4),
        '{"t":"j","j":1,"key":"key-1","at":5,"s":[1,2]}',
        '{"t":"i","j":1,"id":"job-A"}',
        '{"t":"j","j":2,"key":"key-2","at":6,"s":[3]}',
        '{"t":"d","s":[1]}',
        '{"t":"d","s":[4]}',
      ]);
      assert.deepEqual([...state.jobs.values()], [
        { jobSeq: 1, idempotencyKey: 'key-1', plannedAt: 5, seqs: [1, 2], id: 'job-A' },
        { jobSeq: 2, idempotencyKey: 'key-2', plannedAt: 6, seqs: [3] },
      ]);
      // Record 1 was reported but its job still runs: kept (the job is matched with all of its records), marked reported.
      assert.deepEqual([...state.records.keys()], [1, 2, 3]);
      assert.equal(state.records.get(1)!.reported, true);
      assert.equal(state.records.get(3)!.payloadJson, '{"uid":"c","x":1}');
      assert.equal(state.records.get(2)!.json, '{"uid":"u2"}');
      assert.deepEqual(looseRecords(state), []);
      assert.equal(state.nextSeq, 5);
      assert.equal(state.nextJobSeq, 3);
    });

    it('a job whose records are all reported is gone; a mark written before its record counts too', function () {
      const { state } = replay(['{"t":"d","s":[2]}', record(1), record(2), '{"t":"j","j":1,"key":"k","at":1,"s":[1]}', '{"t":"d","s":[1]}', '{"t":"u","j":9}']);
      assert.equal(state.jobs.size, 0);
      assert.deepEqual([...state.records.keys()], []);
    });

    it('an unplanned job gives its records back to the buffer', function () {
      const { state } = replay([record(1), '{"t":"j","j":1,"key":"k","at":1,"s":[1]}', '{"t":"u","j":1}']);
      assert.deepEqual(looseRecords(state).map((r) => r.seq), [1]);
    });

    it('a frame whose CRC holds but whose content is not an entry ends the replay there', function () {
      const { state, used } = replay([record(1), 'not json', record(2)]);
      assert.equal(used, 1);
      assert.deepEqual([...state.records.keys()], [1]);
    });
  });

  describe('the file', function () {
    it('open → accept → group commit → reopen gives the records back; marks and job ids survive', async function () {
      const first = Journal.open(fileIn());
      const synced: number[] = [];
      first.journal.onSynced = (upTo) => void synced.push(upTo);
      const a = first.journal.accept('{"uid":"a"}', '{"uid":"a","given":true}', 1000);
      const b = first.journal.accept('{"uid":"b"}', undefined, 2000);
      const c = first.journal.accept('{"uid":"c"}', undefined, 3000);
      const job = await first.journal.planJob([a, b], 'key-x');
      assert.ok(synced.at(-1)! > c, 'every record accepted before the plan is on disk');
      first.journal.jobCreated(job, 'job-1');
      first.journal.reported([b]);
      await first.journal.close();

      const second = Journal.open(fileIn());
      assert.deepEqual(second.notices, []);
      assert.deepEqual([...second.state.jobs.values()], [{ jobSeq: job, idempotencyKey: 'key-x', plannedAt: second.state.jobs.get(job)!.plannedAt, seqs: [a, b], id: 'job-1' }]);
      assert.equal(second.state.records.get(a)!.payloadJson, '{"uid":"a","given":true}');
      assert.equal(second.state.records.get(b)!.reported, true);
      assert.deepEqual(looseRecords(second.state).map((r) => r.seq), [c]);
      // New seqs never reuse old ones.
      assert.ok(second.journal.accept('{"uid":"d"}', undefined, 4000) > c);
      await second.journal.close();
    });

    it('a torn last group write is cut off at the last good frame and reported; the node starts with what was good', async function () {
      const whole = journalBytes([[record(1)], [record(2)], [record(3), record(4)]]);
      const lastStart = journalBytes([[record(1)], [record(2)]]).length;
      for (const cut of [lastStart + 1, lastStart + 8, whole.length - 1]) {
        fs.writeFileSync(fileIn(), whole.subarray(0, cut));
        const opened = Journal.open(fileIn());
        assert.deepEqual(opened.notices, [{ kind: 'torn', offset: lastStart, bytes: cut - lastStart }]);
        assert.deepEqual([...opened.state.records.keys()], [1, 2]);
        await opened.journal.close();
        // Rewritten without the torn tail: the next open finds nothing wrong.
        const again = Journal.open(fileIn());
        assert.deepEqual(again.notices, []);
        assert.deepEqual([...again.state.records.keys()], [1, 2]);
        await again.journal.close();
      }
    });

    it('a garbage file is moved aside (never deleted) and the journal starts empty', async function () {
      const garbage = Buffer.from('this is not a journal \u0000\u0001\u0002');
      fs.writeFileSync(fileIn(), garbage);
      const opened = Journal.open(fileIn());
      assert.equal(opened.notices.length, 1);
      const notice = opened.notices[0]!;
      assert.equal(notice.kind, 'unreadable');
      assert.ok(notice.kind === 'unreadable' && fs.readFileSync(notice.movedTo).equals(garbage), 'the garbage is kept as it was');
      assert.equal(opened.state.records.size, 0);
      await opened.journal.close();
    });

    it('a directory that cannot be created or written throws with its errno code', function () {
      const blocker = path.join(dir, 'a-file');
      fs.writeFileSync(blocker, 'x');
      assert.throws(() => Journal.open(path.join(blocker, 'sub', 'n1.journal')), (err: NodeJS.ErrnoException) => err.code === 'ENOTDIR' || err.code === 'EEXIST');
    });

    it('compaction keeps exactly the live entries: replaying the compacted file owes the same as the original', async function () {
      await fc.assert(
        fc.asyncProperty(
          journalOps(40),
          async (ops) => {
            fs.rmSync(fileIn(), { force: true });
            const { journal } = Journal.open(fileIn());
            const unreported = await applyOps(journal, ops);
            await journal.close();
            const before = replay(readFrames(fs.readFileSync(fileIn())).payloads).state;
            // Opening compacts: the file is rewritten with the live entries only.
            const reopened = Journal.open(fileIn());
            await reopened.journal.close();
            const bytes = fs.readFileSync(fileIn());
            const after = replay(readFrames(bytes).payloads).state;
            assert.deepEqual(owed(after), owed(before));
            assert.deepEqual(owed(reopened.state), owed(before));
            // Nothing dead stays: every record in the file is owed, or part of a job that is.
            const inJobs = new Set([...after.jobs.values()].flatMap((j) => j.seqs));
            for (const r of after.records.values()) assert.ok(!r.reported || inJobs.has(r.seq));
            assert.equal([...after.records.values()].filter((r) => !r.reported).length, unreported.length);
          },
        ),
        { numRuns: numRuns(40, 5) },
      );
    });

    it('runtime compaction (records copied as bytes) keeps exactly what a full replay keeps, for every sequence of operations', async function () {
      await fc.assert(
        fc.asyncProperty(
          journalOps(50),
          async (ops) => {
            fs.rmSync(fileIn(), { force: true });
            const { journal } = Journal.open(fileIn());
            const unreported = await applyOps(journal, ops);
            await journal.close();
            const bytes = fs.readFileSync(fileIn());
            const before = replay(readFrames(bytes).payloads).state;
            const compacted = compactBytes(bytes, { nextSeq: 1, nextJobSeq: 1 });
            const read = readFrames(compacted.content);
            assert.equal(read.stoppedBy, undefined, 'every frame of the compacted file is whole');
            const after = replay(read.payloads).state;
            assert.deepEqual(owed(after), owed(before));
            assert.equal(compacted.owed, unreported.length);
            assert.ok(after.nextSeq >= before.nextSeq && after.nextJobSeq >= before.nextJobSeq, 'numbers never go back');
          },
        ),
        { numRuns: numRuns(60, 5) },
      );
    });

    it('once nothing is owed, a big file is replaced by an empty one, never while its owner still holds records', async function () {
      const { journal } = Journal.open(fileIn());
      let ownerHoldsNothing = false;
      journal.canDropAll = () => ownerHoldsNothing;
      const big = JSON.stringify({ uid: 'x', properties: { text: 'y'.repeat(2000) } });
      const seqs = Array.from({ length: 600 }, () => journal.accept(big, undefined, 1));
      await journal.commit();
      journal.reported(seqs);
      // Two commits: a compaction is tried between groups, so at least once in between.
      await journal.commit();
      await journal.commit();
      assert.ok(fs.statSync(fileIn()).size > 1024 * 1024, 'kept: the owner still said it holds records');
      ownerHoldsNothing = true;
      journal.reported([]);
      journal.reported([seqs[0]!]); // (a mark the owner repeats changes nothing owed)
      await journal.commit();
      await journal.commit();
      assert.ok(fs.statSync(fileIn()).size < 100, `emptied (${fs.statSync(fileIn()).size} bytes)`);
      const next = journal.accept('{"uid":"after"}', undefined, 2);
      assert.ok(next > seqs.at(-1)!, 'numbers go on');
      await journal.close();
      const reopened = Journal.open(fileIn());
      assert.deepEqual(looseRecords(reopened.state).map((r) => r.seq), [next]);
      await reopened.journal.close();
    });

    it('nothing is written after close: a late answer of the old instance changes nothing on disk', async function () {
      const { journal } = Journal.open(fileIn());
      const seq = journal.accept('{"uid":"a"}', undefined, 1);
      await journal.close();
      const size = fs.statSync(fileIn()).size;
      journal.reported([seq]);
      journal.jobCreated(1, 'late');
      assert.equal(journal.accept('{"uid":"b"}', undefined, 2) > seq, true);
      await assert.rejects(journal.planJob([seq], 'k'), (err: NodeJS.ErrnoException) => err.code === 'ECLOSED');
      assert.equal(fs.statSync(fileIn()).size, size);
    });

    it('remove() deletes the store', async function () {
      const { journal } = Journal.open(fileIn());
      await journal.remove();
      assert.equal(fs.existsSync(fileIn()), false);
    });
  });
});
