// The fedora-messaging destination: each event as org.fedoraproject.<env>.<subject>, waiting a while for the broker.
import { matchesAny, type Destination, type PublicEvent, type PublicSubject } from '../relay/destination.js';
import { BrokerUnavailableError, type FedoraMessagingPublisher } from './publisher.js';
import { autocloudMessage, type OutgoingMessage } from './wire-format.js';

export interface FedoraMessagingDestinationOptions {
  name?: string;
  publisher: FedoraMessagingPublisher;
  env: string;
  subjects: readonly string[];
  /** How long one event waits for a connection before it is handed back to JetStream. */
  waitMs: number;
  /** What to publish for an event; default: the event itself. Empty: nothing for this event. */
  messagesFor?: (event: PublicEvent) => OutgoingMessage[];
}

export function fedoraMessagingDestination(opts: FedoraMessagingDestinationOptions): Destination {
  const messagesFor =
    opts.messagesFor ?? ((e: PublicEvent) => [autocloudMessage(opts.env, e.subject, e.body, e.eventId)]);
  return {
    name: opts.name ?? 'fedora-messaging',
    carries: (subject: PublicSubject) => matchesAny(opts.subjects, subject),
    async deliver(event, signal) {
      const messages = messagesFor(event);
      if (messages.length === 0) return;
      if (!(await opts.publisher.waitUntilConnected(opts.waitMs, signal))) {
        throw new BrokerUnavailableError('fedora-messaging is not reachable');
      }
      for (const message of messages) await opts.publisher.publish(message);
    },
  };
}
