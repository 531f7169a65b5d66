import { describe, expect, test } from 'vitest';
import { uuidV5 } from './message-id.js';
import { amqpPublishOptions, autocloudMessage, severityFor } from './wire-format.js';

describe('fedora-messaging wire format', () => {
  test('uuidV5 matches the RFC 4122 reference (www.example.com in the DNS namespace)', () => {
    expect(uuidV5('www.example.com', '6ba7b810-9dad-11d1-80b4-00c04fd430c8')).toBe(
      '2ed6657d-e927-568b-95e1-2665a8aea6a2',
    );
  });

  test('the message id is stable per event and differs between events', () => {
    const a = autocloudMessage('prod', 'autocloud.image.success', {}, 'ev-1');
    expect(autocloudMessage('prod', 'autocloud.image.success', { x: 1 }, 'ev-1').messageId).toBe(a.messageId);
    expect(autocloudMessage('prod', 'autocloud.image.success', {}, 'ev-2').messageId).not.toBe(a.messageId);
    expect(autocloudMessage('stg', 'autocloud.image.success', {}, 'ev-1').messageId).not.toBe(a.messageId);
  });

  test('topic, schema, severity and properties', () => {
    const sentAt = new Date('2026-11-24T10:00:00.000Z');
    const m = autocloudMessage('stg', 'autocloud.compose.complete', { id: 'x' }, 'ev', sentAt);
    expect(m.topic).toBe('org.fedoraproject.stg.autocloud.compose.complete');
    expect(amqpPublishOptions(m)).toMatchObject({
      contentType: 'application/json',
      contentEncoding: 'utf-8',
      deliveryMode: 2,
      messageId: m.messageId,
      headers: {
        fedora_messaging_schema: 'autocloud.compose.v1',
        fedora_messaging_severity: 20,
        'sent-at': '2026-11-24T10:00:00.000Z',
      },
    });
    expect(severityFor('autocloud.image.failed')).toBe(30);
    expect(severityFor('autocloud.image.aborted')).toBe(30);
    expect(severityFor('autocloud.image.success')).toBe(20);
  });
});
