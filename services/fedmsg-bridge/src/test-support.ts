// Test helpers for the bridge: fedora-messaging publishing with the real wire format, and reading what arrived.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { connect } from 'amqplib';

export const TOPIC = 'org.fedoraproject.prod.pungi.compose.status.change';

const fixtures = new URL('../../../../shared/fixtures/fedmsg/', import.meta.url);

export function fixtureEnvelope(name: 'pungi-2016-datagrepper.json' | 'pungi-2018-fedmsg.json') {
  return JSON.parse(readFileSync(new URL(name, fixtures), 'utf8')) as {
    topic: string;
    msg_id: string;
    timestamp: number;
    msg: Record<string, unknown>;
    i: number;
  };
}

/** A pungi body like the 2018 fixture's, for a compose of our choosing. */
export function pungiBody(composeId: string, status = 'FINISHED'): Record<string, unknown> {
  return { ...fixtureEnvelope('pungi-2018-fedmsg.json').msg, compose_id: composeId, status };
}

/** Publishes as fedora-messaging does: amq.topic, routing key = topic, JSON body, the standard properties. */
export async function publishFedoraMessage(
  url: string,
  body: Record<string, unknown> | Buffer,
  opts: { messageId?: string; topic?: string; sentAt?: Date } = {},
): Promise<string> {
  const messageId = opts.messageId ?? randomUUID();
  const model = await connect(url);
  try {
    const channel = await model.createConfirmChannel();
    const content = Buffer.isBuffer(body) ? body : Buffer.from(JSON.stringify(body));
    channel.publish('amq.topic', opts.topic ?? TOPIC, content, {
      contentType: 'application/json',
      contentEncoding: 'utf-8',
      deliveryMode: 2,
      messageId,
      headers: {
        fedora_messaging_schema: 'base.message',
        fedora_messaging_severity: 20,
        'sent-at': (opts.sentAt ?? new Date()).toISOString(),
        fedora_messaging_user_releng: true,
      },
    });
    await channel.waitForConfirms();
  } finally {
    await model.close();
  }
  return messageId;
}

export function envelopeFor(body: Record<string, unknown>, msgId: string, at: Date) {
  return { topic: TOPIC, msg_id: msgId, timestamp: at.getTime() / 1000, i: 1, username: 'root', msg: body };
}
