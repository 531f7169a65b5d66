// Realistic current bodies of every internal and public message, shared by the message tests.
import { type ComposeCompleteEvent, type ComposeEvent } from './compose-events.js';
import { type ImageEvent } from './image-events.js';
import { type OutputLines } from './output.js';
import { type ComposeResolved, type PlannedJob } from './resolved.js';
import { readFixture } from './test-support.js';
import { type FetchWorkItem, type RunWorkItem } from './work.js';

export const location = 'https://kojipkgs.fedoraproject.org/compose/27/Fedora-Cloud-27-20180317.0/compose';
export const sha = '18ab8ec5b6c07f202e4aa76c7053561fd3dd053d357767e6f680e27fcbb68d61';
export const imageUrl = `${location}/CloudImages/x86_64/images/Fedora-Cloud-Base-27-20180317.0.x86_64.qcow2`;

export const imageEvent: ImageEvent = {
  compose_id: 'Fedora-Cloud-27-20180317.0',
  compose_url: imageUrl,
  image_name: 'Fedora-Cloud-Base-27-20180317.0',
  status: 'aborted',
  job_id: 4711,
  release: '27',
  family: 'Base',
  type: 'qcow2',
  image_url: imageUrl,
  arch: 'x86_64',
  subvariant: 'Cloud_Base',
  format: 'qcow2',
  variant: 'CloudImages',
  backend: 'libvirt',
  attempt: 2,
  compose_job_id: 301,
  reason: 'SSH never came up within 300 s',
  reason_code: 'ssh',
  duration_ms: 301_250,
  summary: { total: 12, passed: 0, failed: 0, skipped: 12 },
  hypervisor: 'kvm',
  trace_id: '4bf92f3577b34da6a3ce929d0e0e4736',
  rerun_of: 4700,
  runner: 'virthost-01.fedoraproject.org',
  at: '2018-03-17T09:15:02.123Z',
};

export const composeEvent: ComposeEvent = {
  id: 'Fedora-Cloud-27-20180317.0',
  date: '20180317',
  respin: 0,
  type: 'production',
  release: '27',
  status: 'running',
  compose_job_id: 301,
  location,
  label: 'RC-20180317.0',
  job_count: 3,
  at: '2018-03-17T09:10:00+00:00',
};

export const composeComplete: ComposeCompleteEvent = {
  ...composeEvent,
  status: 'completed',
  results: {
    success: 1,
    failed: 1,
    aborted: 1,
    artifacts: {
      '4711': {
        architecture: 'x86_64',
        family: 'Base',
        image_url: imageUrl,
        release: '27',
        subvariant: 'Cloud_Base',
        format: 'qcow2',
        type: 'qcow2',
        name: 'Fedora-Cloud-Base-27-20180317.0',
        status: 'aborted',
      },
    },
  },
};

interface ProductmdImage {
  arch: string;
  checksums: { sha256: string };
  format: string;
  path: string;
  size: number;
  subvariant: string;
  type: string;
}

/** What compose-resolver would plan for the fixture compose (rules simplified: every image, backend by type). */
export function resolvedFromFixture(): ComposeResolved {
  const root = 'productmd/Fedora-Cloud-27-20180317.0/metadata/';
  const images = readFixture(`${root}images.json`) as {
    payload: {
      compose: { id: string; date: string; respin: number; type: string };
      images: Record<string, Record<string, ProductmdImage[]>>;
    };
  };
  const info = readFixture(`${root}composeinfo.json`) as {
    payload: { compose: { label: string }; release: { version: string } };
  };
  const { compose } = images.payload;
  const jobs: PlannedJob[] = Object.entries(images.payload.images).flatMap(([variant, byArch]) =>
    Object.values(byArch)
      .flat()
      .map((img) => ({
        image_url: `${location}/${img.path}`,
        path: img.path,
        sha256: img.checksums.sha256,
        size: img.size,
        type: img.type,
        format: img.format,
        variant,
        arch: img.arch,
        subvariant: img.subvariant,
        family: 'Base',
        image_name: img.path
          .split('/')
          .at(-1)!
          .replace(/\.x86_64\..*$/, ''),
        backend: img.type === 'vagrant-virtualbox' ? ('vbox' as const) : ('libvirt' as const),
        plan: 'fedora-cloud-base',
        ...(img.type === 'vagrant-virtualbox' ? { limits: { boot_timeout_s: 600, memory_mib: 2048 } } : {}),
      })),
  );
  return {
    compose_id: compose.id,
    location,
    pungi_status: 'FINISHED',
    release: info.payload.release.version,
    date: compose.date,
    respin: compose.respin,
    type: compose.type,
    label: info.payload.compose.label,
    jobs,
  };
}

export const work: FetchWorkItem = {
  job_id: 4711,
  compose_job_id: 301,
  compose_id: 'Fedora-Cloud-27-20180317.0',
  attempt: 1,
  image: {
    url: imageUrl,
    sha256: sha,
    size: 229593600,
    type: 'qcow2',
    format: 'qcow2',
    arch: 'x86_64',
    variant: 'CloudImages',
    subvariant: 'Cloud_Base',
    family: 'Base',
    image_name: 'Fedora-Cloud-Base-27-20180317.0',
    release: '27',
  },
  backend: 'libvirt',
  plan: 'fedora-cloud-base',
  limits: { boot_timeout_s: 300, step_timeout_s: 600, memory_mib: 1024, vcpus: 1 },
};
export const run: RunWorkItem = { ...work, object: { bucket: 'images', name: sha } };

export const output: OutputLines = {
  job_id: 4711,
  lines: [
    {
      n: 1,
      ts: '2018-03-17T09:15:02.123Z',
      text: 'Booting `Fedora (4.15.6-300.fc27.x86_64)`',
      stream: 'console',
    },
    { n: 2, ts: '2018-03-17T09:16:40.001Z', text: '$ curl -O http://localhost/', step: 0, stream: 'test' },
    { n: 3, ts: '2018-03-17T09:16:41Z', text: '' },
  ],
};
