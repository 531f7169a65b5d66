// Webhooks against a real nats-server and the local RabbitMQ: signed POSTs, an endpoint that is down delays neither
// fedora-messaging nor the other endpoint and gets everything once it is back, and nothing is sent twice after a 2xx.
import { createServer, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import { Bus } from '@autocloud/bus';
import { PUBLIC_SUBJECTS } from '@autocloud/schemas';
import { loadConfig } from '@autocloud/service';
import {
  createTestVhost,
  startNatsServer,
  testLogger,
  waitFor,
  type NatsServerHandle,
  type TestVhost,
} from '@autocloud/testing';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { NotifierConfig } from '../config.js';
import { Notifier } from '../notifier.js';
import { collectQueue, eventBody } from '../test-support.js';
import { verify } from './signature.js';
import { webhookDestination } from './webhook-destination.js';

const log = testLogger('notifier');
const SECRET = 'a-test-secret-of-some-length';

interface Received {
  path: string;
  eventId: string;
  signed: boolean;
}

async function startReceiver(): Promise<{
  server: Server;
  url: string;
  received: Received[];
  down: Set<string>;
}> {
  const received: Received[] = [];
  const down = new Set<string>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = req.url ?? '/';
      if (down.has(path)) {
        res.writeHead(503).end();
        return;
      }
      const body = Buffer.concat(chunks);
      const { event_id } = JSON.parse(body.toString()) as { event_id: string };
      const signature = req.headers['x-autocloud-signature'];
      received.push({ path, eventId: event_id, signed: verify(body, SECRET, String(signature)) });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received, down };
}

describe('notifier → webhooks', () => {
  let nats: NatsServerHandle;
  let vhost: TestVhost;
  beforeAll(async () => {
    [nats, vhost] = await Promise.all([startNatsServer(), createTestVhost()]);
  });
  afterAll(async () => {
    await Promise.all([nats?.dispose(), vhost?.dispose()]);
  });

  test('a down endpoint holds back nobody, catches up later, and nothing is sent twice', async () => {
    const receiver = await startReceiver();
    const queue = await collectQueue(vhost.url, 'events', 'org.fedoraproject.prod.autocloud.#');
    await queue.start();
    const bus = await Bus.connect({ servers: nats.url, service: 'notifier', log });
    await bus.ensureTopology();
    receiver.down.add('/down');
    const config = loadConfig(NotifierConfig, {
      NATS_URL: nats.url,
      FEDORA_MESSAGING_URL: vhost.url,
      CI_MESSAGES: 'false',
      WEBHOOK_URLS: `${receiver.url}/up,${receiver.url}/down`,
      WEBHOOK_SECRET: SECRET,
    });
    const notifier = await Notifier.start({ config, bus, log, metrics: new Registry() });
    try {
      for (const [i, subject] of PUBLIC_SUBJECTS.entries()) {
        await bus.publish(subject, eventBody(subject, 200 + i), { msgId: `hook-${i}` });
      }
      const up = () => receiver.received.filter((r) => r.path === '/up');
      await waitFor(() => queue.received.length === 8 && up().length === 8, {
        timeoutMs: 5_000,
        what: 'fedora-messaging and the healthy endpoint, while the other is down',
      });
      expect(up().every((r) => r.signed)).toBe(true);

      receiver.down.delete('/down');
      const down = () => receiver.received.filter((r) => r.path === '/down');
      await waitFor(() => down().length === 8, {
        timeoutMs: 40_000,
        what: 'the recovered endpoint catching up',
      });
      expect(new Set(down().map((r) => r.eventId)).size).toBe(8);
      expect(up()).toHaveLength(8);

      // A redelivery of an event the endpoint already answered 2xx for is not sent again.
      const again = webhookDestination({
        url: `${receiver.url}/up`,
        secret: SECRET,
        subjects: PUBLIC_SUBJECTS,
        timeoutMs: 5_000,
        deliveries: await bus.kv('webhookDeliveries'),
      });
      const subject = 'autocloud.image.success';
      await again.deliver(
        { subject, body: eventBody(subject), eventId: 'hook-5', at: new Date() },
        new AbortController().signal,
      );
      expect(up()).toHaveLength(8);
      await again.deliver(
        { subject, body: eventBody(subject), eventId: 'hook-new', at: new Date() },
        new AbortController().signal,
      );
      expect(up()).toHaveLength(9);
    } finally {
      await notifier.stop();
      await bus.close();
      await queue.close();
      receiver.server.close();
    }
  });
});
