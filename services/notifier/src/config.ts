// notifier settings (DESIGN §10).
import { Type, type Static } from '@sinclair/typebox';
import { checkNatsUrl, CommonConfig, healthPort } from '@autocloud/service';

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
    FEDMSG_PUBLISH_ENDPOINT: Type.Optional(
      Type.String({ description: 'ZeroMQ PUB bind endpoint (tcp://*:port); unset: off' }),
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
    c.FEDMSG_PUBLISH_ENDPOINT && !/^(tcp|ipc):\/\/.+/.test(c.FEDMSG_PUBLISH_ENDPOINT)
      ? 'FEDMSG_PUBLISH_ENDPOINT: expected tcp://… or ipc://…'
      : undefined,
];
