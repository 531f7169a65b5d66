import { RetryableError, type HandlerContext } from '@autocloud/bus';
import { testLogger } from '@autocloud/testing';
import { Registry } from 'prom-client';
import { describe, expect, test } from 'vitest';
import { type Destination, type PublicEvent } from './destination.js';
import { createRelay } from './relay.js';

const log = testLogger('notifier');
const ctx = (msgId: string): HandlerContext => ({
  msgId,
  deliveryCount: 1,
  streamSeq: 1,
  timestamp: new Date(),
  headers: undefined,
  working: () => undefined,
  signal: new AbortController().signal,
  log,
});

function recorder(name: string, failures = 0) {
  const delivered: string[] = [];
  let left = failures;
  const destination: Destination = {
    name,
    carries: (s) => s.startsWith('autocloud.image.'),
    deliver: (event: PublicEvent) => {
      if (left-- > 0) return Promise.reject(new Error(`${name} down`));
      delivered.push(event.eventId);
      return Promise.resolve();
    },
  };
  return { destination, delivered };
}

const composeBody = {
  id: 'Fedora-24-20160419.n.1',
  date: '20160419',
  respin: 1,
  type: 'nightly',
  release: '24',
  status: 'queued' as const,
  compose_job_id: 37,
};
const imageBody = {
  compose_id: 'Fedora-24-20160420.n.0',
  compose_url: 'http://example.org/x.qcow2',
  image_name: 'x',
  status: 'success' as const,
  job_id: 27,
  release: '24',
  family: 'Base',
  type: 'qcow2',
};

describe('relay', () => {
  test('skips what is not public and what a destination does not carry', async () => {
    const a = recorder('a');
    const relay = createRelay({ destinations: [a.destination], metrics: new Registry() });
    await relay({ subject: 'autocloud.control.rerun', body: { job_id: 1 } } as never, ctx('c1'));
    await relay({ subject: 'autocloud.compose.queued', body: composeBody }, ctx('c2'));
    expect(a.delivered).toEqual([]);
  });

  test('a failing destination makes the event retryable without repeating the ones that had it', async () => {
    const a = recorder('a');
    const b = recorder('b', 1);
    const relay = createRelay({ destinations: [a.destination, b.destination], metrics: new Registry() });
    const delivery = { subject: 'autocloud.image.success' as const, body: imageBody };
    await expect(relay(delivery, ctx('e1'))).rejects.toBeInstanceOf(RetryableError);
    await relay(delivery, ctx('e1'));
    expect(a.delivered).toEqual(['e1']);
    expect(b.delivered).toEqual(['e1']);
  });
});
