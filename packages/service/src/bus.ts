// Connects a service to NATS the same way everywhere: topology declared, readiness and shutdown wired.
import { Bus } from '@autocloud/bus';
import { type CommonConfig } from './config.js';
import { type ServiceContext } from './lifecycle.js';

export async function connectServiceBus(ctx: ServiceContext<CommonConfig>): Promise<Bus> {
  const bus = await Bus.connect({
    servers: ctx.config.NATS_URL,
    service: ctx.name,
    log: ctx.log,
    signal: ctx.signal,
    topology: { replicas: ctx.config.NATS_STREAM_REPLICAS },
  });
  ctx.onShutdown('nats', () => bus.close());
  ctx.addReadinessCheck({ name: 'nats', check: () => bus.ping() });
  await bus.ensureTopology();
  return bus;
}
