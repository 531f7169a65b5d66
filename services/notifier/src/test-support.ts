// Test helpers for the notifier: public event bodies built like the original fixtures; the RabbitMQ queue that
// collects what the notifier published is @autocloud/testing's collectQueue.
import { readFileSync } from 'node:fs';
import { type ImageEvent, type SubjectMap } from '@autocloud/schemas';
import { type PublicSubject } from './relay/destination.js';

const fixtures = new URL('../../../../shared/fixtures/autocloud-messages/', import.meta.url);

type OriginalBodies = Record<string, Record<string, unknown>>;

export function originalBodies(): OriginalBodies {
  const all = JSON.parse(readFileSync(new URL('original-bodies.json', fixtures), 'utf8')) as OriginalBodies;
  delete all._about;
  return all;
}

/** The original body a subject's events must stay compatible with (image events share one shape). */
export function originalBodyFor(subject: PublicSubject): Record<string, unknown> {
  const bodies = originalBodies();
  return bodies[subject] ?? bodies['autocloud.image.queued']!;
}

/** A body for `subject` built like the fixture's, plus fields the rewrite adds. */
export function eventBody<S extends PublicSubject>(subject: S, jobId = 27): SubjectMap[S] {
  const original = originalBodyFor(subject);
  if (subject.startsWith('autocloud.compose.')) return { ...original } as SubjectMap[S];
  const status = subject.split('.').at(-1) as ImageEvent['status'];
  const body: ImageEvent = {
    ...(original as unknown as ImageEvent),
    status,
    job_id: jobId,
    arch: 'x86_64',
    subvariant: 'Cloud_Base',
    backend: 'libvirt',
    compose_job_id: 37,
    ...(status === 'failed' || status === 'aborted' ? { reason: `the job ${status}` } : {}),
  };
  return body as SubjectMap[S];
}

export function typeOf(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
}

export { collectQueue, type ReceivedMessage } from '@autocloud/testing';
