// The byte layout of a batch journal: a header, then frames. A frame is its payload's length and
// CRC-32 (both unsigned 32-bit little-endian) followed by the payload (UTF-8 JSON). A write that a
// crash or a power cut tore off shows as a frame that is short or fails its CRC: reading stops at
// the last good frame and says where, so the rest can be cut off and reported.

import zlib from 'node:zlib';

/** First bytes of every journal file: a file that starts otherwise is not ours (or is garbage). */
export const JOURNAL_HEADER = Buffer.from('FSJOURNAL 1\n', 'latin1');
const FRAME_HEAD = 8;
/** No entry we write comes near this (a job of 50,000 record numbers is ~0.5 MB): a larger length is garbage. */
export const MAX_FRAME_BYTES = 64 * 1024 * 1024;

// CRC-32 (IEEE 802.3, reflected, as zlib and PNG use it). zlib.crc32 computes the same natively
// from Node 20.15 / 22.2; the package supports 20.0, so the table version stands in before that.
const nativeCrc32 = (zlib as unknown as { crc32?: (data: Uint8Array) => number }).crc32;
const CRC_TABLE = ((): Uint32Array => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

export function crc32(bytes: Uint8Array, start = 0, end = bytes.length): number {
  if (nativeCrc32) return nativeCrc32(bytes.subarray(start, end)) >>> 0;
  return tableCrc32(bytes, start, end);
}

/** The hand-written CRC-32 (exported so tests check it against the native one where there is one). */
export function tableCrc32(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let crc = 0xffffffff;
  for (let i = start; i < end; i++) crc = CRC_TABLE[(crc ^ bytes[i]!) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/** Frames for a group of entries, in one buffer (one write). */
export function encodeFrames(payloads: readonly string[]): Buffer {
  let total = 0;
  const lengths = new Array<number>(payloads.length);
  for (let i = 0; i < payloads.length; i++) {
    lengths[i] = Buffer.byteLength(payloads[i]!, 'utf8');
    total += FRAME_HEAD + lengths[i]!;
  }
  const out = Buffer.allocUnsafe(total);
  let at = 0;
  for (let i = 0; i < payloads.length; i++) {
    const length = lengths[i]!;
    out.write(payloads[i]!, at + FRAME_HEAD, length, 'utf8');
    out.writeUInt32LE(length, at);
    out.writeUInt32LE(crc32(out, at + FRAME_HEAD, at + FRAME_HEAD + length), at + 4);
    at += FRAME_HEAD + length;
  }
  return out;
}

/** Frames shorter than this get the table CRC: a native call per frame costs a view object and more time. */
const NATIVE_CRC_FROM = 1024;

/**
 * Writes frames straight into one growing buffer: a group commit's frames without a string per
 * entry (a record's frame is written from its parts: no concatenation, no flattening, no byteLength
 * of the whole entry) and without a buffer per frame.
 */
export class FrameWriter {
  private bytes: Buffer;
  private at = 0;
  private frameStart = -1;

  constructor(capacity = 64 * 1024) {
    this.bytes = Buffer.allocUnsafe(capacity);
  }

  /** Starts a frame (its head is filled in by endFrame). */
  begin(): void {
    this.ensure(FRAME_HEAD);
    this.frameStart = this.at;
    this.at += FRAME_HEAD;
  }

  /** Text that is ASCII by construction (our own keys and punctuation). */
  ascii(text: string): void {
    this.ensure(text.length);
    this.at += this.bytes.write(text, this.at, 'latin1');
  }

  /** Any text (JSON), UTF-8. */
  utf8(text: string): void {
    // A UTF-16 unit becomes at most 3 bytes: only a buffer that could be too short is measured.
    if (this.bytes.length - this.at < text.length * 3) this.ensure(Buffer.byteLength(text, 'utf8'));
    this.at += this.bytes.write(text, this.at, 'utf8');
  }

  /** A number as JSON writes it (digits written directly for the usual non-negative integer). */
  integer(value: number): void {
    if (!Number.isSafeInteger(value) || value < 0) {
      this.ascii(JSON.stringify(value));
      return;
    }
    this.ensure(16);
    if (value === 0) {
      this.bytes[this.at++] = 0x30;
      return;
    }
    let digits = 0;
    for (let v = value; v >= 1; v = Math.floor(v / 10)) digits++;
    let v = value;
    for (let i = this.at + digits - 1; i >= this.at; i--) {
      this.bytes[i] = 0x30 + (v % 10);
      v = Math.floor(v / 10);
    }
    this.at += digits;
  }

  /** Ends the frame begun last: its length and CRC go into its head. */
  end(): void {
    const start = this.frameStart;
    const payload = start + FRAME_HEAD;
    const length = this.at - payload;
    this.bytes.writeUInt32LE(length, start);
    this.bytes.writeUInt32LE(length < NATIVE_CRC_FROM ? tableCrc32(this.bytes, payload, this.at) : crc32(this.bytes, payload, this.at), start + 4);
    this.frameStart = -1;
  }

  /** A whole frame holding `payload`. */
  frame(payload: string): void {
    this.begin();
    this.utf8(payload);
    this.end();
  }

  /** The frames written so far (a view of them: the writer is not used again). */
  finish(): Buffer {
    return this.bytes.subarray(0, this.at);
  }

  private ensure(more: number): void {
    if (this.bytes.length - this.at >= more) return;
    const grown = Buffer.allocUnsafe(Math.max(2 * this.bytes.length, this.at + more));
    this.bytes.copy(grown, 0, 0, this.at);
    this.bytes = grown;
  }
}

export interface FrameRead {
  /** The payloads of the good frames, in file order. */
  payloads: string[];
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
 * header). Positions only: a compaction copies most frames as bytes, without decoding them.
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
    return { payloads: [], goodBytes: 0, foreign: !torn, stoppedBy: torn && bytes.length > 0 ? 'short-frame' : undefined };
  }
  if (!bytes.subarray(0, header).equals(JOURNAL_HEADER)) return { payloads: [], goodBytes: 0, foreign: true };
  const { spans, goodBytes, stoppedBy } = frameSpans(bytes);
  const payloads = spans.map((span) => bytes.toString('utf8', span.start + FRAME_HEAD, span.end));
  return { payloads, goodBytes, foreign: false, stoppedBy };
}
