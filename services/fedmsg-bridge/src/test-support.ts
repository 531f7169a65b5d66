// Test helpers for the bridge: fedora-messaging publishing with the real wire format, and reading what arrived.
import { readFileSync } from 'node:fs';

import { PUNGI_TOPIC } from '@autocloud/testing';

export { publishFedoraMessage, PUNGI_TOPIC as TOPIC } from '@autocloud/testing';

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

export function envelopeFor(body: Record<string, unknown>, msgId: string, at: Date) {
  return {
    topic: PUNGI_TOPIC,
    msg_id: msgId,
    timestamp: at.getTime() / 1000,
    i: 1,
    username: 'root',
    msg: body,
  };
}
