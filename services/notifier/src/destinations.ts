// Builds the configured destinations (fedora-messaging with its CI messages, fedmsg) and their lifecycle.
import { type ReadinessCheck } from '@autocloud/service';
import { type Logger } from '@autocloud/telemetry';
import { ciMessagesFor } from './ci-messages/ci-message.js';
import { subjectPatterns, type NotifierConfig } from './config.js';
import { fedoraMessagingDestination } from './fedora-messaging/destination.js';
import { FedoraMessagingPublisher } from './fedora-messaging/publisher.js';
import { FedmsgPublisher } from './fedmsg/publisher.js';
import { type Destination } from './relay/destination.js';

export interface Destinations {
  destinations: Destination[];
  readinessChecks: ReadinessCheck[];
  stop(): Promise<void>;
}

export async function buildDestinations(config: NotifierConfig, log: Logger): Promise<Destinations> {
  const destinations: Destination[] = [];
  const readinessChecks: ReadinessCheck[] = [];
  const stops: (() => Promise<void> | void)[] = [];
  const env = config.FEDORA_ENV;

  if (config.FEDORA_MESSAGING_URL) {
    const publisher = new FedoraMessagingPublisher({
      url: config.FEDORA_MESSAGING_URL,
      tls: {
        certFile: config.FEDORA_MESSAGING_CERT_FILE,
        keyFile: config.FEDORA_MESSAGING_KEY_FILE,
        caFile: config.FEDORA_MESSAGING_CA_FILE,
      },
      log: log.child({ destination: 'fedora-messaging' }),
    });
    publisher.start();
    stops.push(() => publisher.stop());
    readinessChecks.push({
      name: 'fedora-messaging',
      check: () => {
        if (!publisher.connected) throw new Error('not connected to fedora-messaging');
      },
    });
    const subjects = subjectPatterns(config.FEDORA_MESSAGING_SUBJECTS);
    const common = { publisher, env, subjects, waitMs: config.FEDORA_MESSAGING_WAIT_MS };
    destinations.push(fedoraMessagingDestination(common));
    if (config.CI_MESSAGES) {
      const ci = { env, publicUrl: config.PUBLIC_URL };
      destinations.push(
        fedoraMessagingDestination({
          ...common,
          name: 'fedora-ci',
          messagesFor: (e) => ciMessagesFor(e, ci),
        }),
      );
    }
  }

  if (config.FEDMSG_PUBLISH_ENDPOINT) {
    const fedmsg = new FedmsgPublisher({
      endpoint: config.FEDMSG_PUBLISH_ENDPOINT,
      env,
      subjects: subjectPatterns(config.FEDMSG_SUBJECTS),
      log: log.child({ destination: 'fedmsg' }),
    });
    await fedmsg.start();
    stops.push(() => fedmsg.stop());
    destinations.push(fedmsg);
  }

  return {
    destinations,
    readinessChecks,
    stop: async () => {
      for (const stop of stops.reverse()) await stop();
    },
  };
}
