// fedora-messaging on the local RabbitMQ, for tests: publishing with the real wire format, and a queue that collects
// what arrives (the stand-in for Fedora's public broker, DESIGN §11).
import { randomUUID } from 'node:crypto';
import { connect, type ChannelModel, type ConsumeMessage } from 'amqplib';

export const PUNGI_TOPIC = 'org.fedoraproject.prod.pungi.compose.status.change';

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
    channel.publish('amq.topic', opts.topic ?? PUNGI_TOPIC, content, {
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

export interface ReceivedMessage {
  routingKey: string;
  body: Record<string, unknown>;
  properties: ConsumeMessage['properties'];
}

/** A durable queue bound to `bindingKey` on amq.topic, collecting every message into `received`. */
export async function collectQueue(url: string, queue: string, bindingKey: string) {
  const received: ReceivedMessage[] = [];
  let model: ChannelModel | undefined;
  const setup = await connect(url);
  const channel = await setup.createChannel();
  await channel.assertQueue(queue, { durable: true });
  await channel.bindQueue(queue, 'amq.topic', bindingKey);
  await setup.close();
  return {
    received,
    /** Starts consuming (again, after a broker restart). */
    async start() {
      model = await connect(url);
      const ch = await model.createChannel();
      await ch.consume(
        queue,
        (msg) => {
          if (!msg) return;
          received.push({
            routingKey: msg.fields.routingKey,
            body: JSON.parse(msg.content.toString('utf8')) as Record<string, unknown>,
            properties: msg.properties,
          });
          ch.ack(msg);
        },
        { noAck: false },
      );
    },
    async close() {
      await model?.close().catch(() => undefined);
    },
  };
}
