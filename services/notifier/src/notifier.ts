// The notifier assembled from plain dependencies: the configured destinations fed by the durable 'notifier' consumer.
import { consumers, type Bus, type ConsumerHandle } from '@autocloud/bus';
import { list, type ReadinessCheck } from '@autocloud/service';
import { type Logger } from '@autocloud/telemetry';
import { type Registry } from 'prom-client';
import { subjectPatterns, type NotifierConfig } from './config.js';
import { buildDestinations, type Destinations } from './destinations.js';
import { createRelay } from './relay/relay.js';
import { endpointId, webhookDestination } from './webhooks/webhook-destination.js';

export interface NotifierDeps {
  config: NotifierConfig;
  bus: Bus;
  log: Logger;
  metrics: Registry;
  /** The nak delay after a failed delivery (default 5 s). */
  retryDelayMs?: number;
}

export class Notifier {
  private constructor(
    private readonly outputs: Destinations,
    private readonly consumers: ConsumerHandle[],
  ) {}

  static async start(deps: NotifierDeps): Promise<Notifier> {
    const outputs = await buildDestinations(deps.config, deps.log);
    try {
      const relay = createRelay({
        destinations: outputs.destinations,
        metrics: deps.metrics,
        retryDelayMs: deps.retryDelayMs,
      });
      const handles = [await deps.bus.consume(consumers.notifier, relay, { metrics: deps.metrics })];
      handles.push(...(await startWebhooks(deps)));
      deps.log.info(
        { destinations: outputs.destinations.map((d) => d.name), env: deps.config.FEDORA_ENV },
        'relaying public events',
      );
      return new Notifier(outputs, handles);
    } catch (err) {
      await outputs.stop();
      throw err;
    }
  }

  get readinessChecks(): ReadinessCheck[] {
    return this.outputs.readinessChecks;
  }

  /** Stops taking events (in-flight ones finish or are nak'ed), then closes the destinations. */
  async stop(): Promise<void> {
    await Promise.all(this.consumers.map((c) => c.close()));
    await this.outputs.stop();
  }
}

/**
 * One durable consumer per webhook endpoint, so an endpoint that is down retries (with the consumer's exponential
 * backoff) without holding back fedora-messaging or the other endpoints.
 */
async function startWebhooks(deps: NotifierDeps): Promise<ConsumerHandle[]> {
  const { config } = deps;
  const urls = list(config.WEBHOOK_URLS);
  if (urls.length === 0 || !config.WEBHOOK_SECRET) return [];
  const deliveries = await deps.bus.kv('webhookDeliveries');
  const subjects = subjectPatterns(config.WEBHOOK_SUBJECTS);
  const handles: ConsumerHandle[] = [];
  for (const url of urls) {
    const destination = webhookDestination({
      url,
      secret: config.WEBHOOK_SECRET,
      subjects,
      timeoutMs: config.WEBHOOK_TIMEOUT_MS,
      deliveries,
    });
    const spec = {
      ...consumers.notifier,
      durable: `notifier-webhook-${endpointId(url)}`,
      description: `notifier: events to the webhook ${new URL(url).host}`,
    };
    const relay = createRelay({ destinations: [destination], metrics: deps.metrics });
    handles.push(await deps.bus.consume(spec, relay, { metrics: deps.metrics }));
  }
  return handles;
}
