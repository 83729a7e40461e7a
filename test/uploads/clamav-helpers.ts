/**
 * Shared pieces of the clamav adapter tests: byte sources and fake TCP servers that speak (or fail to
 * speak) clamd's protocol.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { afterEach } from 'vitest';

/** Yields `bytes` in pieces of `pieceBytes` (the last one shorter). */
export async function* inPieces(bytes: Uint8Array, pieceBytes: number): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < bytes.byteLength; at += pieceBytes) yield bytes.subarray(at, at + pieceBytes);
}

/** Yields `totalBytes` of fresh zero-filled buffers of `chunkBytes` (each a new allocation). */
export async function* zeros(totalBytes: number, chunkBytes = 64 * 1024): AsyncGenerator<Uint8Array> {
  for (let left = totalBytes; left > 0; left -= chunkBytes) yield Buffer.alloc(Math.min(chunkBytes, left));
}

/** What a fake server saw of one connection. */
export interface FakeConnection {
  readonly socket: Socket;
  /** Everything received so far. */
  received(): Buffer;
  /** True once the client closed or reset the connection. */
  closed(): boolean;
}

/** A TCP server on a free loopback port whose behaviour per connection is `onConnection`. */
export interface FakeClamd {
  readonly port: number;
  readonly connections: FakeConnection[];
}

/**
 * For a describe block: `fake(onConnection)` starts a server; every server and socket is closed after
 * each test. `read: false` pauses each socket at once, so the server never reads (a stalled clamd).
 */
export function useFakeClamd() {
  const servers: Server[] = [];
  const sockets: Socket[] = [];
  afterEach(async () => {
    for (const socket of sockets.splice(0)) socket.destroy();
    await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
  });
  return async function fake(
    onConnection: (connection: FakeConnection) => void,
    options: { read?: boolean } = {},
  ): Promise<FakeClamd> {
    const connections: FakeConnection[] = [];
    const server = createServer((socket) => {
      sockets.push(socket);
      const chunks: Buffer[] = [];
      let closed = false;
      if (options.read === false) socket.pause();
      socket.on('data', (d: Buffer) => chunks.push(d));
      socket.on('error', () => {});
      socket.on('close', () => {
        closed = true;
      });
      const connection = { socket, received: () => Buffer.concat(chunks), closed: () => closed };
      connections.push(connection);
      onConnection(connection);
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const address = server.address();
    if (typeof address !== 'object' || address === null) throw new Error('no address');
    return { port: address.port, connections };
  };
}

/** Calls `reply` once the client sent the zero-length chunk that ends an INSTREAM (or closes). */
export function onStreamEnd(connection: FakeConnection, reply: () => void): void {
  const check = () => {
    if (connection.received().subarray(-4).equals(Buffer.alloc(4))) {
      connection.socket.off('data', check);
      reply();
    }
  };
  connection.socket.on('data', check);
}

/** Resolves once `predicate` holds, polling every 10 ms (at most `tries` times). */
export async function until(predicate: () => boolean, tries = 300): Promise<void> {
  for (let i = 0; i < tries && !predicate(); i++) await new Promise((r) => setTimeout(r, 10));
  if (!predicate()) throw new Error('condition never held');
}
