// compose-resolver: turns finished composes into planned jobs.
import { consumers } from '@autocloud/bus';
import { connectServiceBus, type ServiceDefinition } from '@autocloud/service';
import { ResolverConfig, resolverChecks } from './config.js';

export const resolverService: ServiceDefinition<typeof ResolverConfig> = {
  name: 'compose-resolver',
  config: ResolverConfig,
  checks: resolverChecks,
  async start(ctx) {
    const bus = await connectServiceBus(ctx);
    await bus.ensureConsumer(consumers.composeResolver);
  },
};
