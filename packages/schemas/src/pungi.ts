// Pungi's compose status message (topic pungi.compose.status.change): the `msg` body as Fedora publishes it.
// Inbound and upstream-owned, so it stays open: Fedora has added fields over the years and may again.
import { Type, type Static } from '@sinclair/typebox';

/** Statuses seen on the topic; the schema accepts any string so a new pungi status is forwarded, not dead-lettered. */
export const PUNGI_STATUSES = ['STARTED', 'FINISHED', 'FINISHED_INCOMPLETE', 'DOOMED', 'TERMINATED'] as const;
export type PungiStatus = (typeof PUNGI_STATUSES)[number];

/** Only these statuses make compose-resolver plan jobs. */
export const TRIGGER_STATUSES = ['FINISHED', 'FINISHED_INCOMPLETE'] as const;
export type TriggerStatus = (typeof TRIGGER_STATUSES)[number];

export function isTriggerStatus(status: string): status is TriggerStatus {
  return (TRIGGER_STATUSES as readonly string[]).includes(status);
}

export const PungiComposeStatusChange = Type.Object(
  {
    status: Type.String({
      description: `Compose status: ${PUNGI_STATUSES.join(', ')} (others are accepted)`,
    }),
    compose_id: Type.String({ minLength: 1, description: 'Compose id, e.g. Fedora-28-20180425.0' }),
    location: Type.String({ minLength: 1, description: 'URL of the compose directory (holds metadata/)' }),
    release_type: Type.Optional(Type.String({ description: 'productmd release type, e.g. ga' })),
    compose_label: Type.Optional(
      Type.Union([Type.String(), Type.Null()], {
        description: 'Compose label, e.g. RC-20180425.0; null for nightlies',
      }),
    ),
    compose_respin: Type.Optional(
      Type.Integer({ minimum: 0, description: 'Respin of the compose on its date' }),
    ),
    compose_date: Type.Optional(Type.String({ description: 'Compose date, YYYYMMDD' })),
    release_version: Type.Optional(Type.String({ description: 'Release version, e.g. 28 or Rawhide' })),
    compose_type: Type.Optional(Type.String({ description: 'Compose type: production, nightly, test, ci' })),
    release_is_layered: Type.Optional(
      Type.Boolean({ description: 'Whether the release is layered on another' }),
    ),
    release_name: Type.Optional(Type.String({ description: 'Release name, e.g. Fedora-Cloud' })),
    release_short: Type.Optional(Type.String({ description: 'Release short name, e.g. Fedora-Cloud' })),
  },
  {
    $id: 'PungiComposeStatusChange',
    description: 'A pungi compose changed status (the msg body of pungi.compose.status.change)',
    additionalProperties: true,
  },
);
export type PungiComposeStatusChange = Static<typeof PungiComposeStatusChange>;

/** Headers fedmsg-bridge puts on every message it carries into the PUNGI stream. */
export const UPSTREAM_HEADERS = {
  topic: 'Fedora-Topic',
  msgId: 'Fedora-Msg-Id',
  sentAt: 'Fedora-Sent-At',
  source: 'Autocloud-Source',
} as const;
