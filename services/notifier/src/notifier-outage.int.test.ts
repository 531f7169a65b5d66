// The notifier when its broker goes away: RabbitMQ stopped for 30 s while 100 events are published; all arrive after
// it returns, none twice.
import { Bus } from '@autocloud/bus';
import { loadConfig } from '@autocloud/service';
import {
  startNatsServer,
  startRabbitNode,
  testLogger,
  waitFor,
  type NatsServerHandle,
  type RabbitNode,
} from '@autocloud/testing';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { NotifierConfig } from './config.js';
import { Notifier } from './notifier.js';
import { collectQueue, eventBody } from './test-support.js';

const log = testLogger('notifier');

describe('notifier under failure', () => {
  let nats: NatsServerHandle;
  let rabbit: RabbitNode;

  beforeAll(async () => {
    [nats, rabbit] = await Promise.all([startNatsServer(), startRabbitNode()]);
  });
  afterAll(async () => {
    await Promise.all([nats?.dispose(), rabbit?.dispose()]);
  });

  test(
    'RabbitMQ stopped for 30 s while 100 events are published: all 100 arrive after, none twice',
    { timeout: 180_000 },
    async () => {
      const queue = await collectQueue(rabbit.url, 'autocloud-events', 'org.fedoraproject.prod.autocloud.#');
      const bus = await Bus.connect({ servers: nats.url, service: 'notifier', log });
      await bus.ensureTopology();
      const config = loadConfig(NotifierConfig, {
        NATS_URL: nats.url,
        FEDORA_MESSAGING_URL: rabbit.url,
        CI_MESSAGES: 'false',
        FEDORA_MESSAGING_WAIT_MS: '5000',
      });
      const notifier = await Notifier.start({
        config,
        bus,
        log,
        metrics: new Registry(),
        retryDelayMs: 1_000,
      });
      const ready = async () => {
        for (const c of notifier.readinessChecks) await c.check();
        return true;
      };
      try {
        await waitFor(ready, { what: 'the first connection' });
        await rabbit.stopApp();
        for (let i = 0; i < 100; i++) {
          await bus.publish('autocloud.image.success', eventBody('autocloud.image.success', 1000 + i), {
            msgId: `outage-${i}`,
          });
        }
        await new Promise((resolve) => setTimeout(resolve, 30_000));
        await rabbit.startApp();
        await queue.start();
        await waitFor(() => queue.received.length >= 100, {
          timeoutMs: 90_000,
          intervalMs: 250,
          what: '100 events after the broker returned',
        });
        await new Promise((resolve) => setTimeout(resolve, 2_000)); // would a duplicate follow?
        const ids = queue.received.map((m) => m.properties.messageId as string);
        expect(new Set(ids).size).toBe(100);
        expect(queue.received).toHaveLength(100);
        expect(new Set(queue.received.map((m) => m.body.job_id))).toEqual(
          new Set(Array.from({ length: 100 }, (_, i) => 1000 + i)),
        );
      } finally {
        await notifier.stop();
        await bus.close();
        await queue.close();
      }
    },
  );
});
