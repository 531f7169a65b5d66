import { describe, expect, test } from 'vitest';
import { validator } from '@autocloud/schemas';
import { ImagesManifest } from '../productmd/productmd.schema.js';
import { loadRules } from '../rules/rules.js';
import { F27_DIR, F43_DIR, readMetadata } from '../test-support.js';
import { nothingPlanned, planImages } from './plan.js';

const rules = loadRules();
const manifest = (dir: string) => validator(ImagesManifest).parse(readMetadata(dir, 'images.json'));
const F27_LOCATION = 'https://kojipkgs.fedoraproject.org/compose/27/Fedora-Cloud-27-20180317.0/compose';
const F43_LOCATION = 'https://kojipkgs.fedoraproject.org/compose/43/Fedora-43-20251023.0/compose';

describe('planning a compose', () => {
  test('Fedora-Cloud-27: qcow2 and vagrant-libvirt on libvirt, vagrant-virtualbox on vbox, raw-xz skipped', () => {
    const plan = planImages({
      location: F27_LOCATION,
      release: '27',
      images: manifest(F27_DIR).payload.images,
      rules,
      arches: rules.arches,
    });
    expect(plan.jobs.map((j) => [j.type, j.backend, j.image_name])).toEqual([
      ['qcow2', 'libvirt', 'Fedora-Cloud-Base-27-20180317.0'],
      ['vagrant-libvirt', 'libvirt', 'Fedora-Cloud-Base-Vagrant-libvirt-27-20180317.0'],
      ['vagrant-virtualbox', 'vbox', 'Fedora-Cloud-Base-Vagrant-virtualbox-27-20180317.0'],
    ]);
    expect(plan.jobs[0]).toEqual({
      image_url: `${F27_LOCATION}/CloudImages/x86_64/images/Fedora-Cloud-Base-27-20180317.0.x86_64.qcow2`,
      path: 'CloudImages/x86_64/images/Fedora-Cloud-Base-27-20180317.0.x86_64.qcow2',
      sha256: '18ab8ec5b6c07f202e4aa76c7053561fd3dd053d357767e6f680e27fcbb68d61',
      size: 229593600,
      type: 'qcow2',
      format: 'qcow2',
      variant: 'CloudImages',
      arch: 'x86_64',
      subvariant: 'Cloud_Base',
      family: 'Base',
      image_name: 'Fedora-Cloud-Base-27-20180317.0',
      backend: 'libvirt',
      plan: 'fedora-cloud-base',
    });
    expect(plan.jobs[2]!.limits).toEqual({ boot_timeout_s: 600, memory_mib: 2048 });
    expect(plan.skipped).toEqual([
      expect.objectContaining({
        type: 'raw-xz',
        reason: 'skip_rule',
        detail: expect.stringMatching(/^raw images: /),
      }),
    ]);
  });

  test('the newer layout is selected by its metadata: x86_64 only by default', () => {
    const plan = planImages({
      location: F43_LOCATION,
      release: '43',
      images: manifest(F43_DIR).payload.images,
      rules,
      arches: rules.arches,
    });
    expect(
      plan.jobs.map(
        (j) => `${j.variant} ${j.arch} ${j.type} ${j.backend} ${j.plan} ${j.family} ${j.image_name}`,
      ),
    ).toEqual([
      'AtomicHost x86_64 qcow2 libvirt fedora-atomic-host Atomic Fedora-AtomicHost-43-1.6',
      'AtomicHost x86_64 vagrant-libvirt libvirt fedora-atomic-host Atomic Fedora-AtomicHost-Vagrant-libvirt-43-1.6',
      'AtomicHost x86_64 vagrant-virtualbox vbox fedora-atomic-host Atomic Fedora-AtomicHost-Vagrant-virtualbox-43-1.6',
      'Cloud x86_64 qcow2 libvirt fedora-cloud-base Base Fedora-Cloud-Base-Generic-43-1.6',
      'Cloud x86_64 vagrant-libvirt libvirt fedora-cloud-base Base Fedora-Cloud-Base-Vagrant-libvirt-43-1.6',
      'Cloud x86_64 vagrant-virtualbox vbox fedora-cloud-base Base Fedora-Cloud-Base-Vagrant-VirtualBox-43-1.6',
    ]);
    const reasons = plan.skipped.map((s) => `${s.arch} ${s.type} ${s.reason}`);
    expect(reasons.filter((r) => r.startsWith('aarch64'))).toHaveLength(7);
    expect(reasons).toEqual(
      expect.arrayContaining(['x86_64 raw-xz skip_rule', 'x86_64 tar-gz no_rule', 'x86_64 docker no_rule']),
    );
    expect(plan.skipped.find((s) => s.arch === 'aarch64')!.detail).toBe(
      'aarch64 is not booted here (arches: x86_64)',
    );
  });

  test('aarch64 is planned when the deployment boots it', () => {
    const plan = planImages({
      location: F43_LOCATION,
      release: '43',
      images: manifest(F43_DIR).payload.images,
      rules,
      arches: ['x86_64', 'aarch64'],
    });
    expect(plan.jobs).toHaveLength(9);
    expect(
      plan.jobs.filter((j) => j.arch === 'aarch64').map((j) => `${j.variant} ${j.type} ${j.backend}`),
    ).toEqual(['AtomicHost qcow2 libvirt', 'Cloud qcow2 libvirt', 'Cloud vagrant-libvirt libvirt']);
  });

  test('a renamed file with the same metadata is still planned, under its new path', () => {
    const images = structuredClone(manifest(F43_DIR).payload.images);
    const qcow2 = images.Cloud!.x86_64!.find((i) => i.type === 'qcow2')!;
    qcow2.path = 'somewhere/else/entirely/disk-image-7.img';
    const plan = planImages({ location: F43_LOCATION, release: '43', images, rules, arches: ['x86_64'] });
    const job = plan.jobs.find((j) => j.variant === 'Cloud' && j.type === 'qcow2')!;
    expect(job).toMatchObject({
      path: 'somewhere/else/entirely/disk-image-7.img',
      image_url: `${F43_LOCATION}/somewhere/else/entirely/disk-image-7.img`,
      image_name: 'disk-image-7',
      backend: 'libvirt',
      plan: 'fedora-cloud-base',
    });
    expect(plan.jobs).toHaveLength(6);
  });

  test('image URLs keep the location as sent (// included), with one slash at the seam', () => {
    const images = manifest(F27_DIR).payload.images;
    for (const location of [
      'http://kojipkgs.fedoraproject.org/compose//branched/Fedora-Cloud-27-20180317.0/compose',
      'http://kojipkgs.fedoraproject.org/compose//branched/Fedora-Cloud-27-20180317.0/compose/',
    ]) {
      const plan = planImages({ location, release: '27', images, rules, arches: ['x86_64'] });
      expect(plan.jobs[0]!.image_url).toBe(
        'http://kojipkgs.fedoraproject.org/compose//branched/Fedora-Cloud-27-20180317.0/compose/CloudImages/x86_64/images/Fedora-Cloud-Base-27-20180317.0.x86_64.qcow2',
      );
    }
  });

  test('a compose with nothing to test says why', () => {
    const plan = planImages({
      location: F43_LOCATION,
      release: '43',
      images: manifest(F43_DIR).payload.images,
      rules,
      arches: ['s390x'],
    });
    expect(plan.jobs).toEqual([]);
    expect(nothingPlanned(plan)).toBe(
      'no image selected for testing: 17 images (17 of an architecture not booted here)',
    );
    expect(nothingPlanned({ jobs: [], skipped: [] })).toBe('images.json lists no images');
  });
});
