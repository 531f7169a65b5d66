// notifier: announces autocloud's public events on Fedora's buses.
import { connectServiceBus, type ServiceDefinition } from '@autocloud/service';
import { NotifierConfig, notifierChecks } from './config.js';
import { Notifier } from './notifier.js';

export const notifierService: ServiceDefinition<typeof NotifierConfig> = {
  name: 'notifier',
  config: NotifierConfig,
  checks: notifierChecks,
  async start(ctx) {
    const bus = await connectServiceBus(ctx);
    const notifier = await Notifier.start({ config: ctx.config, bus, log: ctx.log, metrics: ctx.metrics });
    ctx.onShutdown('notifier', () => notifier.stop());
    for (const check of notifier.readinessChecks) ctx.addReadinessCheck(check);
  },
};
