// Carries a normalised upstream message into NATS: subject from the topic, Nats-Msg-Id from the upstream id, the
// source in headers. What cannot be carried goes to the dead letter stream with the reason; nothing is dropped.
import { createHash } from 'node:crypto';
import { type Bus } from '@autocloud/bus';
import { entryFor, UPSTREAM_HEADERS, validator, type Subject, type SubjectMap } from '@autocloud/schemas';
import { type Logger } from '@autocloud/telemetry';
import { Counter, type Registry } from 'prom-client';
import { type BackfillCursor } from './backfill-cursor.js';
import { type Normalized, type Rejection, type Source, type UpstreamMessage } from './upstream-message.js';

export type Outcome = 'forwarded' | 'duplicate' | 'deadlettered';

export interface ForwarderDeps {
  bus: Bus;
  /** FEDORA_ENV: topics are org.fedoraproject.<env>.<subject>. */
  env: string;
  log: Logger;
  metrics: Registry;
  cursor: BackfillCursor;
}

export class Forwarder {
  private readonly prefix: string;
  private readonly received: Counter<'source'>;
  private readonly outcomes: Counter<'source' | 'outcome'>;

  constructor(private readonly deps: ForwarderDeps) {
    this.prefix = `org.fedoraproject.${deps.env}.`;
    this.received = new Counter({
      name: 'autocloud_bridge_received_total',
      help: 'Upstream messages received, per source',
      labelNames: ['source'],
      registers: [deps.metrics],
    });
    this.outcomes = new Counter({
      name: 'autocloud_bridge_messages_total',
      help: 'Upstream messages per source and outcome (forwarded, duplicate, deadlettered)',
      labelNames: ['source', 'outcome'],
      registers: [deps.metrics],
    });
  }

  /** Resolves once the message is stored in JetStream (or dead-lettered); throws when NATS cannot take it now. */
  async forward(normalized: Normalized, source: Source): Promise<Outcome> {
    this.received.inc({ source });
    const outcome = normalized.ok
      ? await this.carry(normalized.message)
      : await this.deadLetter(normalized.rejection);
    this.outcomes.inc({ source, outcome });
    return outcome;
  }

  private async carry(m: UpstreamMessage): Promise<Outcome> {
    if (!m.topic.startsWith(this.prefix)) {
      return this.deadLetter(reject(m, `topic ${m.topic} is not in environment ${this.deps.env}`));
    }
    const subject = m.topic.slice(this.prefix.length);
    const entry = entryFor(subject);
    if (entry?.stream !== 'PUNGI') {
      return this.deadLetter(
        reject(m, `topic ${m.topic} is not carried by the bridge (only pungi.> topics)`),
      );
    }
    const errors = validator(entry.schema).errors(m.body);
    if (errors.length > 0) {
      return this.deadLetter(reject(m, `invalid ${String(entry.schema.$id)}: ${errors.join('; ')}`));
    }
    const headers: Record<string, string> = {
      [UPSTREAM_HEADERS.topic]: m.topic,
      [UPSTREAM_HEADERS.msgId]: m.msgId,
      [UPSTREAM_HEADERS.source]: m.source,
    };
    if (m.sentAt) headers[UPSTREAM_HEADERS.sentAt] = m.sentAt;
    const ack = await this.deps.bus.publish(subject as Subject, m.body as SubjectMap[Subject], {
      msgId: m.msgId,
      headers,
    });
    await this.deps.cursor.advance(m.sentAt);
    this.deps.log.info(
      { source: m.source, topic: m.topic, msg_id: m.msgId, seq: ack.seq, duplicate: ack.duplicate },
      ack.duplicate ? 'already carried' : 'carried',
    );
    return ack.duplicate ? 'duplicate' : 'forwarded';
  }

  private async deadLetter(r: Rejection): Promise<Outcome> {
    const headers: Record<string, string> = { [UPSTREAM_HEADERS.source]: r.source };
    if (r.topic) headers[UPSTREAM_HEADERS.topic] = r.topic;
    if (r.msgId) headers[UPSTREAM_HEADERS.msgId] = r.msgId;
    await this.deps.bus.deadLetter({
      data: r.data,
      reason: r.reason,
      msgId: `${r.source}.${r.msgId ?? contentKey(r.data)}`,
      headers,
    });
    this.deps.log.warn(
      { source: r.source, topic: r.topic, msg_id: r.msgId, reason: r.reason },
      'dead-lettered',
    );
    return 'deadlettered';
  }
}

function reject(m: UpstreamMessage, reason: string): Rejection {
  return {
    source: m.source,
    reason,
    data: new TextEncoder().encode(JSON.stringify(m.body)),
    topic: m.topic,
    msgId: m.msgId,
  };
}

/** Identical garbage delivered twice is recorded once. */
function contentKey(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex').slice(0, 32);
}
