// The libvirt backend: one transient domain per job (named after the runner and the job, so the reaper finds what a
// crashed runner left), booted from a qcow2 overlay on the locally cached base image, with a serial console file.
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { BackendError, type Backend, type BootSpec, type Machine } from '@autocloud/runner-core';
import { BaseImages, type BoxSource } from './base-images.js';
import { domainXml, type Networking } from './domain-xml.js';
import { resolveDomainType, type DomainTypeSetting } from './domain-type.js';
import { makeSeedIso } from './seed.js';
import { createOverlay } from './tools.js';
import { Virsh, VirshError } from './virsh.js';
import { leaseAddress } from './network.js';

export interface LibvirtBackendOptions {
  uri: string;
  domainType: DomainTypeSetting;
  /** Identifies this runner: domains are `<prefix>-job-<id>`. */
  runner: string;
  /** Per-job directories (the core creates `job-<id>` in it). */
  workRoot: string;
  /** Where derived base images (decompressed, converted) are kept. */
  cacheDir: string;
  boxes: BoxSource;
  /** `user` (SSH forwarded to 127.0.0.1) or the name of a libvirt network (address from its DHCP leases). */
  network: string;
  log?: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void };
}

export class LibvirtBackend implements Backend {
  readonly name = 'libvirt';
  private readonly virsh: Virsh;
  private readonly bases: BaseImages;
  private readonly reservedPorts = new Set<number>();

  private constructor(
    private readonly opts: LibvirtBackendOptions,
    readonly domainType: 'kvm' | 'qemu',
  ) {
    this.virsh = new Virsh(opts.uri);
    this.bases = new BaseImages(opts.cacheDir, opts.boxes);
  }

  /** Checks libvirt answers and settles kvm or qemu (auto probes KVM with a tiny guest). */
  static async create(opts: LibvirtBackendOptions): Promise<LibvirtBackend> {
    const virsh = new Virsh(opts.uri);
    try {
      await virsh.run(['uri'], { timeoutMs: 30_000 });
    } catch (err) {
      throw new BackendError('infrastructure', `libvirt at ${opts.uri} does not answer: ${String(err)}`, {
        cause: err,
      });
    }
    await mkdir(opts.workRoot, { recursive: true, mode: 0o755 });
    const hidden = await untraversable(opts.workRoot);
    if (hidden) {
      opts.log?.warn(
        { work_root: opts.workRoot, directory: hidden },
        'QEMU may not reach the job files: a directory on the way is closed to other users (libvirt runs QEMU as its own user); make it traversable (chmod o+x) or move AUTOCLOUD_HOME',
      );
    }
    const type = await resolveDomainType(virsh, opts.domainType, opts.workRoot, domainPrefix(opts.runner));
    opts.log?.info({ uri: opts.uri, domain_type: type, setting: opts.domainType }, 'libvirt backend ready');
    return new LibvirtBackend(opts, type);
  }

  get slowdown(): number {
    return this.domainType === 'kvm' ? 1 : 4;
  }

  get hypervisor(): string {
    return this.domainType === 'kvm' ? 'kvm' : 'qemu-tcg';
  }

