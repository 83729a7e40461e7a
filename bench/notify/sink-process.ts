/**
 * The bench's SMTP server, run as a child process (bench/notify/sink.ts starts it) so that parsing the
 * messages does not share the sender's event loop: the figures are then the senders' own cost. It
 * listens on 127.0.0.1, port 0, with authentication and STARTTLS off, reads every message to its end
 * (draining it, as a real server must before it answers), counts it and discards it.
 *
 * IPC: sends `{ ready: port }` once listening; answers `'count'` with {@link SinkCounts}.
 */
import { SMTPServer } from 'smtp-server';
import type { SinkCounts } from './sink.js';

const counts = { messages: 0, bytes: 0, connections: 0 };

const server = new SMTPServer({
  logger: false,
  authOptional: true,
  disabledCommands: ['AUTH', 'STARTTLS'],
  // No size limit and no per-connection limit: the senders' pools decide how many connections there are.
  closeTimeout: 200,
  onConnect(_session, callback) {
    counts.connections += 1;
    callback();
  },
  onData(stream, _session, callback) {
    let bytes = 0;
    stream.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
    });
    stream.on('end', () => {
      counts.messages += 1;
      counts.bytes += bytes;
      callback(null, `Ok: queued as B${counts.messages}`);
    });
  },
});
server.on('error', (error) => console.error(`smtp sink: ${error.message}`));

process.on('message', (message) => {
  if (message === 'count') process.send?.({ counts: { ...counts } satisfies SinkCounts });
});
// The parent died or let go of us: nothing will read the counts any more.
process.on('disconnect', () => server.close(() => process.exit(0)));

server.listen(0, '127.0.0.1', () => {
  const address = server.server.address();
  if (address === null || typeof address === 'string') throw new Error('smtp sink: no TCP address');
  process.send?.({ ready: address.port });
});
