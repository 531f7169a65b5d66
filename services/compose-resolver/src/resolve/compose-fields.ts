// The compose fields of autocloud.compose.resolved (release, date, respin, type, label). They come from
// composeinfo.json; when it cannot be read (the message is still recorded), from the message and the compose id.
import { type PungiComposeStatusChange } from '@autocloud/schemas';
import { type ComposeMetadata } from '../metadata/metadata.client.js';
import { parseComposeId } from '../productmd/compose-id.js';
import { type ComposeInfo } from '../productmd/productmd.schema.js';

export interface ComposeFields {
  release: string;
  date: string;
  respin: number;
  type: string;
  label: string | null;
}

export function composeFields(
  composeId: string,
  from: { message?: PungiComposeStatusChange; info?: ComposeInfo },
  now: Date = new Date(),
): ComposeFields {
  const parsed = parseComposeId(composeId);
  const message = from.message;
  const info = from.info?.payload;
  const messageDate = /^\d{8}$/.test(message?.compose_date ?? '') ? message?.compose_date : undefined;
  return {
    // The message's release_version wins: pungi knows what it built ("Rawhide" included).
    release: message?.release_version || info?.release.version || parsed?.version || '',
    date:
      info?.compose.date ?? messageDate ?? parsed?.date ?? now.toISOString().slice(0, 10).replaceAll('-', ''),
    respin: info?.compose.respin ?? message?.compose_respin ?? parsed?.respin ?? 0,
    type: info?.compose.type ?? message?.compose_type ?? parsed?.type ?? 'unknown',
    label: info ? (info.compose.label ?? null) : (message?.compose_label ?? null),
  };
}

/** The metadata must describe the compose the message names: a `latest-…` location may have moved on already. */
export function composeIdMismatch(composeId: string, metadata: ComposeMetadata): string | undefined {
  for (const [file, id] of [
    ['composeinfo.json', metadata.composeinfo.payload.compose.id],
    ['images.json', metadata.images.payload.compose.id],
  ] as const) {
    if (id !== composeId) {
      return `metadata/${file} describes compose ${id}, not ${composeId}: the location holds another compose`;
    }
  }
  return undefined;
}
