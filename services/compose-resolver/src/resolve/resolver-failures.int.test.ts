// Metadata that cannot be read: recorded with a reason, dead-lettered, never a crash or a redelivery loop; and
// transient failures retried, in the same delivery and across deliveries, until the last one.
import { type ServerResponse } from 'node:http';
import { consumers } from '@autocloud/bus';
import { DEADLETTER_HEADERS } from '@autocloud/schemas';
import { freePort, streamMessages, waitFor } from '@autocloud/testing';
import { describe, expect, test } from 'vitest';
import {
  counter,
  drained,
  F27_DIR,
  F27_ID,
  pungiMessage,
  readMetadata,
  resolvedMessages,
  resolverRig,
} from '../test-support.js';

const MB = 1024 * 1024;

describe('compose-resolver on bad metadata', () => {
  const rig = resolverRig();
  const { resolver } = rig;

  /** A compose at /c/<name>/compose whose composeinfo.json is fine; images.json is up to the test. */
  function compose(name: string, id: string): string {
    const info = readMetadata(F27_DIR, 'composeinfo.json') as { payload: { compose: { id: string } } };
    info.payload.compose.id = id;
    rig.server.json(`/c/${name}/compose/metadata/composeinfo.json`, info);
    return `${rig.server.origin}/c/${name}/compose`;
  }

  test('missing, truncated, not JSON, 50 MB, wrong shape, foreign host: recorded with a reason, dead-lettered', async () => {
    const images = JSON.stringify(readMetadata(F27_DIR, 'images.json'));
    let hugeWritten = 0;
    const cases: {
      name: string;
      reason: RegExp;
      serve?: (res: ServerResponse) => void;
      location?: string;
    }[] = [
      {
        name: 'missing',
        reason: /cannot read metadata\/images\.json: HTTP 404 from http:\/\/127\.0\.0\.1:\d+\/c\/missing/,
      },
      {
        name: 'truncated',
        reason: /cannot read metadata\/images\.json: .*images\.json is not JSON: /,
        serve: (res) => void res.writeHead(200).end(images.slice(0, images.length / 2)),
      },
      {
        name: 'html',
        reason: /images\.json is not JSON: Unexpected token '<'/,
        serve: (res) => void res.writeHead(200).end('<html><h1>502 Bad Gateway</h1></html>'),
      },
      {
        name: 'huge',
        reason: /images\.json is over the 20971520-byte limit \(METADATA_MAX_BYTES\)$/,
        serve: (res) => {
          // 50 MB without Content-Length, produced only as fast as it is read: the cap must stop the reading.
          const chunk = Buffer.alloc(64 * 1024, 0x20);
          res.writeHead(200, { 'content-type': 'application/json' });
          res.write(
            '{"header": {"type": "productmd.images", "version": "1.2"}, "payload": {"images": {}, "x": "',
          );
          const pump = () => {
            while (hugeWritten < 50 * MB) {
              hugeWritten += chunk.length;
              if (!res.write(chunk)) return void res.once('drain', pump);
            }
            res.end('"}}');
          };
          res.on('close', () => res.removeAllListeners('drain'));
          pump();
        },
      },
      {
        name: 'shape',
        reason:
          /metadata\/images\.json is not productmd images metadata: \/header\/type: Expected 'productmd\.images'/,
        serve: (res) =>
          void res
            .writeHead(200)
            .end(JSON.stringify({ header: { type: 'productmd.rpms', version: '1.2' }, payload: {} })),
      },
      {
        name: 'foreign',
        reason:
          /cannot read metadata\/(images|composeinfo)\.json: host localhost:\d+ is not allowed \(ALLOWED_HOSTS\)$/,
        location: `http://localhost:${rig.server.port}/c/foreign/compose`,
      },
    ];
    const r = await resolver();
    for (const [i, c] of cases.entries()) {
      const id = `Fedora-Cloud-27-2018040${i + 1}.0`;
      const location = c.location ?? compose(c.name, id);
      if (c.serve)
        rig.server.route(`/c/${c.name}/compose/metadata/images.json`, (_req, res) => c.serve!(res));
      await rig.bus.publish('pungi.compose.status.change', pungiMessage(id, location), {
        msgId: `bad-${c.name}`,
      });
    }
    // Then a good compose: the resolver is still at work.
    const good = rig.server.serveDir(`/compose/${F27_ID}/compose`, F27_DIR);
    await rig.bus.publish('pungi.compose.status.change', pungiMessage(F27_ID, good), { msgId: 'good' });

    const all = await waitFor(
      async () => {
        const resolved = await resolvedMessages(rig.bus.jsm);
        return resolved.length === cases.length + 1 && resolved;
      },
      { what: 'every compose resolved', timeoutMs: 30_000 },
    );
    const letters = await streamMessages(rig.bus.jsm, 'DEADLETTER');
    expect(letters).toHaveLength(cases.length);
    for (const [i, c] of cases.entries()) {
      const id = `Fedora-Cloud-27-2018040${i + 1}.0`;
      const resolved = all.find((m) => m.compose_id === id);
      expect(resolved, c.name).toMatchObject({ jobs: [], pungi_status: 'FINISHED', date: `2018040${i + 1}` });
      expect(resolved!.reason, c.name).toMatch(c.reason);
      const letter = letters.find((l) => l.header.get(DEADLETTER_HEADERS.msgId) === `bad-${c.name}`);
      expect(letter, c.name).toBeDefined();
      expect(letter!.subject).toBe('autocloud.deadletter.compose-resolver');
      expect(letter!.header.get(DEADLETTER_HEADERS.subject)).toBe('pungi.compose.status.change');
      expect(letter!.header.get(DEADLETTER_HEADERS.reason)).toBe(resolved!.reason);
      expect(JSON.parse(new TextDecoder().decode(letter!.data))).toMatchObject({ compose_id: id });
    }
    expect(all.find((m) => m.compose_id === F27_ID)!.jobs).toHaveLength(3);
    expect(hugeWritten).toBeLessThan(40 * MB);
    await waitFor(() => drained(rig.bus.jsm, 'PUNGI', 'compose-resolver'));
    // Permanent failures are not retried: one delivery each.
    const info = await rig.bus.jsm.consumers.info('PUNGI', 'compose-resolver');
    expect(info.num_redelivered).toBe(0);
    expect(await counter(r.metrics, 'autocloud_resolver_composes_total', { outcome: 'failed' })).toBe(
      cases.length,
    );
    expect(await counter(r.metrics, 'autocloud_resolver_composes_total', { outcome: 'resolved' })).toBe(1);
  });

  test('a location that redirects to a host not allowed is refused the same way', async () => {
    const location = compose('redirected', 'Fedora-Cloud-27-20180409.0');
    rig.server.route('/c/redirected/compose/metadata/images.json', (_req, res) =>
      res.writeHead(302, { location: `http://localhost:${rig.server.port}/internal/images.json` }).end(),
    );
    await resolver();
    await rig.bus.publish(
      'pungi.compose.status.change',
      pungiMessage('Fedora-Cloud-27-20180409.0', location),
      {
        msgId: 'redirected',
      },
    );
    const [resolved] = await waitFor(async () => {
      const all = await resolvedMessages(rig.bus.jsm);
      return all.length === 1 && all;
    });
    expect(resolved!.reason).toMatch(
      /host localhost:\d+ is not allowed \(redirect from http:\/\/127\.0\.0\.1:\d+\/c\/redirected\/compose\/metadata\/images\.json\)/,
    );
    expect(rig.server.requests).not.toContain('/internal/images.json');
  });

  test('a server that answers 503 twice, then the metadata: planned normally', async () => {
    const location = rig.server.serveDir(`/compose/${F27_ID}/compose`, F27_DIR);
    rig.server.failNext(`/compose/${F27_ID}/compose/metadata/images.json`, 2, 503);
    const r = await resolver();
    await rig.bus.publish('pungi.compose.status.change', pungiMessage(F27_ID, location), { msgId: 'flaky' });
    const [resolved] = await waitFor(async () => {
      const all = await resolvedMessages(rig.bus.jsm);
      return all.length === 1 && all;
    });
    expect(resolved!.jobs).toHaveLength(3);
    expect(resolved!.reason).toBeUndefined();
    expect(rig.server.requests.filter((p) => p.endsWith('/images.json'))).toHaveLength(3);
    expect(await streamMessages(rig.bus.jsm, 'DEADLETTER')).toEqual([]);
    expect(await counter(r.metrics, 'autocloud_resolver_composes_total', { outcome: 'resolved' })).toBe(1);
  });

  test('a host that stays unreachable is retried on later deliveries, then recorded on the last one', async () => {
    const closedPort = await freePort();
    const location = `http://127.0.0.1:${closedPort}/compose/${F27_ID}/compose`;
    const r = await resolver(
      { ALLOWED_HOSTS: `127.0.0.1:${closedPort}`, METADATA_ATTEMPTS: '2' },
      {
        consumers: {
          pungi: { ...consumers.composeResolver, maxDeliver: 3 },
          submit: consumers.composeSubmit,
        },
      },
    );
    await rig.bus.publish('pungi.compose.status.change', pungiMessage(F27_ID, location), {
      msgId: 'unreachable',
    });
    const [resolved] = await waitFor(
      async () => {
        const all = await resolvedMessages(rig.bus.jsm);
        return all.length === 1 && all;
      },
      { timeoutMs: 20_000 },
    );
    expect(resolved).toMatchObject({ compose_id: F27_ID, jobs: [], release: '27', date: '20180317' });
    expect(resolved!.reason).toMatch(
      /cannot read metadata\/(images|composeinfo)\.json: network error reaching 127\.0\.0\.1:\d+: .*ECONNREFUSED.* \(gave up after 3 deliveries\)/,
    );
    const letters = await waitFor(async () => {
      const all = await streamMessages(rig.bus.jsm, 'DEADLETTER');
      return all.length === 1 && all;
    });
    expect(letters[0]!.header.get(DEADLETTER_HEADERS.reason)).toBe(resolved!.reason);
    expect(await counter(r.metrics, 'autocloud_resolver_composes_total', { outcome: 'retried' })).toBe(2);
    expect(await counter(r.metrics, 'autocloud_resolver_composes_total', { outcome: 'failed' })).toBe(1);
  });
});
