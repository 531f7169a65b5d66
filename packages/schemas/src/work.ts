// Work items of the WORK stream: fetch an image (image-fetcher), then run it (libvirt-runner, vbox-runner).
// Closed: producer and consumer are ours, and an unknown field means they disagree about the contract.
import { Type, type Static } from '@sinclair/typebox';
import {
  Backend,
  Limits,
  archTokenProp,
  composeJobIdProp,
  jobIdProp,
  nonEmpty,
  sha256Prop,
  urlProp,
} from './common.js';

export const WorkImage = Type.Object(
  {
    url: urlProp('Absolute URL to download the image from'),
    sha256: sha256Prop('Expected SHA-256, lowercase hex (from images.json)'),
    size: Type.Integer({ minimum: 0, description: 'Expected size in bytes (from images.json)' }),
    type: Type.String({ description: 'productmd image type, e.g. qcow2, vagrant-libvirt' }),
    format: Type.String({ description: 'productmd image format, e.g. qcow2, raw.xz' }),
    arch: archTokenProp(),
    variant: Type.String({ description: 'productmd variant, e.g. Cloud' }),
    subvariant: Type.String({ description: 'productmd subvariant, e.g. Cloud_Base' }),
    family: Type.String({ description: 'Image family, e.g. Base' }),
    image_name: nonEmpty('Image name'),
    release: Type.String({ description: 'Release version' }),
  },
  { $id: 'WorkImage', description: 'The image a job tests', additionalProperties: false },
);
export type WorkImage = Static<typeof WorkImage>;

const workFields = {
  job_id: jobIdProp(),
  compose_job_id: composeJobIdProp(),
  compose_id: nonEmpty('Compose id'),
  attempt: Type.Integer({ minimum: 1, description: 'Attempt number; a rerun is attempt + 1' }),
  image: WorkImage,
  backend: Backend,
  plan: nonEmpty('Name of the test plan to run'),
  limits: Type.Optional(Limits),
};

export const FetchWorkItem = Type.Object(workFields, {
  $id: 'FetchWorkItem',
  description: 'Download and verify the image of a job, then hand it to a runner',
  additionalProperties: false,
});
export type FetchWorkItem = Static<typeof FetchWorkItem>;

export const StoredObject = Type.Object(
  {
    bucket: nonEmpty('Object store bucket, e.g. images'),
    name: sha256Prop('Object name: the SHA-256 of the verified image'),
  },
  {
    $id: 'StoredObject',
    description: 'Where the fetcher stored the verified image',
    additionalProperties: false,
  },
);
export type StoredObject = Static<typeof StoredObject>;

export const RunWorkItem = Type.Object(
  {
    ...workFields,
    object: StoredObject,
    next_output_line: Type.Optional(
      Type.Integer({
        minimum: 1,
        description: 'First output line number free for the runner (the fetcher wrote the ones before)',
      }),
    ),
  },
  {
    $id: 'RunWorkItem',
    description: 'Boot the verified image and run its test plan',
    additionalProperties: false,
  },
);
export type RunWorkItem = Static<typeof RunWorkItem>;
