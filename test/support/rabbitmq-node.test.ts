import { connect } from 'amqplib';
import { describe, expect, it } from 'vitest';
import { processAlive } from './process-tree.js';
import { skipPrivateRabbit, startRabbitNode } from './rabbitmq-node.js';

const sharedUrl = process.env.AMQP_URL || 'amqp://guest:guest@127.0.0.1:5672';

describe.skipIf(skipPrivateRabbit())('private RabbitMQ node helper', () => {
  it('starts, is SIGKILLed, restarts with its quorum queue data, and is removed', {
    timeout: 240_000,
  }, async () => {
    const node = await startRabbitNode();
    try {
      expect(node.nodeName).toMatch(/^bp-test-[0-9a-f]{8}@localhost$/);
      expect(node.port).not.toBe(5672);
      const status = await node.ctl(['status']);
      expect(status).toContain(`Node name: ${node.nodeName}`);
      await expect(node.ctl(['-n', 'rabbit@localhost', 'status'])).rejects.toThrow(/this node only/);
      const beam = node.beamPid();
      // The shared broker, when it runs, must not notice any of this.
      const shared = await connect(sharedUrl, { timeout: 2000 }).catch(() => undefined);
      let sharedClosed = false;
      shared?.on('close', () => {
        sharedClosed = true;
      });
      expect(beam).toBeDefined();

      const model = await connect(node.url);
      const channel = await model.createConfirmChannel();
      await channel.assertQueue('kept', { durable: true, arguments: { 'x-queue-type': 'quorum' } });
      channel.sendToQueue('kept', Buffer.from('survives'), { persistent: true });
      await channel.waitForConfirms();
      // RabbitMQ 3.10's Ra saves its name registry (names.dets) every 500 ms: a quorum queue declared
      // just before a crash restarts as a new, empty, leaderless member. Give it time to be saved.
      await new Promise((r) => setTimeout(r, 2000));
      const closed = new Promise<void>((r) => model.once('close', () => r()));
      model.on('error', () => {});

      await node.kill();
      await closed; // the client saw the broker go
      expect(processAlive(beam ?? -1)).toBe(false);
      expect(node.beamPid()).toBeUndefined();
      await expect(connect(node.url, { timeout: 1000 })).rejects.toThrow();

      await node.restart();
      expect(node.beamPid()).not.toBe(beam);
      const again = await connect(node.url);
      const readBack = await again.createChannel();
      // A quorum queue elects its (single) leader after the restart: poll briefly.
      let message = await readBack.get('kept', { noAck: true });
      for (let i = 0; !message && i < 50; i++) {
        await new Promise((r) => setTimeout(r, 100));
        message = await readBack.get('kept', { noAck: true });
      }
      expect(message ? message.content.toString() : undefined).toBe('survives');
      await again.close();
      expect(sharedClosed).toBe(false);
      await shared?.close();
      console.log(`[rabbitmq-node] starts took ${node.startsMs.join(' ms, ')} ms`);
    } finally {
      await node.stop();
    }
    await expect(connect(node.url, { timeout: 1000 })).rejects.toThrow();
  });
});
