// VBoxManage, VirtualBox's command line, as the backend uses it: every call an argument vector (never a shell), with
// a time limit and an AbortSignal; a failure becomes a named error carrying VirtualBox's own message and status
// codes (VBOX_E_OBJECT_NOT_FOUND, VERR_VMX_IN_VMX_ROOT_MODE, ...). Commands follow the VirtualBox 7 manual's
// VBoxManage chapter (import, modifyvm, startvm, controlvm, unregistervm, list, showvminfo).
import { execFile } from 'node:child_process';

export interface VBoxManageOptions {
  /** The VBoxManage binary: a path, or a name looked up on PATH (default `VBoxManage`). */
  path?: string;
  /** Added to the environment of every call. */
  env?: Record<string, string>;
  /** Default time limit of a call (default 2 min). */
  timeoutMs?: number;
}

export interface RunOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
}

export interface RunResult {
  stdout: string;
  stderr: string;
}

export abstract class VBoxManageError extends Error {
  abstract readonly code: string;
  constructor(
    /** The arguments VBoxManage was called with. */
    readonly args: readonly string[],
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The binary is not there (or not executable). */
export class VBoxManageNotInstalledError extends VBoxManageError {
  override readonly name = 'VBoxManageNotInstalledError';
  readonly code = 'VBOXMANAGE_NOT_INSTALLED';
  constructor(
    readonly path: string,
    args: readonly string[],
    options?: { cause?: unknown },
  ) {
    super(args, `VBoxManage is not installed (no executable ${path})`, options);
  }
}

/** The call ran out of time and was killed. */
export class VBoxManageTimeoutError extends VBoxManageError {
  override readonly name = 'VBoxManageTimeoutError';
  readonly code = 'VBOXMANAGE_TIMEOUT';
  constructor(
    args: readonly string[],
    readonly timeoutMs: number,
  ) {
    super(args, `VBoxManage ${showArgs(args)} did not finish within ${timeoutMs} ms`);
  }
}

/** VBoxManage exited non-zero: 2 for a command line it rejects, 1 for a failed operation. */
export class VBoxManageCommandError extends VBoxManageError {
  override readonly name = 'VBoxManageCommandError';
  readonly code = 'VBOXMANAGE_FAILED';
  /** VirtualBox's message: its `VBoxManage: error:` lines without the prefix and the Details/Context lines. */
  readonly detail: string;
  /** Status codes named in the output: VBOX_E_*, NS_ERROR_*, VERR_*. */
  readonly statusCodes: readonly string[];
  constructor(
    args: readonly string[],
    readonly exitCode: number | null,
    readonly stdout: string,
    readonly stderr: string,
  ) {
    const detail = vboxMessage(stderr) || vboxMessage(stdout) || `exit code ${exitCode}`;
    super(args, `VBoxManage ${showArgs(args)} failed: ${detail}`);
    this.detail = detail;
    this.statusCodes = [
      ...new Set(`${stderr}\n${stdout}`.match(/\b(?:VBOX_E|NS_ERROR|VERR)_[A-Z0-9_]+/g) ?? []),
    ];
  }

  /** VBoxManage rejected the command line itself (RTEXITCODE_SYNTAX). */
  get syntax(): boolean {
    return this.exitCode === 2;
  }
  /** No VM by that name or UUID is registered. */
  get vmNotFound(): boolean {
    return (
      this.statusCodes.includes('VBOX_E_OBJECT_NOT_FOUND') ||
      /Could not find a registered machine/.test(this.detail)
    );
  }
  /** controlvm on a VM that is not running. */
  get notRunning(): boolean {
    return /is not currently running/.test(this.detail);
  }
  /** Another session holds the VM (it runs, or a poweroff has not released it yet). */
  get locked(): boolean {
    return (
      this.statusCodes.includes('VBOX_E_INVALID_OBJECT_STATE') || /\bis (already )?locked\b/.test(this.detail)
    );
  }
  /** KVM (or another hypervisor) holds VT-x or AMD-V, so VirtualBox cannot run VMs. */
  get hardwareVirtualizationBusy(): boolean {
    return (
      this.statusCodes.includes('VERR_VMX_IN_VMX_ROOT_MODE') || this.statusCodes.includes('VERR_SVM_IN_USE')
    );
  }
}

export interface ImportSettings {
  vmName: string;
  /** Where VirtualBox puts the VM's folder (<baseFolder>/<vmName>/: settings, disks, logs). */
  baseFolder: string;
}

export interface VmEntry {
  name: string;
  uuid: string;
}

const DEFAULT_TIMEOUT_MS = 2 * 60_000;
const MAX_OUTPUT = 16 * 1024 * 1024;

export class VBoxManage {
  readonly path: string;
  private readonly env: Record<string, string>;
  private readonly timeoutMs: number;

  constructor(opts: VBoxManageOptions = {}) {
    this.path = opts.path ?? 'VBoxManage';
    this.env = opts.env ?? {};
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  /** Runs `VBoxManage <args>`. Rejects with a VBoxManageError, or the signal's reason when aborted. */
  run(args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
    const timeoutMs = opts.timeoutMs ?? this.timeoutMs;
    opts.signal?.throwIfAborted();
    return new Promise((resolve, reject) => {
      execFile(
        this.path,
        args,
        {
          // English messages (the error checks read them) without losing UTF-8 paths.
          env: { ...process.env, LC_ALL: 'C.UTF-8', ...this.env },
          timeout: timeoutMs,
          killSignal: 'SIGKILL',
          maxBuffer: MAX_OUTPUT,
          ...(opts.signal ? { signal: opts.signal } : {}),
        },
        (err, stdout, stderr) => {
          if (!err) return resolve({ stdout, stderr });
          if (opts.signal?.aborted) return reject(opts.signal.reason as Error);
          const code = (err as NodeJS.ErrnoException).code;
          if (code === 'ENOENT' || code === 'EACCES') {
            return reject(new VBoxManageNotInstalledError(this.path, args, { cause: err }));
          }
          if ((err as { killed?: boolean }).killed)
            return reject(new VBoxManageTimeoutError(args, timeoutMs));
          const exitCode = typeof err.code === 'number' ? err.code : null;
          reject(new VBoxManageCommandError(args, exitCode, stdout, stderr));
        },
      );
    });
  }

  /** `VBoxManage --version`: e.g. `7.0.20r163906`. */
  async version(opts: RunOptions = {}): Promise<string> {
    const { stdout, stderr } = await this.run(['--version'], opts);
    // A host without the kernel driver warns first; the version is the line that looks like one.
    const version = stdout
      .split('\n')
      .map((l) => l.trim())
      .find((l) => /^\d+\.\d+\.\d+/.test(l));
    if (!version)
      throw new VBoxManageCommandError(['--version'], 0, stdout, `${stderr}\nno version in the output`);
    return version;
  }

  /** `import <ovf> --vsys 0 --vmname <name> --basefolder <folder>`: registers the appliance's VM, copying its disks. */
  async importOvf(ovf: string, settings: ImportSettings, opts: RunOptions = {}): Promise<void> {
    await this.run(
      ['import', ovf, '--vsys', '0', '--vmname', settings.vmName, '--basefolder', settings.baseFolder],
      opts,
    );
  }

  /** `modifyvm <vm> <settings...>` (the VM must not be running). */
  async modifyVm(vm: string, settings: readonly string[], opts: RunOptions = {}): Promise<void> {
    await this.run(['modifyvm', vm, ...settings], opts);
  }

  /** `startvm <vm> --type headless`: resolves once VirtualBox reports the VM started. */
  async startVm(vm: string, opts: RunOptions = {}): Promise<void> {
    await this.run(['startvm', vm, '--type', 'headless'], opts);
  }

  /** `controlvm <vm> poweroff`: pulls the plug. */
  async powerOff(vm: string, opts: RunOptions = {}): Promise<void> {
    await this.run(['controlvm', vm, 'poweroff'], opts);
  }

  /** `unregistervm <vm> --delete`: forgets the VM and deletes its disks, settings and logs. */
  async unregisterAndDelete(vm: string, opts: RunOptions = {}): Promise<void> {
    await this.run(['unregistervm', vm, '--delete'], opts);
  }

  /** `list vms`: every registered VM. */
  async listVms(opts: RunOptions = {}): Promise<VmEntry[]> {
    const { stdout } = await this.run(['list', 'vms'], opts);
    return stdout
      .split('\n')
      .map((line) => /^"(.*)" \{([0-9a-fA-F-]+)\}$/.exec(line.trim()))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => ({ name: m[1]!, uuid: m[2]! }));
  }

  /** `showvminfo <vm> --machinereadable`, as key/value pairs (quotes removed). */
  async showVmInfo(vm: string, opts: RunOptions = {}): Promise<Record<string, string>> {
    const { stdout } = await this.run(['showvminfo', vm, '--machinereadable'], opts);
    const info: Record<string, string> = {};
    for (const line of stdout.split('\n')) {
      const m = /^("?)(.+?)\1=(.*)$/.exec(line.trimEnd());
      if (!m) continue;
      const value = m[3]!;
      info[m[2]!] =
        value.length >= 2 && value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1) : value;
    }
    return info;
  }

  /** The VM's VMState (`running`, `poweroff`, `aborted`, ...), or undefined when no such VM is registered. */
  async vmState(vm: string, opts: RunOptions = {}): Promise<string | undefined> {
    try {
      return (await this.showVmInfo(vm, opts)).VMState;
    } catch (err) {
      if (err instanceof VBoxManageCommandError && err.vmNotFound) return undefined;
      throw err;
    }
  }
}

/** The `VBoxManage: error:` lines, without the prefix and without Details/Context (codes are kept separately). */
function vboxMessage(output: string): string {
  const lines = output
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
  const errors = lines
    .filter((l) => l.startsWith('VBoxManage: error:'))
    .map((l) => l.slice('VBoxManage: error:'.length).trim())
    .filter((l) => !/^(Details|Context):/.test(l));
  if (errors.length > 0) return errors.join(' ');
  return lines
    .filter((l) => !/^\d+%/.test(l))
    .slice(-3)
    .join(' ');
}

function showArgs(args: readonly string[]): string {
  return args.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : JSON.stringify(a))).join(' ');
}
