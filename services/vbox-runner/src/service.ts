// vbox-runner: tests Vagrant VirtualBox boxes (VirtualBox, or QEMU where VirtualBox cannot run).
import { consumers } from '@autocloud/bus';
import { connectServiceBus, list, type ServiceDefinition } from '@autocloud/service';
import { VboxRunnerConfig, vboxRunnerChecks } from './config.js';

export const vboxRunnerService: ServiceDefinition<typeof VboxRunnerConfig> = {
  name: 'vbox-runner',
  config: VboxRunnerConfig,
  checks: vboxRunnerChecks,
  async start(ctx) {
    const bus = await connectServiceBus(ctx);
    for (const arch of list(ctx.config.RUNNER_ARCHES)) {
      await bus.ensureConsumer(consumers.runner('vbox', arch));
    }
  },
};
