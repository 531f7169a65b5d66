// The notifier against a real nats-server and the local RabbitMQ: every public event arrives on fedora-messaging in
// its wire format, with a CI message per image event; compose.resolved and control commands are not announced.
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
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { CI_SCHEMAS, type CiSubject } from './ci-messages/ci-schema.js';
import { NotifierConfig } from './config.js';
import { uuidV5 } from './fedora-messaging/message-id.js';
import { Notifier } from './notifier.js';
import { collectQueue, eventBody, originalBodyFor, typeOf } from './test-support.js';

const log = testLogger('notifier');

describe('notifier → fedora-messaging', () => {
  let nats: NatsServerHandle;
  let vhost: TestVhost;

  beforeAll(async () => {
    [nats, vhost] = await Promise.all([startNatsServer(), createTestVhost()]);
  });
  afterAll(async () => {
    await Promise.all([nats?.dispose(), vhost?.dispose()]);
  });

  test('each of the eight public events arrives with topic, properties, headers and the original fields', async () => {
    const events = await collectQueue(vhost.url, 'autocloud-events', 'org.fedoraproject.prod.autocloud.#');
    const ci = await collectQueue(vhost.url, 'ci-events', 'org.fedoraproject.prod.ci.#');
    await Promise.all([events.start(), ci.start()]);
    const bus = await Bus.connect({ servers: nats.url, service: 'notifier', log });
    await bus.ensureTopology();
    const metrics = new Registry();
    const config = loadConfig(NotifierConfig, { NATS_URL: nats.url, FEDORA_MESSAGING_URL: vhost.url });
    const notifier = await Notifier.start({ config, bus, log, metrics });
    try {
      const ids = new Map<string, string>();
      for (const [i, subject] of PUBLIC_SUBJECTS.entries()) {
        const msgId = `event-${i}-${subject}`;
        ids.set(subject, msgId);
        await bus.publish(subject, eventBody(subject, 100 + i), { msgId });
      }
      await waitFor(() => events.received.length >= 8 && ci.received.length >= 5, {
        timeoutMs: 20_000,
        what: 'eight events and five CI messages',
      });

      for (const subject of PUBLIC_SUBJECTS) {
        const topic = `org.fedoraproject.prod.${subject}`;
        const got = events.received.filter((m) => m.routingKey === topic);
        expect(got, topic).toHaveLength(1);
        const { body, properties } = got[0]!;
        expect(properties.contentType).toBe('application/json');
        expect(properties.contentEncoding).toBe('utf-8');
        expect(properties.deliveryMode).toBe(2);
        expect(properties.messageId).toBe(uuidV5(`${topic}\n${ids.get(subject)!}`));
        const headers = properties.headers ?? {};
        expect(headers.fedora_messaging_schema).toBe(
          subject.startsWith('autocloud.compose.') ? 'autocloud.compose.v1' : 'autocloud.image.v1',
        );
        expect(headers.fedora_messaging_severity).toBe(/failed|aborted/.test(subject) ? 30 : 20);
        expect(String(headers['sent-at'])).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
        for (const [key, value] of Object.entries(originalBodyFor(subject))) {
          if (key === 'status' && subject.startsWith('autocloud.image.')) continue; // differs by subject
          expect(body, `${subject}.${key}`).toHaveProperty(key);
          expect(typeOf(body[key]), `${subject}.${key}`).toBe(typeOf(value));
          if (subject.startsWith('autocloud.compose.')) expect(body[key]).toEqual(value);
        }
        if (subject.startsWith('autocloud.image.')) expect(body.status).toBe(subject.split('.').at(-1));
      }

      const expectedCi: Record<string, CiSubject> = {
        queued: 'ci.productmd-compose.test.queued',
        running: 'ci.productmd-compose.test.running',
        success: 'ci.productmd-compose.test.complete',
        failed: 'ci.productmd-compose.test.complete',
        aborted: 'ci.productmd-compose.test.error',
      };
      expect(ci.received).toHaveLength(5);
      for (const message of ci.received) {
        const subject = message.routingKey.replace('org.fedoraproject.prod.', '') as CiSubject;
        const checker = TypeCompiler.Compile(CI_SCHEMAS[subject]);
        expect([...checker.Errors(message.body)].map((e) => `${e.path}: ${e.message}`)).toEqual([]);
        const run = message.body.run as { id: number };
        const status = ['queued', 'running', 'success', 'failed', 'aborted'][run.id - 103]!;
        expect(subject).toBe(expectedCi[status]);
      }

      const published = await metrics.getSingleMetric('autocloud_notifier_published_total')?.get();
      expect(published?.values.find((v) => v.labels.destination === 'fedora-messaging')?.value).toBe(8);
    } finally {
      await notifier.stop();
      await bus.close();
      await Promise.all([events.close(), ci.close()]);
    }
  });
});
