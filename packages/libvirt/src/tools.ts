// The host tools the backend runs besides virsh: qemu-img, xz, genisoimage. Argument vectors only, never a shell.
import { execFile, spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';

export class ToolError extends Error {
  override readonly name = 'ToolError';
  constructor(
    readonly command: string,
    readonly stderr: string,
    options?: { cause?: unknown },
  ) {
    super(`${command}: ${stderr.trim() || 'failed'}`, options);
  }
}

export function run(
  command: string,
  args: readonly string[],
  opts: { timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      command,
      args,
      { timeout: opts.timeoutMs ?? 120_000, signal: opts.signal, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (err) {
          const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
          reject(
            new ToolError(command, missing ? `${command} is not installed` : stderr || err.message, {
              cause: err,
            }),
          );
        } else resolve(stdout);
      },
    );
  });
}

export interface ImageInfo {
  format: string;
  'virtual-size': number;
  'backing-filename'?: string;
}

export async function qemuImgInfo(path: string, signal?: AbortSignal): Promise<ImageInfo> {
  return JSON.parse(
    await run('qemu-img', ['info', '--output=json', path], { timeoutMs: 60_000, signal }),
  ) as ImageInfo;
}

/** A copy-on-write overlay on `base`; the base is never written. */
export async function createOverlay(
  base: string,
  baseFormat: string,
  overlay: string,
  signal?: AbortSignal,
): Promise<void> {
  await run('qemu-img', ['create', '-q', '-f', 'qcow2', '-b', base, '-F', baseFormat, overlay], { signal });
}

export async function convertImage(
  src: string,
  srcFormat: string,
  dest: string,
  destFormat: string,
  signal?: AbortSignal,
): Promise<void> {
  await run('qemu-img', ['convert', '-f', srcFormat, '-O', destFormat, src, dest], {
    timeoutMs: 3_600_000,
    signal,
  });
}

/** xz -dc src > dest. */
export async function decompressXz(src: string, dest: string, signal?: AbortSignal): Promise<void> {
  const child = spawn('xz', ['-dc', '--', src], { stdio: ['ignore', 'pipe', 'pipe'], signal });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', resolve);
  });
  try {
    await pipeline(child.stdout, createWriteStream(dest), signal ? { signal } : {});
  } catch (err) {
    throw new ToolError(
      'xz',
      (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'xz is not installed' : String(err),
      {
        cause: err,
      },
    );
  }
  const code = await exited.catch((err: unknown) => {
    throw new ToolError('xz', String(err), { cause: err });
  });
  if (code !== 0) throw new ToolError('xz', stderr || `exit ${code}`);
}
