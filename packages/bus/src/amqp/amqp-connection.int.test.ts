// The reconnecting fedora-messaging connection against the local RabbitMQ (a vhost of its own): setup after every
// connection, a failing setup retried, a lost connection re-established, and a stop that ends it for good.
import { createTestVhost, testLogger, waitFor, type TestVhost } from '@autocloud/testing';
import { type ChannelModel } from 'amqplib';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { AmqpConnection, reconnectDelayMs } from './amqp-connection.js';

describe('AmqpConnection', () => {
  let vhost: TestVhost;

  beforeAll(async () => {
    vhost = await createTestVhost();
  });
  afterAll(async () => {
    await vhost?.dispose();
  });

  test('runs setup on each connection, retries a failing one, reconnects after a loss, and stops for good', async () => {
    const models: ChannelModel[] = [];
    let closings = 0;
    let attempts = 0;
    const connection = new AmqpConnection({
      url: vhost.url,
      name: 'autocloud test',
      log: testLogger(),
      async setup(model) {
        attempts++;
        if (attempts === 1) throw new Error('the queue is not there yet');
        const channel = await model.createChannel();
        await channel.assertQueue('probe', { durable: false });
        models.push(model);
      },
      onClosed: () => closings++,
    });
    connection.start();
    await waitFor(() => models.length === 1, { timeoutMs: 15_000, what: 'a second, successful setup' });
    expect(attempts).toBe(2);
    expect(closings).toBe(1);

    // The connection goes away: a new one is made and set up again.
    await models[0]!.close();
    await waitFor(() => models.length === 2, { timeoutMs: 15_000, what: 'setup on a new connection' });
    expect(closings).toBe(2);

    await connection.stop();
    expect(closings).toBe(3);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(models).toHaveLength(2);
  });

  test('stop lets the drain finish on the open connection before closing it', async () => {
    let model: ChannelModel | undefined;
    const connection = new AmqpConnection({
      url: vhost.url,
      name: 'autocloud test',
      log: testLogger(),
      setup: (m) => {
        model = m;
        return Promise.resolve();
      },
    });
    connection.start();
    await waitFor(() => model, { timeoutMs: 15_000, what: 'the connection' });
    let openDuringDrain = false;
    await connection.stop(async () => {
      const channel = await model!.createChannel();
      openDuringDrain = true;
      await channel.close();
    });
    expect(openDuringDrain).toBe(true);
    await expect(model!.createChannel()).rejects.toThrow();
  });

  test('the delay before each reconnection grows, is capped at 30 s, and is jittered ±20 %', () => {
    expect(reconnectDelayMs(0, () => 0.5)).toBe(500);
    expect(reconnectDelayMs(3, () => 0.5)).toBe(4_000);
    expect(reconnectDelayMs(20, () => 0.5)).toBe(30_000);
    expect(reconnectDelayMs(0, () => 0)).toBeCloseTo(400);
    expect(reconnectDelayMs(0, () => 1)).toBeCloseTo(600);
  });
});
