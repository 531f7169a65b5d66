// The contract between the runner core and a hypervisor backend (libvirt/QEMU, VirtualBox): the core asks a backend
// to boot one image for one job and gets back a machine it can reach over SSH; the backend owns everything it
// creates (domains, VMs, overlays, seed disks) and removes it in destroy() and, after a crash, in reap().

/** How the image under test logs in: cloud-init images take the per-job key from a NoCloud seed; Vagrant boxes
 * log in as `vagrant` with Vagrant's well-known insecure key. */
export interface LoginSpec {
  username: string;
  /** OpenSSH private key (PEM/OpenSSH format) the runner authenticates with. */
  privateKey: string;
  /** The matching public key line, for a seed's authorized_keys (cloud-init images). */
  publicKey: string;
}

/** What a backend needs to boot one job's VM. */
export interface BootSpec {
  jobId: number;
  /** The verified image in the runner's local cache (a file; never modified: boots use an overlay). */
  imagePath: string;
  /** productmd image type: qcow2, raw-xz, vagrant-libvirt, vagrant-virtualbox, ... */
  imageType: string;
  /** The image's sha256 (cache key for unpacked or decompressed forms). */
  sha256: string;
  arch: string;
  login: LoginSpec;
  /** Whether the guest takes a NoCloud seed (cloud-init images) or not (Vagrant boxes). */
  cloudInit: boolean;
  /** A directory owned by this job, removed after destroy(). */
  workDir: string;
  memoryMiB: number;
  cpus: number;
}

/** A booted VM. */
export interface Machine {
  /** Backend's name for it (domain or VM name). */
  name: string;
  /** Where SSH answers (a forwarded 127.0.0.1 port, or the guest's address). */
  ssh: { host: string; port: number };
  /** File the guest's serial console is written to (grows while the VM runs). */
  serialLogPath: string;
  /** What actually ran it, recorded with the job: `qemu-tcg`, `kvm`, `virtualbox`. */
  hypervisor: string;
  /** True while the hypervisor still runs the VM (a crashed QEMU or a powered-off guest is false). */
  isRunning(): Promise<boolean>;
  /** Stops the VM and deletes everything created for it. Idempotent; never throws for a VM already gone. */
  destroy(): Promise<void>;
}

export interface Backend {
  /** `libvirt` or `vbox`: the run subject's backend token. */
  readonly name: string;
  /** Boots the image; resolves once the hypervisor runs it (not once SSH answers: the core waits for that). */
  boot(spec: BootSpec, signal: AbortSignal): Promise<Machine>;
  /** Destroys VMs and files this runner left behind (names carry the runner's prefix). Returns what it removed. */
  reap(): Promise<string[]>;
  /** Boot deadline multiplier: TCG is several times slower than KVM or VirtualBox. */
  readonly slowdown: number;
}

/** A failure to create or run the VM, reported as `image.aborted` with this reason code and message. */
export class BackendError extends Error {
  override readonly name: string = 'BackendError';
  constructor(
    readonly reasonCode: 'boot' | 'infrastructure',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
