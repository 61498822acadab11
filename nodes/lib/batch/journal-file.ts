// The byte layout of a batch journal: a header, then frames. A frame is its payload's length and
// CRC-32 (both unsigned 32-bit little-endian) followed by the payload: one or more entries (JSON,
// UTF-8) joined by newlines. JSON.stringify never writes a raw newline (it escapes control
// characters), and neither do the entries built around its output, so a newline ends an entry.
// One frame is one group commit (or one mark written at once): a write that a crash or a power cut
// tore off shows as a frame that is short or fails its CRC, and the whole group is dropped. None of
// its records counted as accepted (that waits for the group's fdatasync), so nothing acknowledged is
// lost. Reading stops at the last good frame and says where, so the rest can be cut off and reported.

import zlib from 'node:zlib';

/** First bytes of every journal file: a file that starts otherwise is not ours (or is garbage). */
export const JOURNAL_HEADER = Buffer.from('FSJOURNAL 1\n', 'latin1');
const FRAME_HEAD = 8;
/** No entry we write comes near this (a job of 50,000 record numbers is ~0.5 MB): a larger length is garbage. */
export const MAX_FRAME_BYTES = 64 * 1024 * 1024;

// CRC-32 (IEEE 802.3, reflected, as zlib and PNG use it). A group frame holds up to thousands of
// records: there the native zlib.crc32 (Node 20.15 / 22.2 and later) is several times faster than
// JS. A frame of a single mark is a few dozen bytes: there a table CRC in JS, eight bytes a step
// ("slicing-by-8"), costs about half of a native call with its view object.
const nativeCrc32 = (zlib as unknown as { crc32?: (data: Uint8Array) => number }).crc32;
/** Frames up to this many bytes get the table CRC. */
const TABLE_CRC_UP_TO = 4096;
/** Eight tables of 256: table k gives the CRC of a byte followed by k zero bytes. */
const CRC_TABLES = ((): Int32Array => {
  const tables = new Int32Array(8 * 256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    tables[n] = c;
  }
  for (let n = 0; n < 256; n++) {
    let c = tables[n]!;
    for (let k = 1; k < 8; k++) {
      c = tables[c & 0xff]! ^ (c >>> 8);
      tables[k * 256 + n] = c;
    }
  }
  return tables;
})();

export function crc32(bytes: Uint8Array, start = 0, end = bytes.length): number {
  if (nativeCrc32 && end - start > TABLE_CRC_UP_TO) return nativeCrc32(bytes.subarray(start, end)) >>> 0;
  return tableCrc32(bytes, start, end);
}

/** The CRC-32 computed in JS (exported so tests check it against the native one where there is one). */
export function tableCrc32(bytes: Uint8Array, start = 0, end = bytes.length): number {
  const t = CRC_TABLES;
  let crc = -1;
  let i = start;
  for (; i + 8 <= end; i += 8) {
    const word = crc ^ (bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24));
    crc =
      t[1792 + (word & 0xff)]! ^ t[1536 + ((word >>> 8) & 0xff)]! ^ t[1280 + ((word >>> 16) & 0xff)]! ^ t[1024 + (word >>> 24)]! ^
      t[768 + bytes[i + 4]!]! ^ t[512 + bytes[i + 5]!]! ^ t[256 + bytes[i + 6]!]! ^ t[bytes[i + 7]!]!;
  }
  for (; i < end; i++) crc = t[(crc ^ bytes[i]!) & 0xff]! ^ (crc >>> 8);
  return (crc ^ -1) >>> 0;
}

/** A group frame's payload grows up to about this many bytes; more entries go into the next frame. */
export const GROUP_FRAME_BYTES = 4 * 1024 * 1024;
const NEWLINE = 0x0a;

/**
 * Entries in as few frames as GROUP_FRAME_BYTES allows (one for a group commit of usual records),
 * in one buffer (one write). No entry may hold a raw newline (see the top of this file).
 */
export function encodeGroups(entries: readonly string[]): Buffer {
  // Each entry copied once into place (joining them into one string first costs more: V8 copies
  // every entry twice then), one CRC per frame (native, fast on long frames).
  const lengths = entries.map((entry) => Buffer.byteLength(entry, 'utf8'));
  return packFrames(lengths, (i, out, at) => out.write(entries[i]!, at, lengths[i]!, 'utf8'));
}

/**
 * Entries of the given byte lengths packed into frames of up to GROUP_FRAME_BYTES (an entry longer
 * than that gets a frame of its own), newline-separated, in one buffer; `copy` puts entry i in place.
 */
