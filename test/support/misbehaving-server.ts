// A scripted HTTP server on loopback that answers the way a broken server, a proxy or an attacker
// might: a body that drips, never ends, is too large or ends early; headers that never come; the
// request's own headers echoed back; any status and Retry-After. Each request is answered by the
// script set with `answer()`; what happened on the wire is recorded for the test to check.
//
// Timers here are the global ones, so under sinon fake timers a drip moves with the fake clock.

import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import diagnostics from 'node:diagnostics_channel';
import zlib from 'node:zlib';

export interface Exchange {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  /** Date.now() when the request had arrived (fake time under sinon fake timers). */
  at: number;
  /** Body bytes the server wrote (they may still sit in socket buffers, unread). */
  bytesWritten: number;
  /** The client hung up before the server finished its answer. */
  closedByClient: boolean;
  /** The server finished its answer (or hung up itself). */
  finished: boolean;
}

export type Script = (req: http.IncomingMessage, res: http.ServerResponse, exchange: Exchange) => void;

export interface MisbehavingServer {
  url: string;
  exchanges: Exchange[];
  /** Sets how every following request is answered. */
  answer(script: Script): void;
  /** Bytes each client socket to this server has read so far, one entry per socket. */
  clientBytesRead(): number[];
  /** Forgets the recorded exchanges and client sockets (between tests). */
  reset(): void;
  close(): Promise<void>;
}

export async function startMisbehavingServer(): Promise<MisbehavingServer> {
  let script: Script = json(200, {});
  const exchanges: Exchange[] = [];
  const sockets = new Set<Socket>();
  const clientSockets: Socket[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const exchange: Exchange = {
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        at: Date.now(),
        bytesWritten: 0,
        closedByClient: false,
        finished: false,
      };
      exchanges.push(exchange);
      res.on('close', () => {
        if (!res.writableFinished) exchange.closedByClient = true;
        exchange.finished = true;
      });
      const write = res.write.bind(res) as (chunk: unknown, ...rest: unknown[]) => boolean;
      res.write = ((chunk: unknown, ...rest: unknown[]) => {
        exchange.bytesWritten += Buffer.byteLength(chunk as string);
        return write(chunk, ...rest);
      }) as typeof res.write;
      script(req, res, exchange);
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  // Client sockets (the code under test) that connect to this server: how much they have read
  // tells how much of an answer entered the client's memory.
  const onClientSocket = ({ socket }: { socket: Socket }): void => {
    socket.once('connect', () => {
      if (socket.remotePort === port) clientSockets.push(socket);
    });
  };
  diagnostics.subscribe('net.client.socket', onClientSocket as (message: unknown) => void);
  return {
    url: `http://127.0.0.1:${port}`,
    exchanges,
    answer(next) {
      script = next;
    },
    clientBytesRead: () => clientSockets.map((s) => s.bytesRead),
    reset() {
      exchanges.length = 0;
      clientSockets.length = 0;
    },
    async close() {
      diagnostics.unsubscribe('net.client.socket', onClientSocket as (message: unknown) => void);
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

// ---- scripts ----

/** A plain JSON answer. */
export function json(status: number, body: unknown, headers: Record<string, string> = {}): Script {
  return (_req, res) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(typeof body === 'string' ? body : JSON.stringify(body));
  };
}

/** Sends `text` one byte every `everyMs` (a server or proxy that trickles). */
export function drip(status: number, text: string, everyMs: number): Script {
  return (_req, res) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    let i = 0;
    const timer = setInterval(() => {
      if (res.destroyed || i >= text.length) {
        clearInterval(timer);
        if (!res.destroyed) res.end();
        return;
      }
      res.write(text[i++]);
    }, everyMs);
    res.on('close', () => clearInterval(timer));
  };
}

/** Writes `chunk` again and again, as fast as the client reads, until the client hangs up. */
export function endless(status: number, chunk: string, headers: Record<string, string> = {}): Script {
  return (_req, res) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.write('{"results":["');
    const pump = (): void => {
      while (!res.destroyed && res.write(chunk));
    };
    res.on('drain', pump);
    pump();
  };
}

/** Like `endless`, gzip-compressed: a few KB on the wire expand without end (a zip bomb). */
export function endlessGzip(status: number): Script {
  return (_req, res) => {
    res.writeHead(status, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
    const gzip = zlib.createGzip();
    gzip.pipe(res);
    const zeros = Buffer.alloc(64 * 1024, 0x30);
    const pump = (): void => {
      while (!res.destroyed && gzip.write(zeros));
    };
    gzip.on('drain', pump);
    res.on('close', () => gzip.destroy());
    pump();
  };
}

/** A complete, valid JSON answer of at least `bytes` bytes. */
export function oversized(status: number, bytes: number): Script {
  return json(status, { id: '1', padding: 'x'.repeat(bytes) });
}

/** Accepts the request and never answers (headers never come). */
export function silent(): Script {
  return () => undefined;
}

/** Declares `declared` bytes, sends `text` (fewer), then hangs up. */
export function endsEarly(status: number, text: string, declared: number): Script {
  return (_req, res) => {
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(declared) });
    res.write(text, () => res.destroy());
  };
}

/** 200 with the request's headers in the body (a debug endpoint or proxy that echoes). */
export function echoHeaders(shape: (headers: http.IncomingHttpHeaders) => unknown = (h) => ({ headers: h })): Script {
  return (req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(shape(req.headers)));
  };
}

/** Writes a raw body in the given pieces (the key split across TCP writes), each flushed first. */
export function pieces(status: number, parts: string[]): Script {
  return (_req, res) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    const next = (i: number): void => {
      if (res.destroyed) return;
      if (i >= parts.length) {
        res.end();
        return;
      }
      res.write(parts[i], () => setImmediate(() => next(i + 1)));
    };
    next(0);
  };
}
