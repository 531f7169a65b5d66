// The bridge against real RabbitMQ, nats-server, a ZeroMQ PUB socket and a datagrepper-shaped HTTP server.
import { randomUUID } from 'node:crypto';
import { Bus, DEADLETTER_MAX_BYTES, HEADER_TRUNCATED } from '@autocloud/bus';
import { DEADLETTER_HEADERS, UPSTREAM_HEADERS } from '@autocloud/schemas';
import { loadConfig } from '@autocloud/service';
import {
  createTestVhost,
  startDatagrepperStub,
  startNatsServer,
  streamMessages,
  testLogger,
  waitFor,
  type DatagrepperStub,
  type NatsServerHandle,
  type TestVhost,
} from '@autocloud/testing';
import { Registry } from 'prom-client';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { Publisher } from 'zeromq';
import { Bridge } from './bridge.js';
import { BridgeConfig } from './config.js';
import { envelopeFor, fixtureEnvelope, publishFedoraMessage, pungiBody, TOPIC } from './test-support.js';

const log = testLogger('fedmsg-bridge');
const decode = (data: Uint8Array) => JSON.parse(new TextDecoder().decode(data)) as Record<string, unknown>;

describe('fedmsg-bridge', () => {
  let nats: NatsServerHandle;
  let vhost: TestVhost;
  let datagrepper: DatagrepperStub;
  let bus: Bus;
  let zmqPort: number;
  let publisher: Publisher;
  let bridge: Bridge | undefined;
  let metrics: Registry;

  beforeAll(async () => {
    [nats, vhost, datagrepper] = await Promise.all([
      startNatsServer(),
      createTestVhost(),
      startDatagrepperStub(),
    ]);
    bus = await Bus.connect({ servers: nats.url, service: 'fedmsg-bridge', log });
    await bus.ensureTopology();
    publisher = new Publisher();
    await publisher.bind('tcp://127.0.0.1:0');
    zmqPort = Number(new URL(publisher.lastEndpoint!.replace('tcp://', 'http://')).port);
  });
  afterAll(async () => {
    publisher?.close();
    await bus?.close();
    await Promise.all([nats?.dispose(), vhost?.dispose(), datagrepper?.close()]);
  });
  beforeEach(async () => {
    for (const stream of ['PUNGI', 'DEADLETTER']) await bus.jsm.streams.purge(stream);
    await (await bus.kv('bridgeState')).purge('datagrepper.cursor');
    datagrepper.messages.length = 0;
  });
  afterEach(async () => {
    await bridge?.stop();
    bridge = undefined;
  });

  async function startBridge(env: Record<string, string> = {}, since?: Date): Promise<Bridge> {
    const config = loadConfig(BridgeConfig, {
      NATS_URL: nats.url,
      FEDORA_MESSAGING_URL: vhost.url,
      FEDMSG_ENDPOINTS: `tcp://127.0.0.1:${zmqPort}`,
      DATAGREPPER_URL: datagrepper.url,
      ...env,
    });
    metrics = new Registry();
    const b = await Bridge.create({ config, bus, log, metrics });
    b.start(since);
    await waitFor(
      () => {
        b.checkReady();
        return true;
      },
      { what: 'the bridge to connect to RabbitMQ' },
    );
    bridge = b;
    return b;
  }

  test('a fedora-messaging message arrives once, with its body, however often and from wherever it comes', async () => {
    await startBridge();
    const body = pungiBody('Fedora-Cloud-41-20261124.0');
    const sentAt = new Date();
    const id = await publishFedoraMessage(vhost.url, body, { sentAt });
    await waitFor(async () => (await streamMessages(bus.jsm, 'PUNGI')).length === 1, { what: 'the message' });

    // The same message again over AMQP, and datagrepper serving it too.
    await publishFedoraMessage(vhost.url, body, { messageId: id, sentAt });
    datagrepper.messages.push(envelopeFor(body, id, sentAt));
    await bridge!.backfill(new Date(sentAt.getTime() - 60_000));
    await new Promise((resolve) => setTimeout(resolve, 500));

    const stored = await streamMessages(bus.jsm, 'PUNGI');
    expect(stored).toHaveLength(1);
    const [m] = stored;
    expect(m!.subject).toBe('pungi.compose.status.change');
    expect(decode(m!.data)).toEqual(body);
    expect(m!.header.get('Nats-Msg-Id')).toBe(id);
    expect(m!.header.get(UPSTREAM_HEADERS.topic)).toBe(TOPIC);
    expect(m!.header.get(UPSTREAM_HEADERS.source)).toBe('amqp');
    expect(m!.header.get(UPSTREAM_HEADERS.sentAt)).toBe(sentAt.toISOString());

    const counts = await metrics.getSingleMetricAsString('autocloud_bridge_messages_total');
    expect(counts).toContain('autocloud_bridge_messages_total{source="amqp",outcome="forwarded"} 1');
    expect(counts).toContain('autocloud_bridge_messages_total{source="amqp",outcome="duplicate"} 1');
    expect(counts).toContain('autocloud_bridge_messages_total{source="datagrepper",outcome="duplicate"} 1');
  });

  test('a fedmsg envelope published on ZeroMQ arrives likewise', async () => {
    await startBridge();
    const envelope = fixtureEnvelope('pungi-2016-datagrepper.json');
    // A SUB socket drops what is published before its subscription reaches the PUB side: publish until seen.
    await waitFor(
      async () => {
        await publisher.send([TOPIC, JSON.stringify(envelope)]);
        return (await streamMessages(bus.jsm, 'PUNGI')).length > 0;
      },
      { intervalMs: 200, what: 'the ZeroMQ message' },
    );
    const stored = await streamMessages(bus.jsm, 'PUNGI');
    expect(stored).toHaveLength(1);
    expect(decode(stored[0]!.data)).toEqual(envelope.msg);
    expect(stored[0]!.header.get('Nats-Msg-Id')).toBe(envelope.msg_id);
    expect(stored[0]!.header.get(UPSTREAM_HEADERS.source)).toBe('zmq');
  });

  test('malformed bodies are dead-lettered with a reason, and good messages keep flowing', async () => {
    await startBridge();
    const garbage = Buffer.alloc(5 * 1024 * 1024, 0x41);
    const bad: [string, Buffer, RegExp][] = [
      ['not JSON', Buffer.from('FINISHED? {'), /not JSON/],
      ['a JSON array', Buffer.from('[{"status":"FINISHED"}]'), /array, not an object/],
      ['5 MB of garbage', garbage, /over the 1048576-byte limit/],
      ['invalid UTF-8', Buffer.from([0x7b, 0x22, 0xc3, 0x28, 0x22, 0x7d]), /UTF-8/],
      ['no compose_id', Buffer.from(JSON.stringify({ status: 'FINISHED', location: 'x' })), /compose_id/],
    ];
    for (const [, bytes] of bad) await publishFedoraMessage(vhost.url, bytes);
    const good = pungiBody('Fedora-Cloud-41-20261124.1');
    await publishFedoraMessage(vhost.url, good);

    await waitFor(async () => (await streamMessages(bus.jsm, 'DEADLETTER')).length === bad.length, {
      what: 'the dead letters',
    });
    await waitFor(async () => (await streamMessages(bus.jsm, 'PUNGI')).length === 1, {
      what: 'the good message',
    });
    const letters = await streamMessages(bus.jsm, 'DEADLETTER');
    letters.forEach((letter, i) => {
      const [what, bytes, reason] = bad[i]!;
      expect(letter.subject, what).toBe('autocloud.deadletter.fedmsg-bridge');
      expect(letter.header.get(DEADLETTER_HEADERS.reason), what).toMatch(reason);
      expect(letter.header.get(UPSTREAM_HEADERS.source), what).toBe('amqp');
      if (bytes.length > DEADLETTER_MAX_BYTES) {
        expect(letter.header.get(HEADER_TRUNCATED)).toBe('true');
        expect(letter.data.length).toBe(DEADLETTER_MAX_BYTES);
      } else {
        expect(Buffer.from(letter.data).equals(bytes), what).toBe(true);
      }
    });
    expect(decode((await streamMessages(bus.jsm, 'PUNGI'))[0]!.data)).toEqual(good);
  });

  test('messages published while the bridge was stopped are backfilled from datagrepper, once each', async () => {
    const first = pungiBody('Fedora-Cloud-41-20261124.2');
    const firstAt = new Date(Date.now() - 120_000);
    await startBridge();
    const firstId = await publishFedoraMessage(vhost.url, first, { sentAt: firstAt });
    await waitFor(async () => (await streamMessages(bus.jsm, 'PUNGI')).length === 1, {
      what: 'the first message',
    });
    datagrepper.messages.push(envelopeFor(first, firstId, firstAt));
    await bridge!.stop();
    bridge = undefined;

    // While the bridge is down: three messages that its exclusive queue never sees, but datagrepper keeps.
    const missed = [3, 4, 5].map((n, i) => ({
      body: pungiBody(`Fedora-Cloud-41-20261124.${n}`),
      id: randomUUID(),
      at: new Date(Date.now() - 60_000 + i * 1000),
    }));
    for (const m of missed) {
      await publishFedoraMessage(vhost.url, m.body, { messageId: m.id, sentAt: m.at });
      datagrepper.messages.push(envelopeFor(m.body, m.id, m.at));
    }

    const requestsBefore = datagrepper.requests.length;
    await startBridge();
    await waitFor(async () => (await streamMessages(bus.jsm, 'PUNGI')).length === 4, {
      what: 'the backfill',
    });
    await new Promise((resolve) => setTimeout(resolve, 500));
    const stored = await streamMessages(bus.jsm, 'PUNGI');
    expect(stored.map((m) => m.header.get('Nats-Msg-Id'))).toEqual([firstId, ...missed.map((m) => m.id)]);
    expect(stored.slice(1).every((m) => m.header.get(UPSTREAM_HEADERS.source) === 'datagrepper')).toBe(true);
    // It resumed from the cursor (the first message's time, less the overlap), not from 48 hours ago.
    const start = Number(datagrepper.requests[requestsBefore]!.searchParams.get('start'));
    expect(start).toBeGreaterThan(firstAt.getTime() / 1000 - 11 * 60);
  });

  test('a backfill rides out datagrepper failing a few times', async () => {
    const config = loadConfig(BridgeConfig, { NATS_URL: nats.url, DATAGREPPER_URL: datagrepper.url });
    const b = await Bridge.create({ config, bus, log, metrics: new Registry() });
    const at = new Date(Date.now() - 30_000);
    datagrepper.messages.push(envelopeFor(pungiBody('Fedora-Cloud-41-20261124.6'), randomUUID(), at));
    datagrepper.failNext(2);
    const report = await b.backfill(new Date(at.getTime() - 1000));
    expect(report).toMatchObject({ messages: 1, outcomes: { forwarded: 1 } });
    expect(await streamMessages(bus.jsm, 'PUNGI')).toHaveLength(1);
    await b.stop();
  });
});
