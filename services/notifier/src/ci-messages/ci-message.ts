// One fedora-ci productmd-compose.test.* message per image event, as openQA's Fedora reporter emits them.
import { type ImageEvent } from '@autocloud/schemas';
import { uuidV5 } from '../fedora-messaging/message-id.js';
import { SEVERITY, topicFor, type OutgoingMessage } from '../fedora-messaging/wire-format.js';
import { type PublicEvent } from '../relay/destination.js';
import { type CiSubject } from './ci-schema.js';

export const CI_MESSAGE_VERSION = '1.1.0';

export interface CiMessageOptions {
  env: string;
  /** Base URL of the results web UI. */
  publicUrl: string;
}

/** The fedora-ci compose type from the compose id. */
export function composeType(composeId: string): 'nightly' | 'rel-eng' {
  // fedora-ci/messages knows two kinds: nightlies (Fedora-Rawhide-20180129.n.0) and everything release
  // engineering composes by hand (candidates, test composes).
  return /\.n\.\d+$/.test(composeId) ? 'nightly' : 'rel-eng';
}

export function ciSubjectFor(status: ImageEvent['status']): CiSubject {
  switch (status) {
    case 'queued':
      return 'ci.productmd-compose.test.queued';
    case 'running':
      return 'ci.productmd-compose.test.running';
    case 'aborted':
      return 'ci.productmd-compose.test.error';
    default:
      return 'ci.productmd-compose.test.complete';
  }
}

export function ciBody(
  event: ImageEvent,
  opts: CiMessageOptions,
  generatedAt = new Date(),
): Record<string, unknown> {
  const base = opts.publicUrl.replace(/\/+$/, '');
  const arch = event.arch ?? 'x86_64';
  const pipeline = `autocloud.${event.compose_id}.${event.image_name}.${arch}.${event.type}`;
  const body: Record<string, unknown> = {
    contact: {
      name: 'Autocloud',
      team: 'Fedora Cloud SIG',
      docs: 'https://fedoraproject.org/wiki/Autocloud',
      email: 'cloud@lists.fedoraproject.org',
      url: base,
    },
    run: {
      url: `${base}/jobs/${event.job_id}/output`,
      log: `${base}/jobs/${event.job_id}/output`,
      id: event.job_id,
    },
    artifact: {
      type: 'productmd-compose',
      id: event.compose_id,
      compose_type: composeType(event.compose_id),
    },
    pipeline: { id: pipeline, name: pipeline },
    system: [
      {
        architecture: arch,
        provider: event.backend ?? 'autocloud',
        os: `fedora-${event.release.toLowerCase()}`,
        ...(event.subvariant ? { variant: event.subvariant } : {}),
      },
    ],
    test: {
      category: 'functional',
      namespace: 'autocloud',
      type: `${event.family.toLowerCase()}.${event.type}`,
      docs: 'https://fedoraproject.org/wiki/Autocloud',
      ...(event.status === 'success' ? { result: 'passed' } : {}),
      ...(event.status === 'failed' ? { result: 'failed' } : {}),
      ...(event.status === 'queued' ? { lifetime: 240 } : {}),
    },
    generated_at: generatedAt.toISOString(),
    version: CI_MESSAGE_VERSION,
  };
  if (event.status === 'failed' && event.reason) (body.test as Record<string, unknown>).note = event.reason;
  if (event.status === 'aborted') body.error = { reason: event.reason || 'aborted' };
  return body;
}

/** The CI message for an image event; none for compose events. */
export function ciMessagesFor(event: PublicEvent, opts: CiMessageOptions): OutgoingMessage[] {
  if (!event.subject.startsWith('autocloud.image.')) return [];
  const body = event.body as ImageEvent;
  const subject = ciSubjectFor(body.status);
  const topic = topicFor(opts.env, subject);
  return [
    {
      topic,
      body: ciBody(body, opts),
      messageId: uuidV5(`${topic}\n${event.eventId}`),
      schema: 'base.message',
      severity: subject.endsWith('.error') ? SEVERITY.WARNING : SEVERITY.INFO,
      sentAt: new Date(),
    },
  ];
}
