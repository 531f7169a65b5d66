// The VirtualBox backend: boots a job's Vagrant VirtualBox box as a VM of its own. The box is unpacked once per image
// (BoxCache); each job imports the box's OVF into its work directory, gets a serial console file and an SSH port
// forwarded from 127.0.0.1, and starts headless. Whatever fails, nothing is left behind: a VM imported before a later
// step failed is unregistered with its files, and the work directory removed. VM names carry the runner's prefix, so
// reap() finds this runner's leftovers after a crash.
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { hostname } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  BackendError,
  BoxError,
  type Backend,
  type BootSpec,
  type BoxCache,
  type Machine,
} from '@autocloud/runner-core';
import {
  type VBoxManage,
  VBoxManageCommandError,
  VBoxManageError,
  VBoxManageNotInstalledError,
} from './vboxmanage.js';

export interface VirtualBoxBackendOptions {
  vboxManage: VBoxManage;
  boxes: BoxCache;
  /** Starts every VM name (`<prefix>-job-<jobId>`); reap() removes only VMs that carry it (default `autocloud-vbox-<host>`). */
  prefix?: string;
  /** The directory that holds the jobs' work directories: reap() removes this backend's leftovers there. */
  workRoot?: string;
  /** The host port forwarded to the guest's SSH (default: a free port on 127.0.0.1). */
  sshPort?: () => Promise<number>;
  /** How long to wait for VirtualBox to release a VM after poweroff before unregistering fails (default 10 s). */
  unlockTimeoutMs?: number;
  /** Time limit of `VBoxManage import`, which copies the disk (default 15 min). */
  importTimeoutMs?: number;
}

/** Written into a job's work directory, so reap() knows the directory is this backend's. */
export const WORK_DIR_MARKER = '.autocloud-vbox.json';
export const SERIAL_LOG = 'serial-console.log';

const PREFIX = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
const RUNNING_STATES = new Set(['running', 'paused']);

export class VirtualBoxBackend implements Backend {
  readonly name = 'vbox';
  readonly slowdown = 1;
  readonly hypervisor = 'virtualbox';
  readonly prefix: string;
  private readonly vbox: VBoxManage;

  constructor(private readonly opts: VirtualBoxBackendOptions) {
    this.vbox = opts.vboxManage;
    this.prefix = opts.prefix ?? defaultVmPrefix();
    if (!PREFIX.test(this.prefix))
      throw new Error(`VirtualBoxBackend: invalid VM name prefix ${this.prefix}`);
  }

  /** The VM name of a job. */
  vmName(jobId: number): string {
    return `${this.prefix}-job-${jobId}`;
  }

