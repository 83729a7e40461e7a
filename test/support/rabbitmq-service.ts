/**
 * RabbitMQ for the test run: the `ServiceSpec` the global setup probes (`AMQP_URL`, default the shared
 * broker with guest/guest). There is no throwaway: a RabbitMQ node takes seconds to boot and tests
 * that need their own node (to kill it) start it themselves; a missing broker skips its suites with a
 * banner, and fails the run under `CI=true`.
 */
import { Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { ServiceSpec } from './services.js';

/** What an AMQP 0-9-1 client sends first. */
const PROTOCOL_HEADER = Buffer.from([0x41, 0x4d, 0x51, 0x50, 0, 0, 9, 1]);
/** Method frame (type 1) on channel 0 whose method is connection.start (class 10, method 10). */
const isConnectionStart = (frame: Buffer) =>
  frame.length >= 11 &&
  frame[0] === 1 &&
  frame.readUInt16BE(1) === 0 &&
  frame.readUInt16BE(7) === 10 &&
  frame.readUInt16BE(9) === 10;

/**
 * Sends the AMQP 0-9-1 protocol header over a raw socket (no client library needed) and expects the
 * broker's `connection.start`. It proves an AMQP 0-9-1 broker listens at `url`, not that its
 * credentials work: a bad password still fails the suites that connect, loudly.
 */
export function probeAmqp(url: string, timeoutMs = 1000): Promise<boolean> {
  const { protocol, hostname, port } = new URL(url);
  const tls = protocol === 'amqps:';
  const host = hostname.replace(/^\[|\]$/g, '');
  const portNumber = Number(port || (tls ? 5671 : 5672));
  return new Promise((resolve) => {
    let received = Buffer.alloc(0);
    const socket = tls
      ? tlsConnect({ host, port: portNumber, servername: host })
      : new Socket().connect(portNumber, host);
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('error', () => done(false));
    socket.once('close', () => done(false));
    socket.on('data', (data: Buffer) => {
      received = Buffer.concat([received, data]);
      if (received.length >= 11) done(isConnectionStart(received));
    });
    socket.once(tls ? 'secureConnect' : 'connect', () => socket.write(PROTOCOL_HEADER));
  });
}

/** The shared RabbitMQ broker: found by the protocol-header probe, never started by the suite. */
export const rabbitmqService: ServiceSpec = {
  name: 'rabbitmq',
  envVar: 'AMQP_URL',
  defaultUrl: 'amqp://guest:guest@127.0.0.1:5672',
  probe: (url) => probeAmqp(url),
  installHint: 'install rabbitmq-server (apt-get install rabbitmq-server) and start it, or set AMQP_URL',
};