export function packFrames(lengths: readonly number[], copy: (i: number, out: Buffer, at: number) => void): Buffer {
  let total = 0;
  let framePayload = -1;
  for (const length of lengths) {
    const opens = framePayload < 0 || framePayload + 1 + length > GROUP_FRAME_BYTES;
    total += (opens ? FRAME_HEAD : 1) + length;
    framePayload = opens ? length : framePayload + 1 + length;
  }
  const out = Buffer.allocUnsafe(total);
  let at = 0;
  let frameStart = -1;
  for (let i = 0; i < lengths.length; i++) {
    const length = lengths[i]!;
    if (frameStart < 0 || at - frameStart - FRAME_HEAD + 1 + length > GROUP_FRAME_BYTES) {
      if (frameStart >= 0) writeFrameHead(out, frameStart, at - frameStart - FRAME_HEAD);
      frameStart = at;
      at += FRAME_HEAD;
    } else {
      out[at++] = NEWLINE;
    }
    copy(i, out, at);
    at += length;
  }
  if (frameStart >= 0) writeFrameHead(out, frameStart, at - frameStart - FRAME_HEAD);
  return out;
}

/** Fills in the length and CRC of a frame whose payload is already in place at `at + 8`. */
function writeFrameHead(out: Buffer, at: number, length: number): void {
  out.writeUInt32LE(length, at);
  out.writeUInt32LE(crc32(out, at + FRAME_HEAD, at + FRAME_HEAD + length), at + 4);
}

/** Calls `each(start, end)` for every entry of a frame payload [start, end) (none for an empty one). */
export function forEachEntry(bytes: Buffer, start: number, end: number, each: (start: number, end: number) => void): void {
  let at = start;
  while (at < end) {
    let stop = bytes.indexOf(NEWLINE, at);
    if (stop < 0 || stop > end) stop = end;
    each(at, stop);
    at = stop + 1;
  }
}

export interface FrameRead {
  /** The entries of the good frames, in file order. */
  payloads: string[];
  /** Where the frame holding each entry starts (a replay that stops at an entry cuts the file there). */
  frameStarts: number[];
  /** Bytes from the start of the file up to the end of the last good frame (header included). */
  goodBytes: number;
  /** The file does not start with our header: nothing in it can be trusted. */
  foreign: boolean;
  /** Why reading stopped before the end of the file (a torn or corrupt frame), if it did. */
  stoppedBy?: 'short-frame' | 'bad-length' | 'bad-crc';
}

/** Where one good frame lies in a buffer: [start, end) with its payload from start + 8. */
export interface FrameSpan {
  start: number;
  end: number;
}

export const FRAME_HEAD_BYTES = FRAME_HEAD;

/**
 * The good frames after the header, up to the first short or damaged one (the caller checked the
 * header). Positions only.
 * `verify: false` skips the CRCs (a compaction of a file this process wrote and read back at once;
 * the next open checks every frame again).
 */
export function frameSpans(bytes: Buffer, from = JOURNAL_HEADER.length, verify = true): { spans: FrameSpan[]; goodBytes: number; stoppedBy?: FrameRead['stoppedBy'] } {
  const spans: FrameSpan[] = [];
  let at = from;
  let stoppedBy: FrameRead['stoppedBy'];
  while (at < bytes.length) {
    if (bytes.length - at < FRAME_HEAD) {
      stoppedBy = 'short-frame';
      break;
    }
    const length = bytes.readUInt32LE(at);
    if (length > MAX_FRAME_BYTES) {
      stoppedBy = 'bad-length';
      break;
    }
    const end = at + FRAME_HEAD + length;
    if (end > bytes.length) {
      stoppedBy = 'short-frame';
      break;
    }
    if (verify && crc32(bytes, at + FRAME_HEAD, end) !== bytes.readUInt32LE(at + 4)) {
      stoppedBy = 'bad-crc';
      break;
    }
    spans.push({ start: at, end });
    at = end;
  }
  return { spans, goodBytes: at, stoppedBy };
}

/**
 * Reads every good frame. An empty file, or one that holds only part of the header (a creation cut
 * short), reads as an empty journal; anything else that lacks the header is `foreign`.
 */
export function readFrames(bytes: Buffer): FrameRead {
  const header = JOURNAL_HEADER.length;
  if (bytes.length < header) {
    const torn = JOURNAL_HEADER.subarray(0, bytes.length).equals(bytes);
    return { payloads: [], frameStarts: [], goodBytes: 0, foreign: !torn, stoppedBy: torn && bytes.length > 0 ? 'short-frame' : undefined };
  }
  if (!bytes.subarray(0, header).equals(JOURNAL_HEADER)) return { payloads: [], frameStarts: [], goodBytes: 0, foreign: true };
  const { spans, goodBytes, stoppedBy } = frameSpans(bytes);
  const payloads: string[] = [];
  const frameStarts: number[] = [];
  for (const span of spans) {
    forEachEntry(bytes, span.start + FRAME_HEAD, span.end, (start, end) => {
      payloads.push(bytes.toString('utf8', start, end));
      frameStarts.push(span.start);
    });
  }
  return { payloads, frameStarts, goodBytes, foreign: false, stoppedBy };
}
