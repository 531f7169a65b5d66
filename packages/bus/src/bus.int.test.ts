// Contract tests of the bus against a real nats-server: dedup, retries, dead letters, heartbeats, close, tracing.
import { type JetStreamManager } from '@nats-io/jetstream';
import { context, trace } from '@opentelemetry/api';
import { DEADLETTER_HEADERS, type ImageEvent } from '@autocloud/schemas';
import {
  installInMemoryTracing,
  startNatsServer,
  testLogger,
  waitFor,
  type NatsServerHandle,
} from '@autocloud/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { Bus } from './bus.js';
import { PermanentError, PublishValidationError } from './errors.js';
import { STREAMS, type ConsumerSpec } from './topology.js';

const log = testLogger('bus-test');

function imageEvent(jobId: number, status: ImageEvent['status'] = 'queued'): ImageEvent {
  return {
    compose_id: 'Fedora-Cloud-27-20180317.0',
    compose_url: 'https://kojipkgs.fedoraproject.org/compose/x/Fedora-Cloud-Base-27-20180317.0.x86_64.qcow2',
    image_name: 'Fedora-Cloud-Base-27-20180317.0',
    status,
    job_id: jobId,
    release: '27',
    family: 'Base',
    type: 'qcow2',
  };
}

let consumerSeq = 0;
function spec(
  overrides: Partial<ConsumerSpec<'autocloud.image.queued'>> = {},
): ConsumerSpec<'autocloud.image.queued'> {
  consumerSeq += 1;
  return {
    stream: 'AUTOCLOUD',
    durable: `test-${consumerSeq}`,
    description: 'test consumer',
    filterSubject: 'autocloud.image.queued',
    ackWaitMs: 2_000,
    maxDeliver: 5,
    maxAckPending: 100,
    ...overrides,
  };
}

async function deadLetters(jsm: JetStreamManager) {
  const { state } = await jsm.streams.info('DEADLETTER');
  const out = [];
  for (let seq = state.first_seq; seq <= state.last_seq && state.messages > 0; seq++) {
    const m = await jsm.streams.getMessage('DEADLETTER', { seq });
    if (m) out.push(m);
  }
  return out;
}

