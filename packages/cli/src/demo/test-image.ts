// The Autocloud test image (tests/images): built (or found in its cache) by tests/images/build.sh, described by
// the manifest.json of its cache directory. The shapes match @autocloud/testing's testImage().
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { CliError } from '../errors.js';
import { type Env, repoPath } from '../paths.js';

export type ImageType = 'qcow2' | 'vagrant-libvirt' | 'vagrant-virtualbox';

export interface DemoImageArtifact {
  /** Absolute path of the file. */
  path: string;
  type: ImageType;
  format: string;
  arch: string;
  size: number;
  sha256: string;
}

export interface DemoImage {
  /** Release version, e.g. 12. */
  release: string;
  qcow2: DemoImageArtifact;
  vagrantLibvirt: DemoImageArtifact;
  vagrantVirtualbox: DemoImageArtifact;
}

interface Manifest {
  release: { version: string };
  images: {
    path: string;
    type: string;
    format: string;
    arch: string;
    size: number;
    checksums: { sha256: string };
  }[];
}

/** The test image in a build.sh cache directory. */
export function readTestImage(dir: string): DemoImage {
  let manifest: Manifest;
  try {
    manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Manifest;
  } catch (err) {
    throw new CliError(`${dir} holds no test image (manifest.json: ${(err as Error).message})`);
  }
  const artifact = (type: ImageType): DemoImageArtifact => {
    const image = manifest.images.find((i) => i.type === type);
    if (!image) throw new CliError(`the test image in ${dir} has no ${type}`);
    return {
      path: join(dir, image.path),
      type,
      format: image.format,
      arch: image.arch,
      size: image.size,
      sha256: image.checksums.sha256,
    };
  };
  return {
    release: manifest.release.version,
    qcow2: artifact('qcow2'),
    vagrantLibvirt: artifact('vagrant-libvirt'),
    vagrantVirtualbox: artifact('vagrant-virtualbox'),
  };
}

/**
 * Runs tests/images/build.sh (as root: through sudo when this is not root) and returns its cache directory.
 * AUTOCLOUD_TEST_IMAGE_DIR names one already built. Every progress line of the build goes to `onLine`.
 */
export async function buildTestImage(
  env: Env,
  onLine: (line: string) => void,
  signal?: AbortSignal,
): Promise<string> {
  if (env.AUTOCLOUD_TEST_IMAGE_DIR) return env.AUTOCLOUD_TEST_IMAGE_DIR;
  const script = repoPath('tests', 'images', 'build.sh');
  const asRoot = process.getuid?.() === 0;
  const [command, args] = asRoot
    ? ['bash', [script]]
    : ['sudo', ['--preserve-env=AUTOCLOUD_IMAGE_CACHE', 'bash', script]];
  const child = spawn(command, args, {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(signal ? { signal } : {}),
  });
  let stdout = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  const tail: string[] = [];
  createInterface({ input: child.stderr, crlfDelay: Infinity }).on('line', (line) => {
    tail.push(line);
    if (tail.length > 20) tail.shift();
    onLine(line);
  });
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (c) => resolve(c));
  }).catch((err: unknown) => {
    if (signal?.aborted) throw signal.reason;
    throw new CliError(
      `could not run ${script}: ${(err as Error).message}`,
      1,
      asRoot ? undefined : 'it needs root (sudo)',
    );
  });
  if (code !== 0) {
    throw new CliError(
      `${script} failed (exit ${code}):\n${tail.join('\n')}`,
      1,
      'see tests/images/README.md',
    );
  }
  return stdout.trim().split('\n').pop() ?? '';
}
