// Public per-compose events (autocloud.compose.{queued,running,complete}), supersets of the original bodies.
import { Type, type Static } from '@sinclair/typebox';
import {
  TerminalJobStatus,
  composeDateProp,
  composeJobIdProp,
  literalUnion,
  nonEmpty,
  timestampProp,
  urlProp,
} from './common.js';

// Shared by every compose event; status differs, so it is added per schema.
const composeFields = {
  id: nonEmpty('Compose id, e.g. Fedora-24-20160419.n.1'),
  date: composeDateProp(),
  respin: Type.Integer({ minimum: 0, description: 'Respin of the compose on its date' }),
  type: Type.String({ description: 'Compose type: nightly, production, test, ...' }),
  release: Type.String({ description: 'Release version, e.g. 24 or Rawhide' }),
  compose_job_id: composeJobIdProp(),
  // Added by the rewrite.
  location: Type.Optional(Type.String({ description: 'URL of the compose directory' })),
  label: Type.Optional(
    Type.Union([Type.String(), Type.Null()], {
      description: 'Compose label, e.g. RC-20180425.0; null if none',
    }),
  ),
  job_count: Type.Optional(
    Type.Integer({ minimum: 0, description: 'Number of jobs planned for the compose' }),
  ),
  at: Type.Optional(timestampProp('When the state changed (RFC 3339)')),
};

export const ComposeEvent = Type.Object(
  {
    ...composeFields,
    status: literalUnion(['queued', 'running'], { description: 'Compose state: queued or running' }),
  },
  {
    $id: 'ComposeEvent',
    description: 'A compose was queued for testing, or its first job started',
    additionalProperties: true,
  },
);
export type ComposeEvent = Static<typeof ComposeEvent>;

export const ComposeArtifact = Type.Object(
  {
    architecture: Type.String({ description: 'Image architecture, e.g. x86_64' }),
    family: Type.String({ description: 'Image family, e.g. Base or Atomic' }),
    image_url: urlProp('Absolute URL of the image'),
    release: Type.String({ description: 'Release version' }),
    subvariant: Type.String({ description: 'productmd subvariant, e.g. Cloud_Base' }),
    format: Type.String({ description: 'productmd image format, e.g. qcow2' }),
    type: Type.String({ description: 'productmd image type, e.g. qcow2' }),
    name: Type.String({ description: 'Image name' }),
    status: TerminalJobStatus,
  },
  { $id: 'ComposeArtifact', description: 'The outcome of one job of a compose', additionalProperties: true },
);
export type ComposeArtifact = Static<typeof ComposeArtifact>;

export const ComposeResults = Type.Object(
  {
    success: Type.Integer({ minimum: 0, description: 'Jobs that passed' }),
    failed: Type.Integer({
      minimum: 0,
      description: 'Jobs that failed or were aborted (aborted counts as failed)',
    }),
    aborted: Type.Optional(Type.Integer({ minimum: 0, description: 'Of the failed jobs, those aborted' })),
    // A map, not an extensible object: every key is a job id.
    artifacts: Type.Record(Type.Integer(), ComposeArtifact, {
      description: 'Outcome per job, keyed by job id',
      additionalProperties: false,
    }),
  },
  { $id: 'ComposeResults', description: 'Outcome of every job of a compose', additionalProperties: true },
);
export type ComposeResults = Static<typeof ComposeResults>;

export const ComposeCompleteEvent = Type.Object(
  {
    ...composeFields,
    status: Type.Literal('completed', { description: 'Always "completed"' }),
    results: ComposeResults,
    reason: Type.Optional(
      Type.String({
        description: 'Why the compose has no or fewer results, e.g. metadata could not be read',
      }),
    ),
  },
  {
    $id: 'ComposeCompleteEvent',
    description: 'Every job of a compose reached a final state',
    additionalProperties: true,
  },
);
export type ComposeCompleteEvent = Static<typeof ComposeCompleteEvent>;