  async boot(spec: BootSpec, signal: AbortSignal): Promise<Machine> {
    signal.throwIfAborted();
    if (spec.imageType !== 'vagrant-virtualbox') {
      throw new BackendError(
        'boot',
        `the VirtualBox backend boots vagrant-virtualbox boxes, not ${spec.imageType} images`,
      );
    }
    await this.checkVBoxManage(signal);
    const box = await this.opts.boxes.get(spec.imagePath, spec.sha256, { signal });
    if (box.provider !== 'virtualbox') {
      throw new BoxError(
        'wrong-provider',
        basename(spec.imagePath),
        `is a ${box.provider} box, not a virtualbox one`,
      );
    }
    const name = this.vmName(spec.jobId);
    const serialLogPath = join(spec.workDir, SERIAL_LOG);
    await mkdir(spec.workDir, { recursive: true });
    await writeFile(join(spec.workDir, WORK_DIR_MARKER), `${JSON.stringify({ vm: name })}\n`);

    let started = false;
    let port = 0;
    try {
      await this.step('import', name, signal, () =>
        this.vbox.importOvf(
          box.ovf,
          { vmName: name, baseFolder: spec.workDir },
          { signal, timeoutMs: this.opts.importTimeoutMs ?? 15 * 60_000 },
        ),
      );
      port = await (this.opts.sshPort ?? freeLoopbackPort)();
      // prettier-ignore
      const settings = [
        '--memory', String(spec.memoryMiB),
        '--cpus', String(spec.cpus),
        '--uart1', '0x3F8', '4',
        '--uartmode1', 'file', serialLogPath,
        '--nic1', 'nat',
        '--natpf1', `ssh,tcp,127.0.0.1,${port},,22`,
      ];
      await this.step('modifyvm', name, signal, () => this.vbox.modifyVm(name, settings, { signal }));
      started = true; // from here on a failure may leave it running
      await this.step('startvm', name, signal, () => this.vbox.startVm(name, { signal }));
    } catch (err) {
      try {
        await this.removeVm(name, spec.workDir, { started });
      } catch (cleanup) {
        if (err instanceof BackendError) {
          throw new BackendError(
            err.reasonCode,
            `${err.message} (removing VM ${name} failed too, the reaper retries at start-up: ${(cleanup as Error).message})`,
            { cause: err },
          );
        }
      }
      throw err;
    }

    let destroying: Promise<void> | undefined;
    return {
      name,
      ssh: { host: '127.0.0.1', port },
      serialLogPath,
      hypervisor: this.hypervisor,
      isRunning: async () => {
        try {
          const state = await this.vbox.vmState(name);
          return state !== undefined && RUNNING_STATES.has(state);
        } catch (err) {
          throw this.infrastructure(`cannot tell whether VM ${name} runs`, err);
        }
      },
      // Concurrent calls share one removal; after a failed one, the next call tries again.
      destroy: () =>
        (destroying ??= this.removeVm(name, spec.workDir, { started: true }).catch((err: unknown) => {
          destroying = undefined;
          throw err;
        })),
    };
  }

  async reap(): Promise<string[]> {
    const removed: string[] = [];
    const failed: string[] = [];
    let vms;
    try {
      vms = await this.vbox.listVms();
    } catch (err) {
      throw this.infrastructure('cannot list VirtualBox VMs', err);
    }
    for (const vm of vms.filter((v) => v.name.startsWith(`${this.prefix}-job-`))) {
      try {
        // The VM's folder is <workDir>/<name>/; the work directory goes too when it is this backend's.
        const cfg = (await this.vbox.showVmInfo(vm.uuid).catch(() => undefined))?.CfgFile;
        const workDir = cfg ? dirname(dirname(cfg)) : undefined;
        await this.removeVm(vm.uuid, undefined, { started: true, label: vm.name });
        removed.push(vm.name);
        if (workDir && (await markerVm(workDir)) === vm.name) {
          await rm(workDir, { recursive: true, force: true });
          removed.push(workDir);
        }
      } catch (err) {
        failed.push(`${vm.name}: ${(err as Error).message}`);
      }
    }
    if (this.opts.workRoot) {
      const entries = await readdir(this.opts.workRoot, { withFileTypes: true }).catch(() => []);
      for (const entry of entries.filter((e) => e.isDirectory())) {
        const dir = join(this.opts.workRoot, entry.name);
        const vm = await markerVm(dir);
        if (vm === undefined || !vm.startsWith(`${this.prefix}-job-`)) continue;
        await rm(dir, { recursive: true, force: true });
        removed.push(dir);
      }
    }
    if (failed.length > 0) {
      throw new BackendError(
        'infrastructure',
        `reaping VirtualBox VMs removed ${removed.length ? removed.join(', ') : 'nothing'} but failed for ${failed.join('; ')}`,
      );
    }
    return removed;
  }

  /** `VBoxManage --version` answers: VirtualBox is installed and its service runs. */
  private async checkVBoxManage(signal: AbortSignal): Promise<void> {
    try {
      await this.vbox.version({ signal, timeoutMs: 30_000 });
    } catch (err) {
      if (err instanceof VBoxManageNotInstalledError) {
        throw new BackendError(
          'infrastructure',
          `VBoxManage is not installed on this runner (looked for ${this.vbox.path}): install VirtualBox, ` +
            'or set VBOX_HYPERVISOR=qemu to boot VirtualBox boxes under QEMU',
          { cause: err },
        );
      }
      throw this.infrastructure('VBoxManage does not work', err);
    }
  }

