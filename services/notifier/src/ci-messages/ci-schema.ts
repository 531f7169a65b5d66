// The fedora-ci/messages standard for productmd-compose test results (schemas/productmd-compose.test.*.yaml and the
// shared contact, run, pipeline, test, error and version definitions), as TypeBox schemas.
import { Type, type Static, type TSchema } from '@sinclair/typebox';

const uri = (description: string) => Type.String({ pattern: '^https?://', description });

export const CiContact = Type.Object(
  {
    name: Type.String({ description: 'Name of the CI system' }),
    team: Type.String({ description: 'Team running the CI system' }),
    docs: uri('Documentation of the CI system'),
    email: Type.String({ pattern: '^[^@\\s]+@[^@\\s]+$', description: 'Contact email' }),
    url: Type.Optional(uri('Home page of the CI system')),
    irc: Type.Optional(Type.String()),
    slack: Type.Optional(Type.String()),
  },
  { $id: 'CiContact' },
);

export const CiRun = Type.Object(
  {
    url: uri('Web page of the test run'),
    log: uri('Log of the test run'),
    id: Type.Optional(Type.Union([Type.String(), Type.Integer()])),
    log_raw: Type.Optional(uri('Raw log')),
    log_stream: Type.Optional(uri('Live log')),
    debug: Type.Optional(uri('Debugging information')),
    rebuild: Type.Optional(uri('Where to rerun the test')),
    trigger_rebuild: Type.Optional(uri('URL that reruns the test')),
  },
  { $id: 'CiRun' },
);

export const CiProductmdCompose = Type.Object(
  {
    type: Type.Literal('productmd-compose'),
    id: Type.String({ minLength: 1, description: 'Compose id, e.g. Fedora-Rawhide-20180129.n.0' }),
    compose_type: Type.Union([Type.Literal('nightly'), Type.Literal('rel-eng')], {
      description: 'productmd compose type',
    }),
    release_type: Type.Optional(Type.String()),
  },
  { $id: 'CiProductmdCompose' },
);

export const CiPipeline = Type.Object(
  {
    id: Type.String({ minLength: 1, description: 'Unique id of this pipeline run' }),
    name: Type.String({ minLength: 1, description: 'Human-readable pipeline name' }),
    build: Type.Optional(Type.String()),
    stage: Type.Optional(Type.String()),
  },
  { $id: 'CiPipeline' },
);

const testCommon = {
  category: Type.Union(
    ['functional', 'integration', 'interoperability', 'static-analysis', 'system', 'validation'].map((c) =>
      Type.Literal(c),
    ),
  ),
  namespace: Type.String({ minLength: 1 }),
  type: Type.String({ minLength: 1 }),
  docs: Type.Optional(uri('Test documentation')),
  lifetime: Type.Optional(Type.Integer({ minimum: 1, description: 'Minutes until the test is stale' })),
  note: Type.Optional(Type.String()),
  label: Type.Optional(Type.Array(Type.String())),
};

export const CiTest = Type.Object(testCommon, { $id: 'CiTest' });
export const CiTestComplete = Type.Object(
  {
    ...testCommon,
    result: Type.Union(
      ['passed', 'failed', 'info', 'needs_inspection', 'not_applicable'].map((r) => Type.Literal(r)),
    ),
  },
  { $id: 'CiTestComplete' },
);

export const CiError = Type.Object(
  { reason: Type.String({ minLength: 1 }), issue_url: Type.Optional(uri('Issue about the error')) },
  { $id: 'CiError' },
);

export const CiSystem = Type.Object(
  {
    architecture: Type.String(),
    provider: Type.String(),
    os: Type.Optional(Type.String()),
    variant: Type.Optional(Type.String()),
  },
  { $id: 'CiSystem' },
);

const common = {
  contact: CiContact,
  run: CiRun,
  artifact: CiProductmdCompose,
  pipeline: CiPipeline,
  system: Type.Optional(Type.Array(CiSystem)),
  generated_at: Type.String({ pattern: '^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d' }),
  version: Type.String({ pattern: '^1\\.\\d+\\.\\d+$', description: 'Version of the message standard' }),
};

function message<T extends TSchema>(id: string, test: T) {
  return Type.Object({ ...common, test }, { $id: id });
}

export const CiComposeTestQueued = message('CiComposeTestQueued', CiTest);
export const CiComposeTestRunning = message('CiComposeTestRunning', CiTest);
export const CiComposeTestComplete = message('CiComposeTestComplete', CiTestComplete);
export const CiComposeTestError = Type.Object(
  { ...common, test: CiTest, error: CiError },
  { $id: 'CiComposeTestError' },
);

export type CiComposeTestQueued = Static<typeof CiComposeTestQueued>;
export type CiComposeTestComplete = Static<typeof CiComposeTestComplete>;
export type CiComposeTestError = Static<typeof CiComposeTestError>;

/** Each productmd-compose test topic suffix with its schema. */
export const CI_SCHEMAS = {
  'ci.productmd-compose.test.queued': CiComposeTestQueued,
  'ci.productmd-compose.test.running': CiComposeTestRunning,
  'ci.productmd-compose.test.complete': CiComposeTestComplete,
  'ci.productmd-compose.test.error': CiComposeTestError,
} as const;
export type CiSubject = keyof typeof CI_SCHEMAS;
