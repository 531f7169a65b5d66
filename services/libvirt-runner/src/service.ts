// libvirt-runner: boots images under libvirt/QEMU and runs their plans over SSH.
import { consumers } from '@autocloud/bus';
import { connectServiceBus, list, type ServiceDefinition } from '@autocloud/service';
import { LibvirtRunnerConfig, libvirtRunnerChecks } from './config.js';

export const libvirtRunnerService: ServiceDefinition<typeof LibvirtRunnerConfig> = {
  name: 'libvirt-runner',
  config: LibvirtRunnerConfig,
  checks: libvirtRunnerChecks,
  async start(ctx) {
    const bus = await connectServiceBus(ctx);
    for (const arch of list(ctx.config.RUNNER_ARCHES)) {
      await bus.ensureConsumer(consumers.runner('libvirt', arch));
    }
  },
};
