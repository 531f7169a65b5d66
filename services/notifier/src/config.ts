// notifier settings (DESIGN §10).
import { existsSync } from 'node:fs';
import { Type, type Static } from '@sinclair/typebox';
import { PUBLIC_SUBJECTS } from '@autocloud/schemas';
import { checkNatsUrl, CommonConfig, healthPort, list } from '@autocloud/service';

export const NotifierConfig = Type.Composite([
  CommonConfig,
  Type.Object({
    HEALTH_PORT: healthPort(9107),
    FEDORA_ENV: Type.String({
      default: 'prod',
      pattern: '^[a-z0-9_-]+$',
      description: 'topic environment: org.fedoraproject.<env>.',
    }),
    FEDORA_MESSAGING_URL: Type.Optional(
      Type.String({ description: 'amqp:// or amqps:// URL to publish to; unset: off' }),
    ),
    FEDORA_MESSAGING_CERT_FILE: Type.Optional(
      Type.String({ description: 'TLS client certificate (PEM) for amqps' }),
    ),
    FEDORA_MESSAGING_KEY_FILE: Type.Optional(Type.String({ description: 'TLS client key (PEM) for amqps' })),
    FEDORA_MESSAGING_CA_FILE: Type.Optional(
      Type.String({ description: 'CA bundle (PEM) the broker is checked against' }),
    ),
    FEDORA_MESSAGING_SUBJECTS: Type.Optional(
      Type.String({
        description:
          'comma-separated NATS subject patterns published to fedora-messaging (default: every public event)',
      }),
    ),
    FEDORA_MESSAGING_WAIT_MS: Type.Integer({
      minimum: 0,
      maximum: 600_000,
      default: 30_000,
      description: 'how long one event waits for a broker connection before it is nak’ed for later',
    }),
    CI_MESSAGES: Type.Boolean({
      default: true,
      description: 'also publish fedora-ci productmd-compose.test.* messages for every image event',
    }),
    PUBLIC_URL: Type.String({
      default: 'https://autocloud.fedoraproject.org',
      description: 'base URL of the results web UI, for links in CI messages',
    }),
    FEDMSG_PUBLISH_ENDPOINT: Type.Optional(
      Type.String({ description: 'ZeroMQ PUB bind endpoint (tcp://*:port); unset: off' }),
    ),
    WEBHOOK_URLS: Type.Optional(
      Type.String({
        description: 'comma-separated http(s) URLs that get every event as a signed POST; unset: off',
      }),
    ),
    WEBHOOK_SECRET: Type.Optional(
      Type.String({
        minLength: 16,
        description: 'HMAC-SHA256 key for X-Autocloud-Signature (needed with WEBHOOK_URLS)',
      }),
    ),
    WEBHOOK_SUBJECTS: Type.Optional(
      Type.String({
        description: 'comma-separated subject patterns sent to webhooks (default: every public event)',
      }),
    ),
    WEBHOOK_TIMEOUT_MS: Type.Integer({
      minimum: 100,
      maximum: 120_000,
      default: 10_000,
      description: 'how long one webhook POST may take',
    }),
    FEDMSG_SUBJECTS: Type.Optional(
      Type.String({
        description: 'comma-separated subject patterns published on fedmsg (default: every public event)',
      }),
    ),
  }),
]);
export type NotifierConfig = Static<typeof NotifierConfig>;

export const notifierChecks = [
  checkNatsUrl,
  (c: NotifierConfig) =>
    c.FEDORA_MESSAGING_URL && !/^amqps?:\/\/[^/]/.test(c.FEDORA_MESSAGING_URL)
      ? 'FEDORA_MESSAGING_URL: expected amqp://… or amqps://…'
      : undefined,
  (c: NotifierConfig) =>
    (['FEDORA_MESSAGING_CERT_FILE', 'FEDORA_MESSAGING_KEY_FILE', 'FEDORA_MESSAGING_CA_FILE'] as const)
      .filter((key) => c[key] !== undefined && !existsSync(c[key]))
      .map((key) => `${key}: no such file`),
  (c: NotifierConfig) =>
    c.FEDMSG_PUBLISH_ENDPOINT && !/^(tcp|ipc):\/\/.+/.test(c.FEDMSG_PUBLISH_ENDPOINT)
      ? 'FEDMSG_PUBLISH_ENDPOINT: expected tcp://… or ipc://…'
      : undefined,
  (c: NotifierConfig) =>
    (['FEDORA_MESSAGING_SUBJECTS', 'FEDMSG_SUBJECTS', 'WEBHOOK_SUBJECTS'] as const).flatMap((key) =>
      list(c[key])
        .filter((p) => !/^autocloud(\.[a-z*>]+)+$/.test(p))
        .map((p) => `${key}: ${p} is not an autocloud subject pattern`),
    ),
  (c: NotifierConfig) =>
    list(c.WEBHOOK_URLS)
      .filter((u) => !/^https?:\/\/[^/]/.test(u))
      .map((u) => `WEBHOOK_URLS: ${u} is not an http:// or https:// URL`),
  (c: NotifierConfig) =>
    list(c.WEBHOOK_URLS).length > 0 && !c.WEBHOOK_SECRET
      ? 'WEBHOOK_SECRET: required with WEBHOOK_URLS'
      : undefined,
  (c: NotifierConfig) =>
    /^https?:\/\/[^/]/.test(c.PUBLIC_URL) ? undefined : 'PUBLIC_URL: expected an http:// or https:// URL',
];

/** The subject patterns a destination carries; unset means every public event. */
export function subjectPatterns(value: string | undefined): string[] {
  const patterns = list(value);
  return patterns.length > 0 ? patterns : [...PUBLIC_SUBJECTS];
}
