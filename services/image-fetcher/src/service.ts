// image-fetcher: downloads and verifies images, then hands jobs to the runners.
import { consumers } from '@autocloud/bus';
import { HostAllowList } from '@autocloud/fetch';
import { connectServiceBus, type ServiceDefinition } from '@autocloud/service';
import { FetcherConfig, fetcherChecks } from './config.js';
import { Fetcher } from './fetcher.js';
import { ImageStore } from './store/image-store.js';

export const fetcherService: ServiceDefinition<typeof FetcherConfig> = {
  name: 'image-fetcher',
  config: FetcherConfig,
  checks: fetcherChecks,
  async start(ctx) {
    const { config, log } = ctx;
    const bus = await connectServiceBus(ctx);
    const store = new ImageStore(bus, {
      maxBytes: config.IMAGE_STORE_MAX_BYTES,
      maxAgeMs: config.IMAGE_STORE_MAX_AGE_DAYS * 86_400_000,
      log,
    });
    await store.evict().catch((err: unknown) => log.warn({ err }, 'eviction failed'));
    const fetcher = new Fetcher({
      bus,
      store,
      allow: HostAllowList.parse(config.ALLOWED_HOSTS),
      config,
      log,
      metrics: ctx.metrics,
    });
    await bus.consume(consumers.imageFetcher, (d, c) => fetcher.handle(d.body, c), {
      concurrency: config.FETCH_CONCURRENCY,
      metrics: ctx.metrics,
    });
  },
};
