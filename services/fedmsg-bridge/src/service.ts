// fedmsg-bridge: carries pungi messages from Fedora's buses into the PUNGI stream.
import { connectServiceBus, type ServiceDefinition } from '@autocloud/service';
import { Bridge } from './bridge.js';
import { BridgeConfig, bridgeChecks } from './config.js';

export interface BridgeRunOptions {
  /** Backfill from this time instead of the stored cursor. */
  since?: Date;
  /** Backfill once and exit (no live sources). */
  once?: boolean;
}

export function bridgeService(run: BridgeRunOptions = {}): ServiceDefinition<typeof BridgeConfig> {
  return {
    name: 'fedmsg-bridge',
    config: BridgeConfig,
    checks: bridgeChecks,
    async start(ctx) {
      const bus = await connectServiceBus(ctx);
      const bridge = await Bridge.create({ config: ctx.config, bus, log: ctx.log, metrics: ctx.metrics });
      ctx.onShutdown('bridge', () => bridge.stop());
      if (run.once) {
        if (!ctx.config.DATAGREPPER_URL) throw new Error('--once needs DATAGREPPER_URL: it only backfills');
        void bridge.backfill(run.since).then(
          () => ctx.requestStop('backfill finished'),
          () => ctx.requestStop('backfill failed', 1),
        );
        return;
      }
      ctx.addReadinessCheck({ name: 'fedora-messaging', check: () => bridge.checkReady() });
      bridge.start(run.since);
      ctx.log.info({ sources: bridge.sources, env: ctx.config.FEDORA_ENV }, 'bridging');
    },
  };
}
