// libvirt-runner: boots images under libvirt/QEMU and runs their plans over SSH.
import { LibvirtBackend } from '@autocloud/libvirt';
import { BoxCache, startRunner } from '@autocloud/runner-core';
import { type ServiceDefinition } from '@autocloud/service';
import { LibvirtRunnerConfig, libvirtRunnerChecks } from './config.js';

export const libvirtRunnerService: ServiceDefinition<typeof LibvirtRunnerConfig> = {
  name: 'libvirt-runner',
  config: LibvirtRunnerConfig,
  checks: libvirtRunnerChecks,
  async start(ctx) {
    const { config, log } = ctx;
    await startRunner(ctx, 'libvirt', (workRoot, cacheDir) =>
      LibvirtBackend.create({
        uri: config.LIBVIRT_URI,
        domainType: config.LIBVIRT_DOMAIN_TYPE,
        runner: config.RUNNER_NAME,
        workRoot,
        cacheDir,
        boxes: new BoxCache({ cacheDir }),
        network: config.LIBVIRT_NETWORK,
        log,
      }),
    );
  },
};
