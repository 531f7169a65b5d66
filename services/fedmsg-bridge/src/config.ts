// fedmsg-bridge settings (DESIGN §10).
import { Type, type Static } from '@sinclair/typebox';
import { checkNatsUrl, CommonConfig, healthPort, list } from '@autocloud/service';

export const BridgeConfig = Type.Composite([
  CommonConfig,
  Type.Object({
    HEALTH_PORT: healthPort(9101),
    FEDORA_ENV: Type.String({
      default: 'prod',
      pattern: '^[a-z0-9_-]+$',
      description: 'topic environment: org.fedoraproject.<env>.',
    }),
    FEDORA_MESSAGING_URL: Type.Optional(
      Type.String({ description: 'amqp:// or amqps:// URL of the fedora-messaging broker; unset: off' }),
    ),
    FEDORA_MESSAGING_QUEUE: Type.Optional(
      Type.String({ description: 'durable queue name; unset: an exclusive auto-delete queue' }),
    ),
    FEDMSG_ENDPOINTS: Type.Optional(
      Type.String({ description: 'comma-separated ZeroMQ endpoints (tcp://host:port); unset: off' }),
    ),
    DATAGREPPER_URL: Type.Optional(
      Type.String({ description: 'datagrepper base URL for backfill; unset: no backfill' }),
    ),
  }),
]);
export type BridgeConfig = Static<typeof BridgeConfig>;

export const bridgeChecks = [
  checkNatsUrl,
  (c: BridgeConfig) =>
    c.FEDORA_MESSAGING_URL && !/^amqps?:\/\/[^/]/.test(c.FEDORA_MESSAGING_URL)
      ? 'FEDORA_MESSAGING_URL: expected amqp://… or amqps://…'
      : undefined,
  (c: BridgeConfig) =>
    list(c.FEDMSG_ENDPOINTS)
      .filter((e) => !/^(tcp|ipc):\/\/.+/.test(e))
      .map((e) => `FEDMSG_ENDPOINTS: ${e} is not a tcp:// or ipc:// ZeroMQ endpoint`),
  (c: BridgeConfig) =>
    c.DATAGREPPER_URL && !/^https?:\/\/[^/]/.test(c.DATAGREPPER_URL)
      ? 'DATAGREPPER_URL: expected an http:// or https:// URL'
      : undefined,
];