describe('bus contract', () => {
  let bus: Bus;
  let jsm: JetStreamManager;
  let nats: NatsServerHandle;

  beforeAll(async () => {
    nats = await startNatsServer();
    bus = await Bus.connect({ servers: nats.url, service: 'bus-test', log });
    await bus.ensureTopology();
    jsm = bus.jsm;
  });
  afterAll(async () => {
    await bus?.close();
    await nats?.dispose();
  });
  beforeEach(async () => {
    for (const s of STREAMS) await jsm.streams.purge(s.name);
  });

  test('declaring the topology twice changes nothing and creates every stream and bucket', async () => {
    await bus.ensureTopology();
    const names: string[] = [];
    for await (const s of jsm.streams.list()) names.push(s.config.name);
    for (const s of STREAMS) expect(names).toContain(s.name);
    expect(names).toEqual(expect.arrayContaining(['OBJ_images', 'OBJ_artifacts']));
    const work = await jsm.streams.info('WORK');
    expect(work.config.retention).toBe('workqueue');
  });

  test('a duplicate Nats-Msg-Id is stored once', async () => {
    const first = await bus.publish('autocloud.image.queued', imageEvent(1));
    const second = await bus.publish('autocloud.image.queued', imageEvent(1));
    expect(first.duplicate).toBe(false);
    expect(second.duplicate).toBe(true);
    const info = await jsm.streams.info('AUTOCLOUD');
    expect(info.state.messages).toBe(1);
  });

  test('an invalid body is refused before it is published', async () => {
    const bad = { ...imageEvent(2), job_id: 'two' } as unknown as ImageEvent;
    await expect(bus.publish('autocloud.image.queued', bad)).rejects.toBeInstanceOf(PublishValidationError);
    expect((await jsm.streams.info('AUTOCLOUD')).state.messages).toBe(0);
  });

  test('a handler that throws is redelivered and then succeeds', async () => {
    const deliveries: number[] = [];
    const s = spec();
    const consumer = await bus.consume(
      s,
      async (_m, ctx) => {
        deliveries.push(ctx.deliveryCount);
        if (ctx.deliveryCount === 1) throw new Error('database briefly away');
        await Promise.resolve();
      },
      { backoff: { baseMs: 100, maxMs: 200 } },
    );
    const { seq } = await bus.publish('autocloud.image.queued', imageEvent(3));
    await waitFor(() => deliveries.length >= 2, { what: 'the redelivery' });
    const durable = await waitFor(async () => {
      const info = await jsm.consumers.info('AUTOCLOUD', s.durable);
      return info.num_ack_pending === 0 && info.num_pending === 0 ? info : undefined;
    });
    expect(deliveries).toEqual([1, 2]);
    expect(durable.ack_floor.stream_seq).toBe(seq);
    expect((await jsm.streams.info('DEADLETTER')).state.messages).toBe(0);
    await consumer.close();
  });

  test('an invalid message is dead-lettered with its reason and not redelivered', async () => {
    const handled: unknown[] = [];
    const s = spec();
    const consumer = await bus.consume(s, (m) => Promise.resolve(void handled.push(m.body)));
    const js = bus.js;
    await js.publish('autocloud.image.queued', new TextEncoder().encode('{"job_id": "x"'), {
      msgID: 'broken-1',
    });
    await js.publish('autocloud.image.queued', new TextEncoder().encode(JSON.stringify({ job_id: 5 })), {
      msgID: 'incomplete-1',
    });
    await js.publish('autocloud.image.queued', new Uint8Array([0xff, 0xfe, 0x7b]), { msgID: 'not-utf8-1' });
    await bus.publish('autocloud.image.queued', imageEvent(6));

    await waitFor(async () => (await jsm.streams.info('DEADLETTER')).state.messages === 3, {
      what: 'three dead letters',
    });
    const letters = await deadLetters(jsm);
    for (const m of letters) {
      expect(m.subject).toBe('autocloud.deadletter.bus-test');
      expect(m.header.get(DEADLETTER_HEADERS.subject)).toBe('autocloud.image.queued');
    }
    const reasons = letters.map((m) => m.header.get(DEADLETTER_HEADERS.reason));
    expect(reasons[0]).toMatch(/not JSON/i);
    expect(reasons[1]).toMatch(/compose_id/);
    expect(reasons[2]).toMatch(/UTF-8/);
    expect(new TextDecoder().decode(letters[0]?.data)).toBe('{"job_id": "x"');

    await waitFor(() => handled.length === 1, { what: 'the valid message' });
    await new Promise((resolve) => setTimeout(resolve, s.ackWaitMs + 500));
    const info = await jsm.consumers.info('AUTOCLOUD', s.durable);
    expect(info.num_redelivered).toBe(0);
    expect(info.num_ack_pending).toBe(0);
    expect(handled).toHaveLength(1);
    await consumer.close();
  });

  test('a permanent error and exhausted deliveries both end in the dead letter stream', async () => {
    const s = spec({ maxDeliver: 2 });
    const consumer = await bus.consume(
      s,
      async (m) => {
        await Promise.resolve();
        if (m.body.job_id === 7) throw new PermanentError('image 7 cannot be tested');
        throw new Error('always broken');
      },
      { backoff: { baseMs: 50, maxMs: 100 } },
    );
    await bus.publish('autocloud.image.queued', imageEvent(7));
    await bus.publish('autocloud.image.queued', imageEvent(8));
    await waitFor(async () => (await jsm.streams.info('DEADLETTER')).state.messages === 2, {
      what: 'two dead letters',
    });
    const reasons = (await deadLetters(jsm)).map((m) => m.header.get(DEADLETTER_HEADERS.reason));
    expect(reasons).toEqual(
      expect.arrayContaining(['image 7 cannot be tested', 'gave up after 2 deliveries: always broken']),
    );
    await consumer.close();
  });

  test('a long handler that heartbeats is not redelivered', async () => {
    const s = spec({ ackWaitMs: 1_000 });
    let calls = 0;
    const consumer = await bus.consume(s, async () => {
      calls += 1;
      await new Promise((resolve) => setTimeout(resolve, 3_500));
    });
    const { seq } = await bus.publish('autocloud.image.queued', imageEvent(9));
    await waitFor(
      async () => (await jsm.consumers.info('AUTOCLOUD', s.durable)).ack_floor.stream_seq === seq,
      {
        timeoutMs: 10_000,
        what: 'the ack',
      },
    );
    const info = await jsm.consumers.info('AUTOCLOUD', s.durable);
    expect(calls).toBe(1);
    expect(info.num_redelivered).toBe(0);
    await consumer.close();
  });

  test('without heartbeats the same handler would have been redelivered', async () => {
    const s = spec({ ackWaitMs: 1_000 });
    let calls = 0;
    const consumer = await bus.consume(
      s,
      async () => {
        calls += 1;
        await new Promise((resolve) => setTimeout(resolve, 3_500));
      },
      { heartbeatMs: 60_000, concurrency: 2 },
    );
    await bus.publish('autocloud.image.queued', imageEvent(10));
    await waitFor(() => calls >= 2, { timeoutMs: 10_000, what: 'a redelivery' });
    await consumer.close();
  });

  test('closing waits for the handlers in flight, which then ack', async () => {
    const s = spec();
    let finished = false;
    let started = false;
    const consumer = await bus.consume(s, async () => {
      started = true;
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      finished = true;
    });
    const { seq } = await bus.publish('autocloud.image.queued', imageEvent(11));
    await waitFor(() => started, { what: 'the handler to start' });
    await consumer.close();
    expect(finished).toBe(true);
    const info = await jsm.consumers.info('AUTOCLOUD', s.durable);
    expect(info.ack_floor.stream_seq).toBe(seq);
    expect(info.num_ack_pending).toBe(0);
  });

  test('a handler still running when close times out is aborted and handed back for another replica', async () => {
    const s = spec({ ackWaitMs: 30_000 });
    let aborted = false;
    const first = await bus.consume(s, async (_m, ctx) => {
      await new Promise<void>((resolve) =>
        ctx.signal.addEventListener('abort', () => resolve(), { once: true }),
      );
      aborted = true;
      throw ctx.signal.reason;
    });
    await bus.publish('autocloud.image.queued', imageEvent(12));
    await waitFor(async () => (await jsm.consumers.info('AUTOCLOUD', s.durable)).num_ack_pending === 1, {
      what: 'the message in flight',
    });
    await first.close(300);
    expect(aborted).toBe(true);
    // Nak'ed at once, not after the 30 s ack wait: the next replica gets it straight away.
    const deliveries: number[] = [];
    const second = await bus.consume(s, (_m, ctx) =>
      Promise.resolve(void deliveries.push(ctx.deliveryCount)),
    );
    await waitFor(() => deliveries.length === 1, { timeoutMs: 5_000, what: 'the redelivery' });
    expect(deliveries).toEqual([2]);
    await second.close();
  });

  test('concurrency bounds the handlers running at once', async () => {
    let running = 0;
    let peak = 0;
    let done = 0;
    const consumer = await bus.consume(
      spec(),
      async () => {
        running += 1;
        peak = Math.max(peak, running);
        await new Promise((resolve) => setTimeout(resolve, 200));
        running -= 1;
        done += 1;
      },
      { concurrency: 2 },
    );
    for (let i = 0; i < 6; i++) await bus.publish('autocloud.image.queued', imageEvent(100 + i));
    await waitFor(() => done === 6, { what: 'six handled' });
    expect(peak).toBe(2);
    await consumer.close();
  });

  test('a trace started before a publish continues in the consumer', async () => {
    const tracing = installInMemoryTracing();
    try {
      const seen: { traceId?: string } = {};
      const consumer = await bus.consume(spec(), async () => {
        seen.traceId = trace.getActiveSpan()?.spanContext().traceId;
        await Promise.resolve();
      });
      const root = trace.getTracer('test').startSpan('compose arrives');
      await context.with(trace.setSpan(context.active(), root), () =>
        bus.publish('autocloud.image.queued', imageEvent(200)),
      );
      root.end();
      await waitFor(() => seen.traceId, { what: 'the consumer span' });
      await consumer.close();
      const rootId = root.spanContext().traceId;
      expect(seen.traceId).toBe(rootId);
      const spans = tracing.spans();
      const publish = spans.find((s) => s.name === 'autocloud.image.queued publish');
      const process = spans.find((s) => s.name === 'autocloud.image.queued process');
      expect(publish?.spanContext().traceId).toBe(rootId);
      expect(process?.spanContext().traceId).toBe(rootId);
      expect(process?.parentSpanContext?.spanId).toBe(publish?.spanContext().spanId);
    } finally {
      await tracing.shutdown();
    }
  });
});
