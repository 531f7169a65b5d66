// Test-only: realistic rows (shaped like Fedora's cloud composes) with unique keys, overridable per test.
import type { Compose, NewCompose, NewJob } from '../schema.js';

let serial = 0;

export function newCompose(overrides: Partial<NewCompose> = {}): NewCompose {
  serial += 1;
  const composeId = `Fedora-Cloud-41-20241020.${serial}-${process.pid}`;
  return {
    compose_id: composeId,
    location: `https://kojipkgs.fedoraproject.org/compose/cloud/${composeId}/compose`,
    release: '41',
    date: '20241020',
    respin: serial,
    type: 'production',
    label: null,
    pungi_status: 'FINISHED',
    ...overrides,
  };
}

export function newJob(compose: Compose, overrides: Partial<NewJob> = {}): NewJob {
  const arch = overrides.arch ?? 'x86_64';
  const type = overrides.type ?? 'qcow2';
  const imageName =
    overrides.image_name ?? `Fedora-Cloud-Base-${compose.release}-${compose.date}.${compose.respin}`;
  const path = `Cloud/${arch}/images/${imageName}.${arch}.${type}`;
  return {
    compose_job_id: compose.compose_job_id,
    compose_id: compose.compose_id,
    image_url: `${compose.location}/${path}`,
    image_path: path,
    image_name: imageName,
    sha256: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    size: 5_368_709_120, // 5 GiB: above 2^32, so an int8 that must still come back as an exact number
    type,
    format: type,
    variant: 'Cloud',
    arch,
    subvariant: 'Cloud_Base',
    family: 'Base',
    release: compose.release,
    backend: 'libvirt',
    plan: 'fedora-cloud-base',
    ...overrides,
  };
}
