// HTTP plumbing: reading bounded bodies, JSON request checks, and writing replies.

import type { IncomingMessage, ServerResponse } from 'node:http';

export interface Reply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

export const reply = (status: number, body: unknown, headers?: Record<string, string>): Reply =>
  headers ? { status, body, headers } : { status, body };

/** FullStory's error shape: {code (snake_case), message}. */
export const failure = (status: number, code: string, message: string, headers?: Record<string, string>): Reply =>
  reply(status, { code, message }, headers);

export type BodyResult = { ok: true; raw: Buffer } | { ok: false; reason: 'too_large' | 'aborted'; bytes: number };

/**
 * Reads the whole body. Past `max` bytes it keeps draining but stops storing, so the client gets a
 * clean 413 instead of a reset while it is still writing.
 */
export function readBody(req: IncomingMessage, max: number): Promise<BodyResult> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let bytes = 0;
    let tooLarge = Number(req.headers['content-length'] ?? 0) > max;
    req.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes > max) tooLarge = true;
      if (!tooLarge) chunks.push(chunk);
    });
    req.on('end', () => {
      resolve(tooLarge ? { ok: false, reason: 'too_large', bytes } : { ok: true, raw: chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks) });
    });
    req.on('error', () => resolve({ ok: false, reason: 'aborted', bytes }));
    req.on('close', () => {
      if (!req.complete) resolve({ ok: false, reason: 'aborted', bytes });
    });
  });
}

/**
 * `application/json`, optionally with a UTF-8 charset parameter. Refusing every other type and
 * charset is the sandbox's own rule: the specs are silent.
 */
export function isJsonContentType(value: string | undefined): boolean {
  if (!value) return false;
  const [type, ...params] = value.split(';');
  if (type?.trim().toLowerCase() !== 'application/json') return false;
  for (const p of params) {
    const eq = p.indexOf('=');
    if (eq < 0) continue;
    if (p.slice(0, eq).trim().toLowerCase() !== 'charset') continue;
    const charset = p.slice(eq + 1).trim().replace(/^"|"$/g, '').toLowerCase();
    if (charset !== 'utf-8' && charset !== 'utf8') return false;
  }
  return true;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

export type Parsed = { ok: true; value: unknown } | { ok: false; message: string };

/**
 * Strict UTF-8 then JSON; invalid bytes are an error, never silently replaced. Refusing invalid
 * UTF-8 and an empty body is the sandbox's own rule: the specs are silent.
 */
export function parseJson(raw: Buffer): Parsed {
  let text: string;
  try {
    text = utf8.decode(raw);
  } catch {
    return { ok: false, message: 'the body is not valid UTF-8' };
  }
  if (text.trim() === '') return { ok: false, message: 'the request body is empty; a JSON object is required' };
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (err) {
    return { ok: false, message: `the body is not valid JSON: ${(err as Error).message}` };
  }
}

export function sendText(res: ServerResponse, status: number, text: string, headers?: Record<string, string>): void {
  if (res.writableEnded || res.destroyed) return;
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(text)),
    ...headers,
  });
  res.end(text);
}
