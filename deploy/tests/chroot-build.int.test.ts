// deploy/Dockerfile's steps for the images' own layers, run in a plain Debian root (debootstrap of the images'
// release, in a chroot) instead of a container: every RUN of the stages an image is made of, every COPY, then the
// tools, the user and the command are tried inside. Slow (Debian packages are downloaded and installed), so it runs
// only when AUTOCLOUD_DEPLOY_CHROOT=1, as root, with debootstrap: deploy/README.md says when it was last run.
import { execFile, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, copyFile, cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, test } from 'vitest';
import { imageConfig, parseDockerfile, type ImageConfig } from './lib/dockerfile.js';
import { deployDir, readText, repoRoot, servicePackage } from './lib/repo.js';

const run = promisify(execFile);
const dockerfile = parseDockerfile(readText(join(deployDir, 'Dockerfile')));
const enabled =
  process.env.AUTOCLOUD_DEPLOY_CHROOT === '1' &&
  process.getuid?.() === 0 &&
  spawnSync('sh', ['-c', 'command -v debootstrap']).status === 0;
const CACHE = process.env.AUTOCLOUD_DEPLOY_CHROOT_CACHE ?? '/var/cache/autocloud/deploy-chroot';
const RELEASE = 'bookworm';
const PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** A minimal Debian root of the images' release, made once and kept as a tarball. */
async function baseTarball(): Promise<string> {
  const tarball = join(CACHE, `${RELEASE}-minbase.tar`);
  if (existsSync(tarball)) return tarball;
  await mkdir(CACHE, { recursive: true });
  const dir = await mkdtemp(join(CACHE, '.debootstrap-'));
  try {
    const sources = await readFile('/etc/apt/sources.list.d/debian.sources', 'utf8').catch(() => '');
    const mirror = /^URIs:\s*(\S+)/m.exec(sources)?.[1] ?? 'http://deb.debian.org/debian';
    await run('debootstrap', ['--variant=minbase', RELEASE, dir, mirror], { maxBuffer: 64 * 1024 * 1024 });
    await run('tar', ['-C', dir, '-cf', `${tarball}.part`, '.']);
    await run('mv', [`${tarball}.part`, tarball]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return tarball;
}

interface Root {
  dir: string;
  /** Runs a shell command inside, as root or as `user` (uid:gid). */
  sh(
    command: string,
    opts?: { user?: string; env?: Record<string, string> },
  ): Promise<{ code: number; output: string }>;
}

/** Unpacks a fresh root, set up as Debian's container images are (their apt sources; no services started). */
async function freshRoot(withNode: boolean): Promise<Root> {
  const dir = await mkdtemp(join(tmpdir(), 'autocloud-chroot-'));
  await run('tar', ['-C', dir, '-xf', await baseTarball()]);
  await chmod(dir, 0o755); // the root of a file system, as in an image (the tarball's `.` came from mkdtemp)
  await rm(join(dir, 'etc/apt/sources.list'), { force: true });
  if (existsSync('/etc/apt/sources.list.d/debian.sources')) {
    await copyFile(
      '/etc/apt/sources.list.d/debian.sources',
      join(dir, 'etc/apt/sources.list.d/debian.sources'),
    );
  }
  await copyFile('/etc/resolv.conf', join(dir, 'etc/resolv.conf'));
  await writeFile(join(dir, 'usr/sbin/policy-rc.d'), '#!/bin/sh\nexit 101\n', { mode: 0o755 });
  // The node image is Debian with Node.js in /usr/local: this machine's Node.js (the same major) stands in.
  if (withNode) await copyFile(process.execPath, join(dir, 'usr/local/bin/node'));
  await run('mount', ['-t', 'proc', 'proc', join(dir, 'proc')]);
  return {
    dir,
    sh: (command, opts = {}) => {
      const env = Object.entries({ PATH, DEBIAN_FRONTEND: 'noninteractive', ...opts.env }).map(
        ([k, v]) => `${k}=${v}`,
      );
      const args = [
        ...(opts.user ? [`--userspec=${opts.user}`] : []),
        dir,
        '/usr/bin/env',
        '-i',
        ...env,
        '/bin/sh',
        '-c',
        command,
      ];
      const child = spawn('chroot', args, { stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
      return new Promise((resolve) => child.on('close', (code) => resolve({ code: code ?? -1, output })));
    },
  };
}

async function removeRoot(root: Root): Promise<void> {
  await run('umount', ['-l', join(root.dir, 'proc')]).catch(() => undefined);
  await rm(root.dir, { recursive: true, force: true, maxRetries: 3 });
}

/** Plays the image's stages into the root: RUN as root (the Dockerfile runs none as another user), COPY, WORKDIR. */
async function buildImage(root: Root, target: string): Promise<ImageConfig> {
  const image = imageConfig(dockerfile, target);
  let user = '0';
  for (const stage of image.chain) {
    for (const instruction of stage.instructions) {
      const where = `${stage.name}, line ${instruction.line}`;
      switch (instruction.keyword) {
        case 'USER':
          user = instruction.args.trim().split(':')[0]!;
          break;
        case 'WORKDIR':
          await mkdir(join(root.dir, instruction.args.trim()), { recursive: true });
          break;
        case 'RUN': {
          expect(['0', 'root'], `${where}: RUN as ${user}`).toContain(user);
          const result = await root.sh(instruction.args);
          expect(result.code, `${where}: ${instruction.args}\n${result.output.slice(-4000)}`).toBe(0);
          break;
        }
        case 'COPY': {
          const [source, destination] = instruction.args.split(/\s+/) as [string, string];
          const into = join(root.dir, destination);
          if (!instruction.flags.from) {
            await mkdir(dirname(into), { recursive: true });
            await cp(join(repoRoot, source), into, { recursive: true });
          } else if (source.startsWith('/out/')) {
            const service = source.slice('/out/'.length);
            await run('pnpm', ['--filter', servicePackage(service).name, 'deploy', '--prod', into], {
              cwd: repoRoot,
              maxBuffer: 16 * 1024 * 1024,
            });
          } else if (source === '/src/plans') {
            await cp(join(repoRoot, 'plans'), into, { recursive: true });
          } else {
            throw new Error(`${where}: no stand-in for COPY --from=${instruction.flags.from} ${source}`);
          }
          break;
        }
      }
    }
  }
  return image;
}

describe.skipIf(!enabled)('deploy/Dockerfile in a Debian chroot', () => {
  test('libvirt-runner: runtime and runner layers install, the tools and the user work, the command starts', async () => {
    const root = await freshRoot(true);
    try {
      const image = await buildImage(root, 'libvirt-runner');
      for (const tool of [
        'tini --version',
        'virsh --version',
        'qemu-img --version',
        'genisoimage --version',
        'xz --version',
      ]) {
        const result = await root.sh(tool);
        expect(result.code, `${tool}: ${result.output}`).toBe(0);
      }
      expect((await root.sh('getent passwd 10001')).output).toMatch(/^autocloud:x:10001:10001:/);
      expect((await root.sh('stat -c "%u %g %a" /var/lib/autocloud')).output.trim()).toBe('10001 0 775');
      // As the image's user: libvirt's client finds a user record (it has none for an unknown uid).
      const virsh = await root.sh('virsh -c qemu:///system uri', {
        user: '10001:10001',
        env: { HOME: '/var/lib/autocloud' },
      });
      expect(virsh.output).toMatch(/failed to connect/); // there is no libvirtd in the chroot
      expect(virsh.output).not.toMatch(/user record/);
      // The image's command, from /app, as the image's user, with the image's environment.
      const command = [...image.entrypoint.slice(2), ...image.cmd].join(' ');
      const started = await root.sh(`cd ${image.workdir} && exec ${command}`, {
        user: '10001:10001',
        env: { ...image.env, NATS_URL: 'not a url' },
      });
      expect(started.output).toMatch(/invalid configuration/);
      expect(started.code).toBe(2);
      expect((await root.sh(image.healthcheck!.join(' '))).code).toBe(1); // nothing is listening
    } finally {
      await removeRoot(root);
    }
  }, 900_000);

  test('libvirtd: the sidecar installs, with its configuration, group and entrypoint', async () => {
    const root = await freshRoot(false);
    try {
      await buildImage(root, 'libvirtd');
      for (const tool of [
        'tini --version',
        'libvirtd --version',
        'virtlogd --version',
        'qemu-system-x86_64 --version',
        'virsh --version',
      ]) {
        const result = await root.sh(tool);
        expect(result.code, `${tool}: ${result.output}`).toBe(0);
      }
      expect((await root.sh('getent group autocloud')).output).toMatch(/^autocloud:x:10001:/);
      expect(
        (await root.sh('test -x /usr/local/bin/run-libvirtd && sh -n /usr/local/bin/run-libvirtd')).code,
      ).toBe(0);
      expect((await root.sh('grep -c unix_sock_group /etc/libvirt/libvirtd.conf')).output.trim()).toBe('1');
    } finally {
      await removeRoot(root);
    }
  }, 1_800_000);
});
