// fedmsg-bridge: carries pungi messages from Fedora's buses into the PUNGI stream.
import { connectServiceBus, type ServiceDefinition } from '@autocloud/service';
import { BridgeConfig, bridgeChecks } from './config.js';

export const bridgeService: ServiceDefinition<typeof BridgeConfig> = {
  name: 'fedmsg-bridge',
  config: BridgeConfig,
  checks: bridgeChecks,
  async start(ctx) {
    await connectServiceBus(ctx);
    const sources = {
      amqp: Boolean(ctx.config.FEDORA_MESSAGING_URL),
      zmq: Boolean(ctx.config.FEDMSG_ENDPOINTS),
      datagrepper: Boolean(ctx.config.DATAGREPPER_URL),
    };
    ctx.log.info({ sources, env: ctx.config.FEDORA_ENV }, 'bridge sources');
  },
};
