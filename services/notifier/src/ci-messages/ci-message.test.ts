import { type ImageEvent } from '@autocloud/schemas';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { describe, expect, test } from 'vitest';
import { CI_SCHEMAS } from './ci-schema.js';
import { ciMessagesFor, composeType } from './ci-message.js';

const image: ImageEvent = {
  compose_id: 'Fedora-24-20160420.n.0',
  compose_url: 'http://kojipkgs.fedoraproject.org/compose/Fedora-Cloud-Base-24-20160420.n.0.x86_64.qcow2',
  image_name: 'Fedora-Cloud-Base-24-20160420.n.0',
  status: 'queued',
  job_id: 27,
  release: '24',
  family: 'Base',
  type: 'qcow2',
};
const opts = { env: 'prod', publicUrl: 'https://autocloud.example.org/' };

function ciFor(status: ImageEvent['status'], extra: Partial<ImageEvent> = {}) {
  const body = { ...image, status, ...extra };
  const [message] = ciMessagesFor(
    { subject: `autocloud.image.${status}`, body, eventId: `e-${status}`, at: new Date() },
    opts,
  );
  return message!;
}

function errorsOf(topic: string, body: unknown): string[] {
  const schema = CI_SCHEMAS[topic.replace('org.fedoraproject.prod.', '') as keyof typeof CI_SCHEMAS];
  return [...TypeCompiler.Compile(schema).Errors(body)].map((e) => `${e.path}: ${e.message}`);
}

describe('fedora-ci productmd-compose messages', () => {
  test.each([
    ['queued', 'ci.productmd-compose.test.queued', undefined],
    ['running', 'ci.productmd-compose.test.running', undefined],
    ['success', 'ci.productmd-compose.test.complete', 'passed'],
    ['failed', 'ci.productmd-compose.test.complete', 'failed'],
    ['aborted', 'ci.productmd-compose.test.error', undefined],
  ] as const)('%s → %s, valid against its schema', (status, subject, result) => {
    const m = ciFor(status, status === 'aborted' ? { reason: 'SSH never came up' } : {});
    expect(m.topic).toBe(`org.fedoraproject.prod.${subject}`);
    expect(errorsOf(m.topic, m.body)).toEqual([]);
    const body = m.body as Record<string, Record<string, unknown>>;
    expect(body.test!.result).toBe(result);
    expect(body.run!.url).toBe('https://autocloud.example.org/jobs/27/output');
    expect(body.artifact).toEqual({
      type: 'productmd-compose',
      id: image.compose_id,
      compose_type: 'nightly',
    });
    expect(body.contact).toMatchObject({ name: 'Autocloud' });
    if (status === 'aborted') expect(body.error).toEqual({ reason: 'SSH never came up' });
  });

  test('an aborted job without a reason still has error.reason', () => {
    const m = ciFor('aborted');
    expect(errorsOf(m.topic, m.body)).toEqual([]);
  });

  test('the schemas reject what the standard forbids', () => {
    const m = ciFor('success');
    const body = structuredClone(m.body) as Record<string, Record<string, unknown>>;
    delete body.contact!.email;
    body.test!.result = 'great';
    const paths = new Set(errorsOf(m.topic, body).map((e) => e.split(':')[0]));
    expect(paths).toEqual(new Set(['/contact/email', '/test/result']));
    expect(
      errorsOf('org.fedoraproject.prod.ci.productmd-compose.test.error', ciFor('running').body),
    ).not.toEqual([]);
  });

  test('no CI message for compose events', () => {
    expect(
      ciMessagesFor(
        {
          subject: 'autocloud.compose.queued',
          body: {
            id: 'Fedora-24-20160419.n.1',
            date: '20160419',
            respin: 1,
            type: 'nightly',
            release: '24',
            status: 'queued',
            compose_job_id: 37,
          },
          eventId: 'c',
          at: new Date(),
        },
        opts,
      ),
    ).toEqual([]);
  });

  test('compose type from the compose id', () => {
    expect(composeType('Fedora-Rawhide-20180129.n.0')).toBe('nightly');
    expect(composeType('Fedora-27-20171110.t.1')).toBe('rel-eng');
    expect(composeType('Fedora-Cloud-27-20180317.0')).toBe('rel-eng');
  });
});
