import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from './processes.js';
import { amqpUrl, noRabbitmq } from './rabbitmq.js';
import { probeAmqp, rabbitmqService } from './rabbitmq-service.js';
import { services } from './services.js';

describe('rabbitmq service spec', () => {
  const servers: Server[] = [];
  const sockets: Socket[] = [];
  afterEach(async () => {
    for (const socket of sockets.splice(0)) socket.destroy();
    await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
  });
  const fakeServer = async (reply: (socket: Socket) => void) => {
    const server = createServer((socket) => {
      sockets.push(socket);
      reply(socket);
    });
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const address = server.address();
    if (typeof address !== 'object' || address === null) throw new Error('no address');
    return `amqp://guest:guest@127.0.0.1:${address.port}`;
  };

  it('is registered with AMQP_URL and the shared broker as default', () => {
    expect(services).toContain(rabbitmqService);
    expect(rabbitmqService.envVar).toBe('AMQP_URL');
    expect(rabbitmqService.defaultUrl).toBe('amqp://guest:guest@127.0.0.1:5672');
  });

  it.skipIf(noRabbitmq)('answers true for the broker the global setup found', async () => {
    expect(await probeAmqp(amqpUrl() ?? '')).toBe(true);
  });

  it('answers true for a server that replies to the protocol header with connection.start', async () => {
    const start = Buffer.from([1, 0, 0, 0, 0, 0, 4, 0, 10, 0, 10, 0xce]);
    let header: Buffer | undefined;
    const url = await fakeServer((socket) =>
      socket.once('data', (data: Buffer) => {
        header = data;
        socket.write(start);
      }),
    );
    expect(await probeAmqp(url, 500)).toBe(true);
    expect(header?.toString('latin1')).toBe('AMQP\x00\x00\x09\x01');
  });

  it('answers false for a closed port, a silent server and a server speaking something else', async () => {
    expect(await probeAmqp(`amqp://127.0.0.1:${await freePort()}`, 300)).toBe(false);
    expect(await probeAmqp(await fakeServer(() => {}), 200)).toBe(false);
    const redisLike = await fakeServer((socket) => socket.end('-ERR unknown command `AMQP`\r\n'));
    expect(await probeAmqp(redisLike, 500)).toBe(false);
    // A broker refusing 0-9-1 answers with its own protocol header: not a connection.start.
    const other = await fakeServer((socket) => socket.end(Buffer.from('AMQP\x00\x01\x00\x00')));
    expect(await probeAmqp(other, 500)).toBe(false);
  });
});
