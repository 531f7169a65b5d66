// fedora-messaging's wire format for our events: topic, JSON body, and the properties and headers its consumers read.
import { type Options } from 'amqplib';
import { uuidV5 } from './message-id.js';

/** fedora-messaging severities (Python logging levels). */
export const SEVERITY = { DEBUG: 10, INFO: 20, WARNING: 30, ERROR: 40 } as const;

export interface OutgoingMessage {
  /** Full topic, also the routing key on amq.topic. */
  topic: string;
  body: unknown;
  /** Stable across retries of one event. */
  messageId: string;
  schema: string;
  severity: number;
  sentAt: Date;
}

export function topicFor(env: string, subject: string): string {
  return `org.fedoraproject.${env}.${subject}`;
}

/** The fedora-messaging schema name an autocloud subject is published under. */
export function schemaFor(subject: string): string {
  return subject.startsWith('autocloud.compose.') ? 'autocloud.compose.v1' : 'autocloud.image.v1';
}

export function severityFor(subject: string): number {
  return /\.(failed|aborted)$/.test(subject) ? SEVERITY.WARNING : SEVERITY.INFO;
}

/** An autocloud event as fedora-messaging publishes it; `eventId` is its Nats-Msg-Id. */
export function autocloudMessage(
  env: string,
  subject: string,
  body: unknown,
  eventId: string,
  sentAt = new Date(),
): OutgoingMessage {
  return {
    topic: topicFor(env, subject),
    body,
    messageId: uuidV5(`${topicFor(env, subject)}\n${eventId}`),
    schema: schemaFor(subject),
    severity: severityFor(subject),
    sentAt,
  };
}

export function amqpPublishOptions(message: OutgoingMessage): Options.Publish {
  return {
    contentType: 'application/json',
    contentEncoding: 'utf-8',
    deliveryMode: 2,
    messageId: message.messageId,
    timestamp: Math.floor(message.sentAt.getTime() / 1000),
    headers: {
      fedora_messaging_schema: message.schema,
      fedora_messaging_severity: message.severity,
      'sent-at': message.sentAt.toISOString(),
    },
  };
}
