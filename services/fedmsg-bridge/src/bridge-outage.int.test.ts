// The bridge when things break: killed mid-message, and its broker stopped for 20 s.
import { randomUUID } from 'node:crypto';
import { Bus } from '@autocloud/bus';
import { loadConfig } from '@autocloud/service';
import {
  createTestVhost,
  spawnService,
  startNatsServer,
  streamMessages,
  startDatagrepperStub,
  startRabbitNode,
  testLogger,
  waitFor,
  type NatsServerHandle,
  type RabbitNode,
  type TestVhost,
} from '@autocloud/testing';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Bridge } from './bridge.js';
import { BridgeConfig } from './config.js';
import { envelopeFor, publishFedoraMessage, pungiBody } from './test-support.js';

const log = testLogger('fedmsg-bridge');

describe('fedmsg-bridge under failure', () => {
  let nats: NatsServerHandle;
  let vhost: TestVhost;
  let rabbit: RabbitNode;

  beforeAll(async () => {
    [nats, vhost, rabbit] = await Promise.all([startNatsServer(), createTestVhost(), startRabbitNode()]);
  });
  afterAll(async () => {
    await Promise.all([nats?.dispose(), vhost?.dispose(), rabbit?.dispose()]);
  });

  test(
    'killed between receipt and the JetStream ack, the message is redelivered and nothing is lost',
    { timeout: 120_000 },
    async () => {
      const env = {
        NATS_URL: nats.url,
        FEDORA_MESSAGING_URL: vhost.url,
        FEDORA_MESSAGING_QUEUE: 'autocloud-bridge-test',
      };
      const first = spawnService('fedmsg-bridge', env);
      await first.waitForLog(/consuming from fedora-messaging/);
      await nats.stop(); // JetStream cannot acknowledge anything now

      const id = await publishFedoraMessage(vhost.url, pungiBody('Fedora-Cloud-41-20261124.7'));
      await first.waitForLog(new RegExp(`"message_id":"${id}".*"msg":"received"`));
      await first.kill();

      await nats.restart();
      const second = spawnService('fedmsg-bridge', env);
      try {
        const bus = await Bus.connect({ servers: nats.url, service: 'test', log });
        try {
          await waitFor(
            async () =>
              (await streamMessages(bus.jsm, 'PUNGI')).some((m) => m.header.get('Nats-Msg-Id') === id),
            { timeoutMs: 60_000, intervalMs: 250, what: 'the redelivered message in JetStream' },
          );
          expect(second.output()).toMatch(
            new RegExp(`"message_id":"${id}","topic":"[^"]+","redelivered":true`),
          );
          expect(await streamMessages(bus.jsm, 'PUNGI')).toHaveLength(1);
        } finally {
          await bus.close();
        }
      } finally {
        expect(await second.stop()).toBe(0);
      }
    },
  );

  test(
    '`--since <time> --once` replays datagrepper from that time and exits 0',
    { timeout: 60_000 },
    async () => {
      const datagrepper = await startDatagrepperStub();
      const bus = await Bus.connect({ servers: nats.url, service: 'test', log });
      try {
        await bus.ensureTopology();
        await bus.jsm.streams.purge('PUNGI');
        const old = new Date('2026-11-20T10:00:00Z');
        const id = randomUUID();
        datagrepper.messages.push(envelopeFor(pungiBody('Fedora-Cloud-41-20261120.0'), id, old));
        const replay = spawnService(
          'fedmsg-bridge',
          { NATS_URL: nats.url, DATAGREPPER_URL: datagrepper.url },
          ['--since', '2026-11-20T09:00:00Z', '--once'],
        );
        expect(await replay.exited).toBe(0);
        const stored = await streamMessages(bus.jsm, 'PUNGI');
        expect(stored.map((m) => m.header.get('Nats-Msg-Id'))).toEqual([id]);
        expect(Number(datagrepper.requests[0]!.searchParams.get('start'))).toBe(
          Date.parse('2026-11-20T09:00:00Z') / 1000,
        );
      } finally {
        await bus.close();
        await datagrepper.close();
      }
    },
  );

  test(
    'RabbitMQ stopped for 20 s: the bridge reconnects by itself and forwards what is published after',
    { timeout: 120_000 },
    async () => {
      const bus = await Bus.connect({ servers: nats.url, service: 'fedmsg-bridge', log });
      await bus.ensureTopology();
      await bus.jsm.streams.purge('PUNGI');
      const config = loadConfig(BridgeConfig, { NATS_URL: nats.url, FEDORA_MESSAGING_URL: rabbit.url });
      const bridge = await Bridge.create({ config, bus, log, metrics: new Registry() });
      const connected = () => {
        try {
          bridge.checkReady();
          return true;
        } catch {
          return false;
        }
      };
      try {
        bridge.start();
        await waitFor(connected, { what: 'the first connection' });
        const before = randomUUID();
        await publishFedoraMessage(rabbit.url, pungiBody('Fedora-Cloud-41-20261124.8'), {
          messageId: before,
        });
        await waitFor(async () => (await streamMessages(bus.jsm, 'PUNGI')).length === 1, {
          what: 'the first message',
        });

        await rabbit.stopApp();
        await waitFor(() => !connected(), { what: 'the bridge to notice' });
        await new Promise((resolve) => setTimeout(resolve, 20_000));
        await rabbit.startApp();
        await waitFor(connected, { timeoutMs: 60_000, what: 'the bridge to reconnect' });

        const after = randomUUID();
        await publishFedoraMessage(rabbit.url, pungiBody('Fedora-Cloud-41-20261124.9'), { messageId: after });
        await waitFor(async () => (await streamMessages(bus.jsm, 'PUNGI')).length === 2, {
          what: 'the message after',
        });
        const ids = (await streamMessages(bus.jsm, 'PUNGI')).map((m) => m.header.get('Nats-Msg-Id'));
        expect(ids).toEqual([before, after]);
      } finally {
        await bridge.stop();
        await bus.close();
      }
    },
  );
});
