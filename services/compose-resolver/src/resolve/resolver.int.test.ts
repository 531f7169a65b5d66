// The resolver against a real nats-server and composes served over HTTP: what each compose message becomes.
import { streamMessages, waitFor } from '@autocloud/testing';
import { describe, expect, test } from 'vitest';
import {
  counter,
  drained,
  F27_DIR,
  F27_ID,
  F43_DIR,
  F43_ID,
  pungiMessage,
  resolvedMessages,
  resolverRig,
} from '../test-support.js';

describe('compose-resolver', () => {
  const rig = resolverRig();
  const { resolver } = rig;
  const oneResolved = () =>
    waitFor(
      async () => {
        const all = await resolvedMessages(rig.bus.jsm);
        return all.length === 1 && all[0];
      },
      { what: 'one compose.resolved' },
    );

  test('Fedora-Cloud-27: two libvirt jobs and one vbox job, raw-xz not planned', async () => {
    const location = rig.server.serveDir(`/compose/${F27_ID}/compose`, F27_DIR);
    const r = await resolver();
    await rig.bus.publish(
      'pungi.compose.status.change',
      pungiMessage(F27_ID, location, 'FINISHED', {
        release_version: '27',
        release_short: 'Fedora-Cloud',
        compose_type: 'production',
        compose_date: '20180317',
        compose_respin: 0,
        compose_label: 'RC-20180317.0',
      }),
      { msgId: 'pungi-1' },
    );
    const resolved = await oneResolved();
    const images = `${location}/CloudImages/x86_64/images`;
    const common = {
      variant: 'CloudImages',
      arch: 'x86_64',
      subvariant: 'Cloud_Base',
      family: 'Base',
      plan: 'fedora-cloud-base',
    };
    expect(resolved).toEqual({
      compose_id: F27_ID,
      location,
      pungi_status: 'FINISHED',
      release: '27',
      date: '20180317',
      respin: 0,
      type: 'production',
      label: 'RC-20180317.0',
      jobs: [
        {
          ...common,
          image_url: `${images}/Fedora-Cloud-Base-27-20180317.0.x86_64.qcow2`,
          path: 'CloudImages/x86_64/images/Fedora-Cloud-Base-27-20180317.0.x86_64.qcow2',
          sha256: '18ab8ec5b6c07f202e4aa76c7053561fd3dd053d357767e6f680e27fcbb68d61',
          size: 229593600,
          type: 'qcow2',
          format: 'qcow2',
          image_name: 'Fedora-Cloud-Base-27-20180317.0',
          backend: 'libvirt',
        },
        {
          ...common,
          image_url: `${images}/Fedora-Cloud-Base-Vagrant-27-20180317.0.x86_64.vagrant-libvirt.box`,
          path: 'CloudImages/x86_64/images/Fedora-Cloud-Base-Vagrant-27-20180317.0.x86_64.vagrant-libvirt.box',
          sha256: '7b928590222834b13f4dff7b004e2f9bbc3abb8fb65012a5b44982122da284f4',
          size: 212164129,
          type: 'vagrant-libvirt',
          format: 'vagrant-libvirt.box',
          image_name: 'Fedora-Cloud-Base-Vagrant-libvirt-27-20180317.0',
          backend: 'libvirt',
        },
        {
          ...common,
          image_url: `${images}/Fedora-Cloud-Base-Vagrant-27-20180317.0.x86_64.vagrant-virtualbox.box`,
          path: 'CloudImages/x86_64/images/Fedora-Cloud-Base-Vagrant-27-20180317.0.x86_64.vagrant-virtualbox.box',
          sha256: '223b235e5ead751a8d00842e337003cd8d0d268380f8db57be489088c07e2efe',
          size: 220467200,
          type: 'vagrant-virtualbox',
          format: 'vagrant-virtualbox.box',
          image_name: 'Fedora-Cloud-Base-Vagrant-virtualbox-27-20180317.0',
          backend: 'vbox',
          limits: { boot_timeout_s: 600, memory_mib: 2048 },
        },
      ],
    });
    const [stored] = await streamMessages(rig.bus.jsm, 'AUTOCLOUD', 'autocloud.compose.resolved');
    expect(stored!.header.get('Nats-Msg-Id')).toBe(`resolved.${F27_ID}`);
    expect(await counter(r.metrics, 'autocloud_resolver_composes_total', { outcome: 'resolved' })).toBe(1);
    expect(
      await counter(r.metrics, 'autocloud_resolver_images_planned_total', {
        backend: 'libvirt',
        arch: 'x86_64',
      }),
    ).toBe(2);
    expect(await counter(r.metrics, 'autocloud_resolver_images_skipped_total', { reason: 'skip_rule' })).toBe(
      1,
    );
  });

  test('a 2016 message (FINISHED_INCOMPLETE, no release fields, // in the location) resolves the same way', async () => {
    const location = rig.server.serveDir(`/compose//branched/${F27_ID}/compose`, F27_DIR);
    await resolver();
    await rig.bus.publish(
      'pungi.compose.status.change',
      pungiMessage(F27_ID, location, 'FINISHED_INCOMPLETE'),
      {
        msgId: '2016-d6183c83',
      },
    );
    const resolved = await oneResolved();
    expect(rig.server.requests).toContain(`/compose//branched/${F27_ID}/compose/metadata/images.json`);
    expect(resolved).toMatchObject({
      pungi_status: 'FINISHED_INCOMPLETE',
      release: '27',
      label: 'RC-20180317.0',
    });
    expect(resolved.jobs.map((j) => j.image_url)).toContain(
      `${location}/CloudImages/x86_64/images/Fedora-Cloud-Base-27-20180317.0.x86_64.qcow2`,
    );
    expect(location).toMatch(/\/compose\/\/branched\//);
  });

  test('the newer layout is selected by rules: x86_64 only by default', async () => {
    const location = rig.server.serveDir(`/compose/43/${F43_ID}/compose`, F43_DIR);
    await resolver();
    await rig.bus.publish('pungi.compose.status.change', pungiMessage(F43_ID, location), { msgId: 'f43' });
    const resolved = await oneResolved();
    expect(resolved).toMatchObject({ release: '43', label: 'RC-1.6', date: '20251023' });
    expect(resolved.jobs.map((j) => `${j.arch} ${j.variant} ${j.type} ${j.backend}`)).toEqual([
      'x86_64 AtomicHost qcow2 libvirt',
      'x86_64 AtomicHost vagrant-libvirt libvirt',
      'x86_64 AtomicHost vagrant-virtualbox vbox',
      'x86_64 Cloud qcow2 libvirt',
      'x86_64 Cloud vagrant-libvirt libvirt',
      'x86_64 Cloud vagrant-virtualbox vbox',
    ]);
  });

  test('aarch64 is planned too when RESOLVER_ARCHES includes it', async () => {
    const location = rig.server.serveDir(`/compose/43/${F43_ID}/compose`, F43_DIR);
    const r = await resolver({ RESOLVER_ARCHES: 'x86_64,aarch64' });
    await rig.bus.publish('pungi.compose.status.change', pungiMessage(F43_ID, location), { msgId: 'f43' });
    const resolved = await oneResolved();
    expect(resolved.jobs).toHaveLength(9);
    expect(
      resolved.jobs.filter((j) => j.arch === 'aarch64').map((j) => `${j.variant} ${j.type} ${j.image_name}`),
    ).toEqual([
      'AtomicHost qcow2 Fedora-AtomicHost-43-1.6',
      'Cloud qcow2 Fedora-Cloud-Base-Generic-43-1.6',
      'Cloud vagrant-libvirt Fedora-Cloud-Base-Vagrant-libvirt-43-1.6',
    ]);
    expect(
      await counter(r.metrics, 'autocloud_resolver_images_planned_total', {
        backend: 'libvirt',
        arch: 'aarch64',
      }),
    ).toBe(3);
  });

  test('STARTED, DOOMED and TERMINATED publish nothing', async () => {
    const location = rig.server.serveDir(`/compose/${F27_ID}/compose`, F27_DIR);
    const r = await resolver();
    for (const status of ['STARTED', 'DOOMED', 'TERMINATED']) {
      await rig.bus.publish('pungi.compose.status.change', pungiMessage(F27_ID, location, status), {
        msgId: `pungi-${status}`,
      });
    }
    await waitFor(() => drained(rig.bus.jsm, 'PUNGI', 'compose-resolver'), { what: 'the messages handled' });
    expect(await streamMessages(rig.bus.jsm, 'AUTOCLOUD')).toEqual([]);
    expect(await streamMessages(rig.bus.jsm, 'DEADLETTER')).toEqual([]);
    expect(rig.server.requests).toEqual([]);
    expect(await counter(r.metrics, 'autocloud_resolver_composes_total', { outcome: 'ignored' })).toBe(3);
  });

  test('a hand submission resolves like a pungi message, with its request_id; a second one is not dropped', async () => {
    const location = rig.server.serveDir(`/compose/${F27_ID}/compose`, F27_DIR);
    await resolver();
    await rig.bus.publish('autocloud.control.submit', {
      location,
      request_id: 'req-1',
      requested_by: 'tester',
    });
    const first = await oneResolved();
    expect(first).toMatchObject({
      compose_id: F27_ID,
      location,
      pungi_status: 'FINISHED',
      release: '27',
      request_id: 'req-1',
    });
    expect(first.jobs.map((j) => j.backend)).toEqual(['libvirt', 'libvirt', 'vbox']);
    expect(first.reason).toBeUndefined();

    await rig.bus.publish('autocloud.control.submit', { location, request_id: 'req-2', compose_id: F27_ID });
    const both = await waitFor(async () => {
      const all = await resolvedMessages(rig.bus.jsm);
      return all.length === 2 && all;
    });
    expect(both[1]).toMatchObject({ compose_id: F27_ID, request_id: 'req-2' });
    const headers = (await streamMessages(rig.bus.jsm, 'AUTOCLOUD', 'autocloud.compose.resolved')).map((m) =>
      m.header.get('Nats-Msg-Id'),
    );
    expect(headers).toEqual([`resolved.${F27_ID}.req-1`, `resolved.${F27_ID}.req-2`]);
  });

  test('a hand submission naming another compose than the metadata is recorded with the reason', async () => {
    const location = rig.server.serveDir(`/compose/${F27_ID}/compose`, F27_DIR);
    await resolver();
    await rig.bus.publish('autocloud.control.submit', {
      location,
      request_id: 'req-wrong',
      compose_id: 'Fedora-28-20180425.0',
    });
    const resolved = await oneResolved();
    expect(resolved).toMatchObject({
      compose_id: 'Fedora-28-20180425.0',
      request_id: 'req-wrong',
      release: '28',
      date: '20180425',
      jobs: [],
      reason: `metadata/composeinfo.json describes compose ${F27_ID}, not Fedora-28-20180425.0: the location holds another compose`,
    });
    const letters = await waitFor(async () => {
      const all = await streamMessages(rig.bus.jsm, 'DEADLETTER');
      return all.length === 1 && all;
    });
    expect(letters[0]!.subject).toBe('autocloud.deadletter.compose-resolver');
    expect(letters[0]!.header.get('Autocloud-Original-Subject')).toBe('autocloud.control.submit');
  });

  test('a hand submission of a location without metadata is recorded under its request, not a guessed id', async () => {
    await resolver();
    const location = `${rig.server.origin}/compose/27/${F27_ID}/compose`; // nothing served there
    await rig.bus.publish('autocloud.control.submit', { location, request_id: 'req-404' });
    const resolved = await oneResolved();
    expect(resolved).toMatchObject({
      compose_id: 'submission-req-404',
      location,
      request_id: 'req-404',
      jobs: [],
      reason: expect.stringMatching(/HTTP 404 from http:\/\/127\.0\.0\.1:\d+\/compose\/27\//),
    });
    await waitFor(async () => (await streamMessages(rig.bus.jsm, 'DEADLETTER')).length === 1);
  });
});
