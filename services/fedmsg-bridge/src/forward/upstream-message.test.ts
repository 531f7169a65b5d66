import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { fromAmqp, fromEnvelope } from './upstream-message.js';

const fixtures = new URL('../../../../../shared/fixtures/fedmsg/', import.meta.url);
const envelope2016 = readFileSync(new URL('pungi-2016-datagrepper.json', fixtures));
const envelope2018 = JSON.parse(readFileSync(new URL('pungi-2018-fedmsg.json', fixtures), 'utf8')) as {
  msg: object;
  topic: string;
};
const MAX = 1024 * 1024;
const topic = 'org.fedoraproject.prod.pungi.compose.status.change';

describe('fromEnvelope', () => {
  test('reads the fedmsg envelope of the 2016 fixture', () => {
    const n = fromEnvelope('zmq', envelope2016, MAX, topic);
    expect(n).toMatchObject({
      ok: true,
      message: {
        source: 'zmq',
        topic,
        msgId: '2016-d6183c83-1eed-4206-b1ca-33954e0873cf',
        sentAt: '2016-04-19T13:18:08.000Z',
        body: { status: 'FINISHED_INCOMPLETE', compose_id: 'Fedora-24-20160419.n.1' },
      },
    });
  });

  test('takes an already parsed envelope (datagrepper pages)', () => {
    const n = fromEnvelope('datagrepper', envelope2018, MAX);
    expect(n.ok && n.message.body).toEqual(envelope2018.msg);
  });

  test.each([
    ['not JSON', Buffer.from('{"topic":'), /not JSON/],
    ['a JSON array', Buffer.from('[1,2]'), /array, not an object/],
    ['invalid UTF-8', Buffer.from([0x7b, 0xff, 0x7d]), /UTF-8/],
    ['no msg', Buffer.from(JSON.stringify({ topic, msg_id: 'x' })), /envelope field msg is missing/],
    ['msg is a string', Buffer.from(JSON.stringify({ topic, msg: 'hello' })), /msg is a JSON string/],
  ])('rejects %s with a reason', (_what, bytes, reason) => {
    const n = fromEnvelope('zmq', bytes, MAX, topic);
    expect(n.ok).toBe(false);
    if (!n.ok) {
      expect(n.rejection.reason).toMatch(reason);
      expect(Buffer.from(n.rejection.data).equals(bytes)).toBe(true);
    }
  });

  test('rejects an envelope without a topic when the frame has none either', () => {
    const n = fromEnvelope('datagrepper', { msg: {}, msg_id: 'a' }, MAX);
    expect(!n.ok && n.rejection.reason).toBe('envelope has no topic');
  });

  test('rejects a message over the size limit before parsing it', () => {
    const n = fromEnvelope('zmq', Buffer.alloc(2048, 0x61), 1024, topic);
    expect(!n.ok && n.rejection.reason).toMatch(/2048 bytes, over the 1024-byte limit/);
  });
});

describe('fromAmqp', () => {
  const body = Buffer.from(JSON.stringify(envelope2018.msg));

  test('reads the fedora-messaging wire format', () => {
    const n = fromAmqp(
      {
        content: body,
        routingKey: topic,
        messageId: 'a1b2',
        headers: { 'sent-at': '2018-03-17T07:25:46+00:00' },
      },
      MAX,
    );
    expect(n).toMatchObject({
      ok: true,
      message: { msgId: 'a1b2', sentAt: '2018-03-17T07:25:46+00:00', topic },
    });
  });

  test('a message without message_id gets a stable id from its content', () => {
    const a = fromAmqp({ content: body, routingKey: topic }, MAX);
    const b = fromAmqp({ content: body, routingKey: topic }, MAX);
    expect(a.ok && a.message.msgId).toMatch(/^sha256-/);
    expect(a.ok && a.message.msgId).toBe(b.ok && b.message.msgId);
  });

  test('rejects an empty routing key', () => {
    const n = fromAmqp({ content: body, routingKey: '' }, MAX);
    expect(!n.ok && n.rejection.reason).toMatch(/no topic/);
  });
});
