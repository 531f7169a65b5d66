// Test helpers for the recorder: a resolved compose made from the real productmd fixture, stream readers.
import { readFileSync } from 'node:fs';
import { type ComposeResolved, type PlannedJob } from '@autocloud/schemas';

const fixture = new URL(
  '../../../../../shared/fixtures/productmd/Fedora-Cloud-27-20180317.0/metadata/images.json',
  import.meta.url,
);

interface ProductmdImage {
  path: string;
  checksums: { sha256: string };
  size: number;
  type: string;
  format: string;
  arch: string;
  subvariant: string;
}

export const LOCATION = 'https://kojipkgs.fedoraproject.org/compose/27/Fedora-Cloud-27-20180317.0/compose';

/** compose.resolved as compose-resolver plans Fedora-Cloud-27-20180317.0: qcow2, vagrant-libvirt, vagrant-virtualbox. */
export function resolvedFixture(composeId = 'Fedora-Cloud-27-20180317.0'): ComposeResolved {
  const images = (
    JSON.parse(readFileSync(fixture, 'utf8')) as {
      payload: { images: Record<string, Record<string, ProductmdImage[]>> };
    }
  ).payload.images.CloudImages!.x86_64!;
  const jobs: PlannedJob[] = images
    .filter((i) => i.type !== 'raw-xz')
    .map((i) => ({
      image_url: `${LOCATION}/${i.path}`,
      path: i.path,
      sha256: i.checksums.sha256,
      size: i.size,
      type: i.type,
      format: i.format,
      variant: 'CloudImages',
      arch: i.arch,
      subvariant: i.subvariant,
      family: 'Base',
      image_name: i.path
        .split('/')
        .pop()!
        .replace(/\.x86_64\..*$/, '')
        .replace(
          'Vagrant-',
          i.type === 'vagrant-virtualbox'
            ? 'Vagrant-virtualbox-'
            : i.type === 'vagrant-libvirt'
              ? 'Vagrant-libvirt-'
              : 'Vagrant-',
        ),
      backend: i.type === 'vagrant-virtualbox' ? ('vbox' as const) : ('libvirt' as const),
      plan: 'fedora-cloud-base',
    }));
  return {
    compose_id: composeId,
    location: LOCATION,
    pungi_status: 'FINISHED',
    release: '27',
    date: '20180317',
    respin: 0,
    type: 'production',
    label: 'RC-20180317.0',
    jobs,
  };
}
