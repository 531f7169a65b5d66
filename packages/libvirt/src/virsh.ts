// virsh, run with an argument vector against one libvirt connection (local qemu:///system or a remote URI).
import { execFile } from 'node:child_process';

export class VirshError extends Error {
  override readonly name = 'VirshError';
  constructor(
    readonly args: readonly string[],
    readonly stderr: string,
    options?: { cause?: unknown },
  ) {
    super(`virsh ${args.join(' ')}: ${stderr.trim() || 'failed'}`, options);
  }
  /** libvirt's "no such domain" (it was already gone). */
  get noDomain(): boolean {
    return /failed to get domain|Domain not found|no domain with matching name/i.test(this.stderr);
  }
  get notRunning(): boolean {
    return /domain is not running|not running/i.test(this.stderr);
  }
}

export class Virsh {
  constructor(
    readonly uri: string,
    private readonly binary = 'virsh',
  ) {}

  run(args: readonly string[], opts: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<string> {
    const full = ['--quiet', '--connect', this.uri, ...args];
    return new Promise((resolve, reject) => {
      execFile(
        this.binary,
        full,
        { timeout: opts.timeoutMs ?? 60_000, signal: opts.signal, maxBuffer: 16 * 1024 * 1024 },
        (err, stdout, stderr) => {
          if (err) reject(new VirshError(args, stderr || err.message, { cause: err }));
          else resolve(stdout);
        },
      );
    });
  }

  /** Names of all domains (running or defined). */
  async listDomains(): Promise<string[]> {
    const out = await this.run(['list', '--all', '--name']);
    return out
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean);
  }

  /** The domain's state (running, paused, shut off, ...), or undefined when it does not exist. */
  async domainState(name: string): Promise<string | undefined> {
    try {
      return (await this.run(['domstate', name], { timeoutMs: 15_000 })).trim();
    } catch (err) {
      if (err instanceof VirshError && err.noDomain) return undefined;
      throw err;
    }
  }

  /** Stops a transient domain (which removes it); fine when it is already gone. */
  async destroy(name: string): Promise<boolean> {
    try {
      await this.run(['destroy', name], { timeoutMs: 30_000 });
      return true;
    } catch (err) {
      if (err instanceof VirshError && (err.noDomain || err.notRunning)) return false;
      throw err;
    }
  }
}
