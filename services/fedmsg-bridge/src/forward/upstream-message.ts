// One normal form for a message from any of Fedora's buses: fedora-messaging (AMQP), fedmsg (ZeroMQ), datagrepper.
import { createHash } from 'node:crypto';
import { parseJson } from '@autocloud/schemas';

export type Source = 'amqp' | 'zmq' | 'datagrepper';

export interface UpstreamMessage {
  source: Source;
  topic: string;
  /** The message body (fedmsg's `msg`, fedora-messaging's JSON body). */
  body: Record<string, unknown>;
  /** The upstream message id (fedmsg `msg_id`, AMQP `message_id`): the dedup key across sources. */
  msgId: string;
  /** When upstream sent it (ISO 8601), if it says. */
  sentAt: string | undefined;
}

/** Why a message cannot be carried, with its bytes for the dead letter stream. */
export interface Rejection {
  source: Source;
  reason: string;
  data: Uint8Array;
  topic?: string;
  msgId?: string;
}

export type Normalized = { ok: true; message: UpstreamMessage } | { ok: false; rejection: Rejection };

export interface AmqpDelivery {
  content: Uint8Array;
  routingKey: string;
  messageId?: string;
  headers?: Record<string, unknown>;
}

export function fromAmqp(d: AmqpDelivery, maxBytes: number): Normalized {
  const reject = (reason: string): Normalized => ({
    ok: false,
    rejection: { source: 'amqp', reason, data: d.content, topic: d.routingKey, msgId: d.messageId },
  });
  const tooBig = checkSize(d.content, maxBytes);
  if (tooBig) return reject(tooBig);
  const parsed = parseJson(d.content);
  if (!parsed.ok) return reject(parsed.reason);
  const body = asObject(parsed.value, 'body');
  if (typeof body === 'string') return reject(body);
  if (!d.routingKey) return reject('message has no topic (empty routing key)');
  const sentAt = d.headers?.['sent-at'];
  return {
    ok: true,
    message: {
      source: 'amqp',
      topic: d.routingKey,
      body,
      msgId: d.messageId || contentId(d.routingKey, d.content),
      sentAt: typeof sentAt === 'string' ? sentAt : undefined,
    },
  };
}

/** A fedmsg envelope ({topic, msg, msg_id, timestamp, …}) as ZeroMQ carries it and datagrepper serves it. */
export function fromEnvelope(
  source: 'zmq' | 'datagrepper',
  /** The envelope's bytes, or the envelope already parsed (datagrepper pages). */
  raw: unknown,
  maxBytes: number,
  frameTopic?: string,
): Normalized {
  const data = raw instanceof Uint8Array ? raw : new TextEncoder().encode(JSON.stringify(raw));
  const reject = (reason: string, topic?: string, msgId?: string): Normalized => ({
    ok: false,
    rejection: { source, reason, data, topic: topic ?? frameTopic, msgId },
  });
  let value: unknown = raw;
  if (raw instanceof Uint8Array) {
    const tooBig = checkSize(raw, maxBytes);
    if (tooBig) return reject(tooBig);
    const parsed = parseJson(raw);
    if (!parsed.ok) return reject(parsed.reason);
    value = parsed.value;
  }
  const envelope = asObject(value, 'envelope');
  if (typeof envelope === 'string') return reject(envelope);
  const topic = typeof envelope.topic === 'string' && envelope.topic !== '' ? envelope.topic : frameTopic;
  const msgId = typeof envelope.msg_id === 'string' && envelope.msg_id !== '' ? envelope.msg_id : undefined;
  if (!topic) return reject('envelope has no topic', undefined, msgId);
  const body = asObject(envelope.msg, 'envelope field msg');
  if (typeof body === 'string') return reject(body, topic, msgId);
  const ts = envelope.timestamp;
  return {
    ok: true,
    message: {
      source,
      topic,
      body,
      msgId: msgId ?? contentId(topic, data),
      sentAt: typeof ts === 'number' && Number.isFinite(ts) ? new Date(ts * 1000).toISOString() : undefined,
    },
  };
}

function checkSize(bytes: Uint8Array, maxBytes: number): string | undefined {
  return bytes.byteLength > maxBytes
    ? `message is ${bytes.byteLength} bytes, over the ${maxBytes}-byte limit`
    : undefined;
}

function asObject(value: unknown, what: string): Record<string, unknown> | string {
  if (value === undefined) return `${what} is missing`;
  if (value === null) return `${what} is JSON null, not an object`;
  if (Array.isArray(value)) return `${what} is a JSON array, not an object`;
  if (typeof value !== 'object') return `${what} is a JSON ${typeof value}, not an object`;
  return value as Record<string, unknown>;
}

/** A stable id for a message that carries none, so its redeliveries are still recognised. */
function contentId(topic: string, data: Uint8Array): string {
  return `sha256-${createHash('sha256').update(topic).update('\0').update(data).digest('hex').slice(0, 32)}`;
}
