import { Socket } from 'node:net';
import { onPath } from './processes.js';
import { startRedisServer } from './redis-server.js';
import type { ServiceSpec } from './services.js';

/** Sends PING over a raw socket (no client library needed) and expects +PONG. */
export function pingRedis(url: string, timeoutMs = 1000): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('error', () => done(false));
    socket.once('data', (data) => done(data.toString().startsWith('+PONG')));
    socket.connect(Number(port || 6379), hostname.replace(/^\[|\]$/g, ''), () => socket.write('PING\r\n'));
  });
}

export const redisService: ServiceSpec = {
  name: 'redis',
  envVar: 'REDIS_URL',
  defaultUrl: 'redis://127.0.0.1:6379',
  probe: (url) => pingRedis(url),
  async startThrowaway() {
    if (!onPath('redis-server')) return undefined;
    const server = await startRedisServer();
    return { url: server.url, stop: () => server.stop() };
  },
  installHint: 'install redis-server (apt-get install redis-server) or set REDIS_URL',
};
