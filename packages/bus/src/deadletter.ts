// Dead letters: what a service could not parse or process, kept with the reason so nothing is silently lost.
import { type JetStreamClient, type PubAck } from '@nats-io/jetstream';
import { DEADLETTER_HEADERS, subjects } from '@autocloud/schemas';
import { publishBytes } from './publish.js';

/** Bodies above this are cut (NATS refuses payloads over its max_payload, 1 MiB by default). */
export const DEADLETTER_MAX_BYTES = 256 * 1024;

export const HEADER_ORIGINAL_SIZE = 'Autocloud-Original-Size';
export const HEADER_TRUNCATED = 'Autocloud-Truncated';

export interface DeadLetter {
  /** The original bytes. */
  data: Uint8Array;
  reason: string;
  /** Unique per original message, so dead-lettering it twice stores it once. */
  msgId: string;
  /** Where it came from: an original subject, a topic, a source. */
  headers?: Record<string, string>;
}

export function publishDeadLetter(js: JetStreamClient, service: string, letter: DeadLetter): Promise<PubAck> {
  const truncated = letter.data.byteLength > DEADLETTER_MAX_BYTES;
  const headers: Record<string, string> = {
    ...letter.headers,
    [DEADLETTER_HEADERS.reason]: oneLine(letter.reason),
    [DEADLETTER_HEADERS.service]: service,
    [HEADER_ORIGINAL_SIZE]: String(letter.data.byteLength),
  };
  if (truncated) headers[HEADER_TRUNCATED] = 'true';
  return publishBytes(
    js,
    service,
    subjects.deadletter(service),
    truncated ? letter.data.subarray(0, DEADLETTER_MAX_BYTES) : letter.data,
    { msgId: `dl.${letter.msgId}`, headers },
  );
}

/** Header values are single lines of bounded length. */
export function oneLine(text: string): string {
  return text.replace(/[\r\n]+/g, ' ').slice(0, 1_000);
}
