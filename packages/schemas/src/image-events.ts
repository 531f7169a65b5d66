// Public per-image events (autocloud.image.{queued,running,success,failed,aborted}).
// A superset of the original Autocloud body: its fields stay required with their old meaning; the rest is optional.
import { Type, type Static } from '@sinclair/typebox';
import {
  Backend,
  JobStatus,
  ReasonCode,
  archTokenProp,
  composeJobIdProp,
  jobIdProp,
  nonEmpty,
  timestampProp,
  urlProp,
} from './common.js';

export const StepSummary = Type.Object(
  {
    total: Type.Integer({ minimum: 0, description: 'Steps in the plan' }),
    passed: Type.Integer({ minimum: 0, description: 'Steps that passed' }),
    failed: Type.Integer({ minimum: 0, description: 'Steps that failed (gating or not)' }),
    skipped: Type.Integer({ minimum: 0, description: 'Steps not run because an earlier gating step failed' }),
  },
  { $id: 'StepSummary', description: 'Counts of the test plan steps of one job', additionalProperties: true },
);
export type StepSummary = Static<typeof StepSummary>;

export const ImageEvent = Type.Object(
  {
    // The original body.
    compose_id: nonEmpty('Compose id, e.g. Fedora-24-20160420.n.0'),
    compose_url: urlProp('Absolute URL of the IMAGE (historic name; same as image_url)'),
    image_name: nonEmpty('Image name, e.g. Fedora-Cloud-Base-24-20160420.n.0'),
    status: JobStatus,
    job_id: jobIdProp(),
    release: Type.String({ description: 'Release version, e.g. 24 or Rawhide' }),
    family: Type.String({ description: 'Image family, e.g. Base or Atomic' }),
    type: Type.String({ description: 'productmd image type, e.g. qcow2, vagrant-libvirt' }),
    // Added by the rewrite.
    image_url: Type.Optional(urlProp('Absolute URL of the image')),
    arch: Type.Optional(archTokenProp()),
    subvariant: Type.Optional(Type.String({ description: 'productmd subvariant, e.g. Cloud_Base' })),
    format: Type.Optional(Type.String({ description: 'productmd image format, e.g. qcow2, raw.xz' })),
    variant: Type.Optional(Type.String({ description: 'productmd variant, e.g. Cloud, CloudImages' })),
    backend: Type.Optional(Backend),
    attempt: Type.Optional(
      Type.Integer({ minimum: 1, description: 'Attempt number; a rerun is attempt + 1' }),
    ),
    compose_job_id: Type.Optional(composeJobIdProp()),
    reason: Type.Optional(Type.String({ description: 'Human-readable reason (failed and aborted jobs)' })),
    reason_code: Type.Optional(ReasonCode),
    duration_ms: Type.Optional(Type.Integer({ minimum: 0, description: 'Run time so far or in total, ms' })),
    summary: Type.Optional(StepSummary),
    hypervisor: Type.Optional(Type.String({ description: 'What ran the guest: qemu, kvm, virtualbox' })),
    trace_id: Type.Optional(
      Type.String({
        pattern: '^[0-9a-f]{32}$',
        description: 'W3C trace id of the job, for the tracing dashboard',
      }),
    ),
    rerun_of: Type.Optional(jobIdProp('Job id this job reruns')),
    runner: Type.Optional(Type.String({ description: 'Host name of the runner that took the job' })),
    boot_ms: Type.Optional(
      Type.Integer({ minimum: 0, description: 'Boot-to-SSH time: from domain start to SSH answering, ms' }),
    ),
    at: Type.Optional(timestampProp('When the state changed (RFC 3339)')),
  },
  {
    $id: 'ImageEvent',
    description: 'A test job for one image changed state',
    additionalProperties: true,
  },
);
export type ImageEvent = Static<typeof ImageEvent>;

/** An image event about the job a work item carries, for the services that hold the item (fetcher, runners). */
export function imageEventForWork(
  item: {
    job_id: number;
    compose_job_id: number;
    compose_id: string;
    attempt: number;
    backend: ImageEvent['backend'];
    image: {
      url: string;
      image_name: string;
      release: string;
      family: string;
      type: string;
      arch: string;
      subvariant: string;
      format: string;
      variant: string;
    };
  },
  status: ImageEvent['status'],
  extra: Partial<ImageEvent> = {},
): ImageEvent {
  const { image } = item;
  return {
    compose_id: item.compose_id,
    compose_url: image.url,
    image_name: image.image_name,
    status,
    job_id: item.job_id,
    release: image.release,
    family: image.family,
    type: image.type,
    image_url: image.url,
    arch: image.arch,
    subvariant: image.subvariant,
    format: image.format,
    variant: image.variant,
    backend: item.backend,
    attempt: item.attempt,
    compose_job_id: item.compose_job_id,
    at: new Date().toISOString(),
    ...extra,
  };
}
