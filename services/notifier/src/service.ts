// notifier: announces autocloud's public events on Fedora's buses.
import { consumers } from '@autocloud/bus';
import { connectServiceBus, type ServiceDefinition } from '@autocloud/service';
import { NotifierConfig, notifierChecks } from './config.js';

export const notifierService: ServiceDefinition<typeof NotifierConfig> = {
  name: 'notifier',
  config: NotifierConfig,
  checks: notifierChecks,
  async start(ctx) {
    const bus = await connectServiceBus(ctx);
    await bus.ensureConsumer(consumers.notifier);
  },
};
