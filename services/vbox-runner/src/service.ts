// vbox-runner: tests Vagrant VirtualBox boxes (VirtualBox, or QEMU where VirtualBox cannot run).
import { startRunner } from '@autocloud/runner-core';
import { type ServiceDefinition } from '@autocloud/service';
import { VboxRunnerConfig, vboxRunnerChecks } from './config.js';
import { chooseBackend } from './hypervisor.js';

export const vboxRunnerService: ServiceDefinition<typeof VboxRunnerConfig> = {
  name: 'vbox-runner',
  config: VboxRunnerConfig,
  checks: vboxRunnerChecks,
  async start(ctx) {
    await startRunner(ctx, 'vbox', (workRoot, cacheDir) =>
      chooseBackend(ctx.config, workRoot, cacheDir, ctx.log),
    );
  },
};
