// autocloud.compose.resolved: compose-resolver's plan for one compose, which results-api records and fans out.
// Internal, but an event in the AUTOCLOUD stream replayed across versions, so it stays open like the public ones.
import { Type, type Static } from '@sinclair/typebox';
import {
  Backend,
  Limits,
  archTokenProp,
  composeDateProp,
  nonEmpty,
  requestIdProp,
  sha256Prop,
  urlProp,
} from './common.js';

export const PlannedJob = Type.Object(
  {
    image_url: urlProp('Absolute URL of the image ({location}/{path})'),
    path: nonEmpty('Image path relative to the compose location, from images.json'),
    sha256: sha256Prop(),
    size: Type.Integer({ minimum: 0, description: 'Image size in bytes, from images.json' }),
    type: Type.String({ description: 'productmd image type, e.g. qcow2, vagrant-libvirt' }),
    format: Type.String({ description: 'productmd image format, e.g. qcow2, vagrant-libvirt.box' }),
    variant: Type.String({ description: 'productmd variant the image belongs to, e.g. CloudImages' }),
    arch: archTokenProp(),
    subvariant: Type.String({ description: 'productmd subvariant, e.g. Cloud_Base' }),
    family: Type.String({ description: 'Image family as the original reported it, e.g. Base or Atomic' }),
    image_name: nonEmpty('Image name, e.g. Fedora-Cloud-Base-27-20180317.0'),
    backend: Backend,
    plan: nonEmpty('Name of the test plan to run (a file in plans/)'),
    limits: Type.Optional(Limits),
  },
  {
    $id: 'PlannedJob',
    description: 'One image of a compose selected for testing',
    additionalProperties: true,
  },
);
export type PlannedJob = Static<typeof PlannedJob>;

export const ComposeResolved = Type.Object(
  {
    compose_id: nonEmpty('Compose id, e.g. Fedora-Cloud-27-20180317.0'),
    location: nonEmpty('URL of the compose directory'),
    pungi_status: Type.String({
      description: 'The pungi status that triggered testing (FINISHED, FINISHED_INCOMPLETE)',
    }),
    release: Type.String({ description: 'Release version, e.g. 27 or Rawhide' }),
    date: composeDateProp(),
    respin: Type.Integer({ minimum: 0, description: 'Respin of the compose on its date' }),
    type: Type.String({ description: 'Compose type: nightly, production, test, ...' }),
    label: Type.Union([Type.String(), Type.Null()], {
      description: 'Compose label, e.g. RC-20180317.0; null if none',
    }),
    reason: Type.Optional(
      Type.String({ description: 'Why jobs is empty, e.g. the metadata could not be read; unset otherwise' }),
    ),
    request_id: Type.Optional(
      requestIdProp('request_id of the submit command this resolves, if submitted by hand'),
    ),
    jobs: Type.Array(PlannedJob, { description: 'The planned jobs, possibly none' }),
  },
  {
    $id: 'ComposeResolved',
    description: 'The images of a finished compose selected for testing, with their test plans',
    additionalProperties: true,
  },
);
export type ComposeResolved = Static<typeof ComposeResolved>;