  /** Runs one step of a boot, turning VBoxManage's failure into the BackendError a user understands. */
  private async step(
    step: 'import' | 'modifyvm' | 'startvm',
    name: string,
    signal: AbortSignal,
    run: () => Promise<void>,
  ): Promise<void> {
    try {
      await run();
    } catch (err) {
      if (signal.aborted || !(err instanceof VBoxManageError)) throw err;
      if (!(err instanceof VBoxManageCommandError) || err.syntax) {
        throw this.infrastructure(`VBoxManage ${step} of VM ${name} failed`, err);
      }
      switch (step) {
        case 'import':
          throw new BackendError('boot', `VirtualBox could not import the box's OVF: ${err.detail}`, {
            cause: err,
          });
        case 'modifyvm':
          throw new BackendError(
            'infrastructure',
            `VBoxManage modifyvm could not configure VM ${name}: ${err.detail}`,
            {
              cause: err,
            },
          );
        case 'startvm':
          if (err.hardwareVirtualizationBusy) {
            const code = err.statusCodes.find((c) => c.startsWith('VERR_'));
            throw new BackendError(
              'infrastructure',
              `VirtualBox cannot start VMs on this host: KVM holds VT-x/AMD-V (${code}). Stop the KVM guests and ` +
                'unload the kvm modules, or run this runner with VBOX_HYPERVISOR=qemu',
              { cause: err },
            );
          }
          throw new BackendError('boot', `VirtualBox could not start VM ${name}: ${err.detail}`, {
            cause: err,
          });
      }
    }
  }

  /**
   * Powers the VM off (when it may run), unregisters it deleting its files, and removes its work directory.
   * A VM that is already gone is not an error.
   */
  private async removeVm(
    vm: string,
    workDir: string | undefined,
    opts: { started: boolean; label?: string },
  ): Promise<void> {
    const label = opts.label ?? vm;
    let poweroffError: unknown;
    if (opts.started) {
      try {
        await this.vbox.powerOff(vm);
      } catch (err) {
        const gone = err instanceof VBoxManageCommandError && (err.notRunning || err.vmNotFound);
        if (!gone) poweroffError = err;
      }
    }
    // After poweroff VirtualBox releases the VM's session a moment later; until then unregistering fails as locked.
    // After a failed poweroff the VM most likely still runs, and waiting would not help.
    const deadline = poweroffError ? 0 : Date.now() + (this.opts.unlockTimeoutMs ?? 10_000);
    for (let attempt = 1; ; attempt++) {
      try {
        await this.vbox.unregisterAndDelete(vm);
        break;
      } catch (err) {
        if (err instanceof VBoxManageCommandError && err.vmNotFound) break;
        if (err instanceof VBoxManageCommandError && err.locked && Date.now() < deadline) {
          await sleep(Math.min(100 * attempt, 1000));
          continue;
        }
        const before = poweroffError ? ` (poweroff failed first: ${describe(poweroffError)})` : '';
        throw this.infrastructure(`could not remove VirtualBox VM ${label}${before}`, err);
      }
    }
    if (workDir) await rm(workDir, { recursive: true, force: true });
  }

  private infrastructure(what: string, err: unknown): BackendError {
    if (err instanceof BackendError) return err;
    return new BackendError('infrastructure', `${what}: ${describe(err)}`, { cause: err });
  }
}

/** `autocloud-vbox-<host name>`, with what VirtualBox and file names would stumble on replaced. */
export function defaultVmPrefix(host = hostname()): string {
  const safe = host
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return `autocloud-vbox-${safe || 'host'}`;
}

/** A port on 127.0.0.1 that nothing listens on now (VirtualBox binds it when the VM starts). */
export async function freeLoopbackPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (typeof address !== 'object' || address === null) throw new Error('no port from the loopback listener');
  return address.port;
}

async function markerVm(dir: string): Promise<string | undefined> {
  try {
    const parsed = JSON.parse(await readFile(join(dir, WORK_DIR_MARKER), 'utf8')) as { vm?: unknown };
    return typeof parsed.vm === 'string' ? parsed.vm : undefined;
  } catch {
    return undefined;
  }
}

function describe(err: unknown): string {
  if (err instanceof VBoxManageCommandError) return err.detail;
  return err instanceof Error ? err.message : String(err);
}
