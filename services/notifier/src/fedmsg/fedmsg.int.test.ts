// The legacy fedmsg PUB socket: a ZeroMQ subscriber receives [topic, envelope] for a public event.
import { Bus } from '@autocloud/bus';
import { loadConfig } from '@autocloud/service';
import { freePort, startNatsServer, testLogger, type NatsServerHandle } from '@autocloud/testing';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Subscriber } from 'zeromq';
import { NotifierConfig } from '../config.js';
import { Notifier } from '../notifier.js';
import { eventBody, originalBodyFor } from '../test-support.js';
import { type FedmsgEnvelope } from './publisher.js';

const log = testLogger('notifier');

describe('notifier → fedmsg', () => {
  let nats: NatsServerHandle;
  beforeAll(async () => {
    nats = await startNatsServer();
  });
  afterAll(async () => {
    await nats?.dispose();
  });

  test('a public event goes out as [topic, envelope] on the PUB socket', async () => {
    const endpoint = `tcp://127.0.0.1:${await freePort()}`;
    const bus = await Bus.connect({ servers: nats.url, service: 'notifier', log });
    await bus.ensureTopology();
    const config = loadConfig(NotifierConfig, { NATS_URL: nats.url, FEDMSG_PUBLISH_ENDPOINT: endpoint });
    const notifier = await Notifier.start({ config, bus, log, metrics: new Registry() });
    const subscriber = new Subscriber();
    try {
      subscriber.connect(endpoint);
      subscriber.subscribe('org.fedoraproject.prod.autocloud.');
      await new Promise((resolve) => setTimeout(resolve, 500)); // ZeroMQ's slow joiner
      await bus.publish('autocloud.image.failed', eventBody('autocloud.image.failed', 42), {
        msgId: 'fedmsg-1',
      });
      const [topic, payload] = await subscriber.receive();
      expect(topic!.toString()).toBe('org.fedoraproject.prod.autocloud.image.failed');
      const envelope = JSON.parse(payload!.toString()) as FedmsgEnvelope;
      expect(envelope).toMatchObject({ topic: 'org.fedoraproject.prod.autocloud.image.failed', i: 1 });
      expect(envelope.msg_id).toMatch(/^\d{4}-[0-9a-f-]{36}$/);
      expect(typeof envelope.timestamp).toBe('number');
      const msg = envelope.msg as Record<string, unknown>;
      expect(msg.status).toBe('failed');
      for (const key of Object.keys(originalBodyFor('autocloud.image.failed')))
        expect(msg).toHaveProperty(key);
    } finally {
      subscriber.close();
      await notifier.stop();
      await bus.close();
    }
  });
});