  async boot(spec: BootSpec, signal: AbortSignal): Promise<Machine> {
    const name = `${domainPrefix(this.opts.runner)}-job-${spec.jobId}`;
    await mkdir(spec.workDir, { recursive: true });
    // QEMU runs as its own user under qemu:///system: it must reach the files through every directory.
    await chmod(spec.workDir, 0o755);
    const base = await this.bases.prepare(spec, signal);
    const overlay = join(spec.workDir, 'overlay.qcow2');
    await createOverlay(base.path, base.format, overlay, signal).catch((err: unknown) => {
      throw new BackendError('infrastructure', `could not create the overlay: ${String(err)}`, {
        cause: err,
      });
    });
    const seedIso = spec.cloudInit
      ? await makeSeedIso(
          spec.workDir,
          {
            username: spec.login.username,
            publicKey: spec.login.publicKey,
            instanceId: `autocloud-job-${spec.jobId}-${randomBytes(4).toString('hex')}`,
            hostname: `autocloud-job-${spec.jobId}`,
          },
          signal,
        ).catch((err: unknown) => {
          throw new BackendError('infrastructure', `could not make the NoCloud seed: ${String(err)}`, {
            cause: err,
          });
        })
      : undefined;
    const serialLog = join(spec.workDir, 'serial-console.log');
    const userMode = this.opts.network === 'user';
    const port = userMode ? await this.reservePort() : 0;
    const networking: Networking = userMode
      ? { mode: 'user', sshPort: port }
      : { mode: 'network', network: this.opts.network, mac: randomMac() };
    const xml = domainXml({
      name,
      type: this.domainType,
      arch: spec.arch,
      memoryMiB: spec.memoryMiB,
      cpus: spec.cpus,
      disk: { path: overlay, bus: base.bus },
      ...(seedIso ? { seedIso } : {}),
      serialLog,
      networking,
      jobId: spec.jobId,
      runner: this.opts.runner,
    });
    const xmlPath = join(spec.workDir, 'domain.xml');
    await writeFile(xmlPath, xml);
    try {
      // A domain of the same name is a leftover of an earlier delivery of this job on this runner.
      await this.virsh.destroy(name);
      await this.virsh.run(['create', xmlPath], { timeoutMs: 120_000, signal });
    } catch (err) {
      this.reservedPorts.delete(port);
      await this.virsh.destroy(name).catch(() => false);
      const detail = err instanceof VirshError ? err.stderr.trim() : String(err);
      throw new BackendError(
        !/Permission denied/i.test(detail) && /Could not open|qcow2|image|format|backing/i.test(detail)
          ? 'boot'
          : 'infrastructure',
        `libvirt could not start the VM: ${detail}`,
        { cause: err },
      );
    }
    let ssh = { host: '127.0.0.1', port };
    if (networking.mode === 'network') {
      ssh = { host: await leaseAddress(this.virsh, name, networking.mac, signal), port: 22 };
    }
    const virsh = this.virsh;
    const release = () => this.reservedPorts.delete(port);
    return {
      name,
      ssh,
      serialLogPath: serialLog,
      hypervisor: this.hypervisor,
      async isRunning() {
        const state = await virsh.domainState(name).catch(() => 'unknown');
        return state === 'running' || state === 'paused' || state === 'unknown';
      },
      async destroy() {
        await virsh.destroy(name);
        release();
        await rm(overlay, { force: true });
        if (seedIso) await rm(seedIso, { force: true });
      },
    };
  }

  /** Destroys this runner's domains and removes its job directories (a crashed runner's leftovers). */
  async reap(): Promise<string[]> {
    const prefix = `${domainPrefix(this.opts.runner)}-job-`;
    const removed: string[] = [];
    for (const domain of await this.virsh.listDomains()) {
      if (!domain.startsWith(prefix)) continue;
      if (await this.virsh.destroy(domain)) removed.push(`domain ${domain}`);
      // A persistent domain of ours (defined by hand) is removed too.
      await this.virsh.run(['undefine', domain]).catch(() => undefined);
    }
    for (const entry of await readdir(this.opts.workRoot).catch(() => [] as string[])) {
      if (!entry.startsWith('job-')) continue;
      await rm(join(this.opts.workRoot, entry), { recursive: true, force: true });
      removed.push(`directory ${join(this.opts.workRoot, entry)}`);
    }
    return removed;
  }

  /** A free TCP port on 127.0.0.1 for QEMU's SSH forward, not handed to another job of this process. */
  private async reservePort(): Promise<number> {
    for (let i = 0; i < 50; i++) {
      const port = await new Promise<number>((resolve, reject) => {
        const server = createServer();
        server.once('error', reject);
        server.listen(0, '127.0.0.1', () => {
          const addr = server.address();
          server.close(() => resolve(typeof addr === 'object' && addr ? addr.port : 0));
        });
      });
      if (port && !this.reservedPorts.has(port)) {
        this.reservedPorts.add(port);
        return port;
      }
    }
    throw new BackendError('infrastructure', 'no free TCP port on 127.0.0.1 for the SSH forward');
  }
}

/** The first directory from / to `dir` that users other than its owner cannot traverse, if any. */
async function untraversable(dir: string): Promise<string | undefined> {
  const parts = resolve(dir).split('/').filter(Boolean);
  for (let i = 1; i <= parts.length; i++) {
    const path = '/' + parts.slice(0, i).join('/');
    const st = await stat(path).catch(() => undefined);
    if (st && (st.mode & 0o001) === 0) return path;
  }
  return undefined;
}

export function domainPrefix(runner: string): string {
  return `autocloud-${runner}`;
}

function randomMac(): string {
  const b = randomBytes(3);
  return `52:54:00:${[...b].map((x) => x.toString(16).padStart(2, '0')).join(':')}`;
}
