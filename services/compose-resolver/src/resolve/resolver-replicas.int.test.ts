// Stateless and scalable: the same compose message, however often it arrives and however many replicas handle it,
// is one compose.resolved in the AUTOCLOUD stream.
import { waitFor } from '@autocloud/testing';
import { describe, expect, test } from 'vitest';
import {
  counter,
  drained,
  F27_DIR,
  F27_ID,
  pungiMessage,
  resolvedMessages,
  resolverRig,
  startResolver,
} from '../test-support.js';

describe('compose-resolver replicas', () => {
  const rig = resolverRig();

  test('one FINISHED message delivered three times to two replicas at once: one compose.resolved', async () => {
    const location = rig.server.serveDir(`/compose/${F27_ID}/compose`, F27_DIR);
    // Slow metadata and one compose at a time each, so both replicas are busy with copies of it together.
    rig.server.delayMs = 200;
    const env = { ALLOWED_HOSTS: `127.0.0.1:${rig.server.port}`, RESOLVER_CONCURRENCY: '1' };
    const replicas = await Promise.all([startResolver(rig.nats.url, env), startResolver(rig.nats.url, env)]);
    rig.track(...replicas);

    // The same body three times, as Fedora's bus may resend it under new message ids.
    const body = pungiMessage(F27_ID, location);
    for (const id of ['copy-1', 'copy-2', 'copy-3']) {
      await rig.bus.publish('pungi.compose.status.change', body, { msgId: id });
    }
    await waitFor(() => drained(rig.bus.jsm, 'PUNGI', 'compose-resolver'), { what: 'all three handled' });

    const resolved = await resolvedMessages(rig.bus.jsm);
    expect(resolved).toHaveLength(1);
    expect(resolved[0]!.jobs).toHaveLength(3);

    const handled = await Promise.all(
      replicas.map(async (r) => ({
        resolved: await counter(r.metrics, 'autocloud_resolver_composes_total', { outcome: 'resolved' }),
        duplicate: await counter(r.metrics, 'autocloud_resolver_composes_total', { outcome: 'duplicate' }),
      })),
    );
    // Both replicas worked on it; JetStream kept the first publish and dropped the other two.
    expect(handled.every((h) => h.resolved + h.duplicate >= 1)).toBe(true);
    expect(handled.reduce((n, h) => n + h.resolved, 0)).toBe(1);
    expect(handled.reduce((n, h) => n + h.duplicate, 0)).toBe(2);
  });

  test('a replica stopped in the middle hands the compose back, and another one resolves it', async () => {
    const location = rig.server.serveDir(`/compose/${F27_ID}/compose`, F27_DIR);
    rig.server.delayMs = 1_500;
    const env = { ALLOWED_HOSTS: `127.0.0.1:${rig.server.port}` };
    const first = await startResolver(rig.nats.url, env);
    await rig.bus.publish('pungi.compose.status.change', pungiMessage(F27_ID, location), { msgId: 'once' });
    await waitFor(() => rig.server.requests.length > 0, { what: 'the first replica at work' });
    // Shutdown with less time than the metadata takes: the in-flight compose is aborted and nak'ed.
    await first.resolver.stop(100);
    await first.bus.close();
    expect(await resolvedMessages(rig.bus.jsm)).toEqual([]);

    rig.server.delayMs = 0;
    const second = await startResolver(rig.nats.url, env);
    rig.track(second);
    await waitFor(async () => (await resolvedMessages(rig.bus.jsm)).length === 1, {
      what: 'the second replica',
    });
    expect((await resolvedMessages(rig.bus.jsm))[0]!.jobs).toHaveLength(3);
  });
});
