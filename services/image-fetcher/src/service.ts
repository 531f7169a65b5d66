// image-fetcher: downloads and verifies images, then hands jobs to the runners.
import { consumers } from '@autocloud/bus';
import { connectServiceBus, type ServiceDefinition } from '@autocloud/service';
import { FetcherConfig, fetcherChecks } from './config.js';

export const fetcherService: ServiceDefinition<typeof FetcherConfig> = {
  name: 'image-fetcher',
  config: FetcherConfig,
  checks: fetcherChecks,
  async start(ctx) {
    const bus = await connectServiceBus(ctx);
    await bus.ensureConsumer(consumers.imageFetcher);
  },
};
