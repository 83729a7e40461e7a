/**
 * Throwaway servers for the provider tests: a node:http server that records what it received and
 * answers as each test says (or never), an SMTP server (smtp-server) that can refuse or hang on
 * demand, a TCP server that never greets, and a port nobody listens on.
 */
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import {
  type AddressInfo,
  createServer as createTcpServer,
  type Socket,
  type Server as TcpServer,
} from 'node:net';
import { SMTPServer, type SMTPServerDataStream, type SMTPServerOptions } from 'smtp-server';
import { expect } from 'vitest';
import { isBackendPatternsError } from '../../../src/index.js';
import type { ProviderError, ProviderFailure, SendContext } from '../../../src/notify/provider.js';

/** One request the HTTP server received. */
export interface Received {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** How the server answers: write to `res`, or leave it hanging. */
export type Answer = (request: Received, res: ServerResponse) => void;

/** A local HTTP server. */
export interface HttpTestServer {
  readonly url: string;
  readonly received: Received[];
  /** Changes the answer for the next requests. */
  answer(answer: Answer): void;
  /** Resolves with the next request once its whole body has arrived. */
  nextRequest(): Promise<Received>;
  close(): Promise<void>;
}

/** Starts an HTTP server on 127.0.0.1, port 0. */
export async function startHttpServer(initial: Answer): Promise<HttpTestServer> {
  let current = initial;
  const received: Received[] = [];
  const waiters: ((r: Received) => void)[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const request: Received = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      received.push(request);
      current(request, res);
      for (const w of waiters.splice(0)) w(request);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    answer: (a) => {
      current = a;
    },
    nextRequest: () => new Promise((resolve) => waiters.push(resolve)),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Answers with a status, headers and a body. */
export const reply =
  (status: number, body = '', headers: Record<string, string> = {}): Answer =>
  (_req, res) => {
    res.writeHead(status, headers).end(body);
  };

/** Never answers (the request hangs until the client gives up). */
export const hang: Answer = () => {};

/** A port on 127.0.0.1 with nothing listening (connection refused). */
export async function closedPort(): Promise<number> {
  const server = createTcpServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * A TCP server that accepts connections and never says anything (no SMTP greeting), or, with
 * `closeAtOnce`, closes each connection as soon as it is accepted.
 */
export async function startSilentServer(
  closeAtOnce = false,
): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: TcpServer = createTcpServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    if (closeAtOnce) socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** What the SMTP server does at each step, per test. */
export interface SmtpBehaviour {
  /** SMTP reply code to refuse MAIL FROM with. */
  mailFrom?: number;
  /** SMTP reply code to refuse RCPT TO with. */
  rcptTo?: number;
  /** SMTP reply code to refuse the message with at the end of DATA. */
  data?: number;
  /** Read the message and never answer the end of DATA. */
  hangAfterData?: boolean;
}

/** A message the SMTP server accepted. */
export interface SmtpDelivery {
  readonly raw: Buffer;
  readonly mailFrom: string;
  readonly rcptTo: string[];
  readonly user: string | undefined;
}

/** A local SMTP server with AUTH PLAIN/LOGIN (user `app`, password `secret`). */
export interface SmtpTestServer {
  readonly port: number;
  readonly deliveries: SmtpDelivery[];
  /** Connections opened so far (a refused message must not even connect). */
  readonly connections: () => number;
  /** Messages whose DATA arrived in full (whether or not the server answered). */
  readonly dataReceived: () => number;
  /** Resolves when the next message's DATA has arrived in full. */
  nextData(): Promise<void>;
  behave(behaviour: SmtpBehaviour): void;
  close(): Promise<void>;
}

const smtpError = (code: number, message: string) =>
  Object.assign(new Error(message), { responseCode: code });

/** Starts the SMTP server on 127.0.0.1, port 0. */
export async function startSmtpServer(options: Partial<SMTPServerOptions> = {}): Promise<SmtpTestServer> {
  let behaviour: SmtpBehaviour = {};
  let connections = 0;
  let dataCount = 0;
  const dataWaiters: (() => void)[] = [];
  const deliveries: SmtpDelivery[] = [];
  const readData = (stream: SMTPServerDataStream) =>
    new Promise<Buffer>((resolve) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => resolve(Buffer.concat(chunks)));
    });
  const server = new SMTPServer({
    logger: false,
    // A hanging session must not hold close() for the default 30 s.
    closeTimeout: 200,
    disabledCommands: ['STARTTLS'],
    allowInsecureAuth: true,
    authMethods: ['PLAIN', 'LOGIN'],
    onConnect(_session, callback) {
      connections += 1;
      callback();
    },
    onAuth(auth, _session, callback) {
      if (auth.username === 'app' && auth.password === 'secret') callback(null, { user: auth.username });
      else callback(smtpError(535, 'Authentication credentials invalid'));
    },
    onMailFrom(_address, _session, callback) {
      if (behaviour.mailFrom) callback(smtpError(behaviour.mailFrom, 'Sender refused'));
      else callback();
    },
    onRcptTo(_address, _session, callback) {
      if (behaviour.rcptTo) callback(smtpError(behaviour.rcptTo, 'Recipient refused'));
      else callback();
    },
    onData(stream, session, callback) {
      readData(stream).then((raw) => {
        dataCount += 1;
        for (const w of dataWaiters.splice(0)) w();
        if (behaviour.hangAfterData) return;
        if (behaviour.data) {
          callback(smtpError(behaviour.data, 'Message refused'));
          return;
        }
        deliveries.push({
          raw,
          mailFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          rcptTo: session.envelope.rcptTo.map((r) => r.address),
          user: typeof session.user === 'string' ? session.user : undefined,
        });
        callback(null, `Ok: queued as Q${deliveries.length}X`);
      });
    },
    ...options,
  });
  server.on('error', () => {});
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.server.address() as AddressInfo;
  return {
    port: address.port,
    deliveries,
    connections: () => connections,
    dataReceived: () => dataCount,
    nextData: () => new Promise((resolve) => dataWaiters.push(resolve)),
    behave: (b) => {
      behaviour = b;
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** Awaits a rejection and checks it is a ProviderError of `failure` from `provider`. */
export async function expectFailure(
  promise: Promise<unknown>,
  failure: ProviderFailure,
  provider?: string,
): Promise<ProviderError> {
  const error = await promise.then(
    () => {
      throw new Error(`expected a ${failure} ProviderError, the send resolved`);
    },
    (e: unknown) => e,
  );
  if (!isBackendPatternsError(error, 'ERR_NOTIFY_PROVIDER')) throw error;
  const providerError = error as ProviderError;
  expect({ failure: providerError.failure, message: providerError.message }).toMatchObject({ failure });
  if (provider !== undefined) expect(providerError.provider).toBe(provider);
  return providerError;
}

/**
 * Runs a send that must be refused locally: a permanent ProviderError caused by an
 * InvalidArgumentError, and `sent()` (requests or connections the server saw) unchanged.
 */
export async function expectRefused(
  send: () => Promise<unknown>,
  sent: () => number,
): Promise<ProviderError> {
  const before = sent();
  const error = await expectFailure(send(), 'permanent');
  expect(isBackendPatternsError(error.cause, 'ERR_INVALID_ARGUMENT')).toBe(true);
  expect(sent()).toBe(before);
  return error;
}

/** Awaits a rejection with a BackendPatternsError of `code`. */
export async function expectCode(promise: Promise<unknown>, code: string): Promise<Error> {
  const error = await promise.then(
    () => {
      throw new Error(`expected ${code}, it resolved`);
    },
    (e: unknown) => e,
  );
  if (!isBackendPatternsError(error, code)) throw error;
  return error;
}

/** A send context that never aborts. */
export const context = (idempotencyKey = 'key-1'): SendContext => ({
  idempotencyKey,
  signal: new AbortController().signal,
});
