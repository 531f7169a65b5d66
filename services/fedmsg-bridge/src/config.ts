// fedmsg-bridge settings (DESIGN §10).
import { existsSync } from 'node:fs';
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
    BRIDGE_TOPICS: Type.Optional(
      Type.String({
        description:
          'comma-separated topics to carry (default: org.fedoraproject.<env>.pungi.compose.status.change)',
      }),
    ),
    BRIDGE_MAX_MESSAGE_BYTES: Type.Integer({
      minimum: 1024,
      default: 1024 * 1024,
      description: 'larger upstream messages are dead-lettered',
    }),
    FEDORA_MESSAGING_URL: Type.Optional(
      Type.String({ description: 'amqp:// or amqps:// URL of the fedora-messaging broker; unset: off' }),
    ),
    FEDORA_MESSAGING_QUEUE: Type.Optional(
      Type.String({ description: 'durable queue name; unset: an exclusive auto-delete queue' }),
    ),
    FEDORA_MESSAGING_CERT_FILE: Type.Optional(
      Type.String({ description: 'TLS client certificate (PEM) for amqps' }),
    ),
    FEDORA_MESSAGING_KEY_FILE: Type.Optional(Type.String({ description: 'TLS client key (PEM) for amqps' })),
    FEDORA_MESSAGING_CA_FILE: Type.Optional(
      Type.String({ description: 'CA bundle (PEM) the broker is checked against' }),
    ),
    FEDORA_MESSAGING_PREFETCH: Type.Integer({
      minimum: 1,
      maximum: 1000,
      default: 10,
      description: 'unacknowledged AMQP messages at once',
    }),
    FEDMSG_ENDPOINTS: Type.Optional(
      Type.String({ description: 'comma-separated ZeroMQ endpoints (tcp://host:port); unset: off' }),
    ),
    DATAGREPPER_URL: Type.Optional(
      Type.String({ description: 'datagrepper base URL for backfill; unset: no backfill' }),
    ),
    DATAGREPPER_BACKFILL_HOURS: Type.Number({
      minimum: 0,
      maximum: 48,
      default: 48,
      description:
        'how far back the first backfill reaches when nothing was forwarded yet (at most the dedup window)',
    }),
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
    (['FEDORA_MESSAGING_CERT_FILE', 'FEDORA_MESSAGING_KEY_FILE', 'FEDORA_MESSAGING_CA_FILE'] as const)
      .filter((key) => c[key] !== undefined && !existsSync(c[key]))
      .map((key) => `${key}: no such file`),
  (c: BridgeConfig) =>
    list(c.FEDMSG_ENDPOINTS)
      .filter((e) => !/^(tcp|ipc):\/\/.+/.test(e))
      .map((e) => `FEDMSG_ENDPOINTS: ${e} is not a tcp:// or ipc:// ZeroMQ endpoint`),
  (c: BridgeConfig) =>
    c.DATAGREPPER_URL && !/^https?:\/\/[^/]/.test(c.DATAGREPPER_URL)
      ? 'DATAGREPPER_URL: expected an http:// or https:// URL'
      : undefined,
  (c: BridgeConfig) =>
    list(c.BRIDGE_TOPICS)
      .filter((t) => !t.startsWith(`org.fedoraproject.${c.FEDORA_ENV}.`))
      .map((t) => `BRIDGE_TOPICS: ${t} is not a topic of org.fedoraproject.${c.FEDORA_ENV}.`),
];

/** The topics the bridge carries, for every source. */
export function bridgeTopics(c: BridgeConfig): string[] {
  const topics = list(c.BRIDGE_TOPICS);
  return topics.length > 0 ? topics : [`org.fedoraproject.${c.FEDORA_ENV}.pungi.compose.status.change`];
}
