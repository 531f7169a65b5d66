// Which hypervisor tests the boxes on this host: VirtualBox when it is there and works; otherwise (a Kubernetes
// pod, a KVM host, a CI machine) QEMU through the libvirt backend, booting the box's own disk so its contents are
// still tested. The job's `hypervisor` field records which one ran it.
import { LibvirtBackend } from '@autocloud/libvirt';
import { BackendError, BoxCache, type Backend } from '@autocloud/runner-core';
import { VBoxManage, VirtualBoxBackend } from '@autocloud/vbox';
import { type Logger } from '@autocloud/telemetry';
import { type VboxRunnerConfig } from './config.js';

export async function chooseBackend(
  config: VboxRunnerConfig,
  workRoot: string,
  cacheDir: string,
  log: Logger,
): Promise<Backend> {
  const boxes = new BoxCache({ cacheDir });
  const vboxManage = new VBoxManage({ path: config.VBOXMANAGE });
  let use = config.VBOX_HYPERVISOR;
  if (use === 'auto') {
    const version = await vboxManage.version().catch((err: unknown) => {
      log.info({ err: String(err) }, 'VirtualBox is not usable here; boxes are tested under QEMU');
      return undefined;
    });
    use = version ? 'virtualbox' : 'qemu';
    if (version) log.info({ version }, 'VirtualBox found; boxes are tested with it');
  }
  if (use === 'virtualbox') {
    await vboxManage.version().catch((err: unknown) => {
      throw new BackendError(
        'infrastructure',
        `VBOX_HYPERVISOR=virtualbox but VBoxManage does not work: ${String(err)}`,
      );
    });
    return new VirtualBoxBackend({
      vboxManage,
      boxes,
      prefix: `autocloud-vbox-${config.RUNNER_NAME}`,
      workRoot,
    });
  }
  return LibvirtBackend.create({
    uri: config.LIBVIRT_URI,
    domainType: config.LIBVIRT_DOMAIN_TYPE,
    runner: `vbox-${config.RUNNER_NAME}`,
    workRoot,
    cacheDir,
    boxes,
    network: config.LIBVIRT_NETWORK,
    log,
  });
}
