// An exclusive lock between processes: flock(2) on a lock file. Node has no flock, so util-linux's flock(1) takes
// the lock on a descriptor it shares with this process (the same open file description) and exits; the lock stays
// held until this process closes its descriptor, and the kernel releases it when the process dies, so a crashed
// holder never leaves a stale lock behind.
import { spawn } from 'node:child_process';
import { open } from 'node:fs/promises';
import { BackendError } from '../machine/machine.js';

export interface FileLock {
  release(): Promise<void>;
}

/** Waits for an exclusive lock on `path` (created if missing) for at most `timeoutMs`. */
export async function lockFile(
  path: string,
  opts: { timeoutMs: number; signal?: AbortSignal },
): Promise<FileLock> {
  const handle = await open(path, 'a', 0o644);
  try {
    await new Promise<void>((resolve, reject) => {
      const child = spawn('flock', ['--exclusive', '--timeout', String(opts.timeoutMs / 1000), '3'], {
        stdio: ['ignore', 'ignore', 'pipe', handle.fd],
        ...(opts.signal ? { signal: opts.signal } : {}),
      });
      let stderr = '';
      child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      child.on('error', (err: NodeJS.ErrnoException) => {
        if (opts.signal?.aborted) return reject(opts.signal.reason as Error);
        if (err.code === 'ENOENT') {
          return reject(
            new BackendError('infrastructure', 'flock (util-linux) is not installed on this runner'),
          );
        }
        reject(err);
      });
      child.on('close', (code) => {
        if (code === 0) return resolve();
        if (opts.signal?.aborted) return reject(opts.signal.reason as Error);
        const why = stderr.trim() || `no lock within ${opts.timeoutMs} ms`;
        reject(new BackendError('infrastructure', `could not lock ${path}: ${why}`));
      });
    });
  } catch (err) {
    await handle.close();
    throw err;
  }
  let released = false;
  return {
    release: async () => {
      if (released) return;
      released = true;
      await handle.close();
    },
  };
}
