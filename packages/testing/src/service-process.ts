// Runs a service from source as its own process, so a test can SIGTERM or SIGKILL it like an operator would.
import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';

const root = resolve(import.meta.dirname, '../../..');

export interface ServiceProcess {
  child: ChildProcess;
  output(): string;
  /** Resolves with the exit code (null when killed by a signal). */
  exited: Promise<number | null>;
  /** SIGTERM, then waits for the exit. */
  stop(): Promise<number | null>;
  /** SIGKILL: no shutdown at all. */
  kill(): Promise<void>;
  /** Waits until a log line matches. */
  waitForLog(pattern: RegExp, timeoutMs?: number): Promise<void>;
}

export function spawnService(name: string, env: Record<string, string>, args: string[] = []): ServiceProcess {
  const child = spawn(
    process.execPath,
    ['--conditions=@autocloud/source', '--import', 'tsx', `services/${name}/src/main.ts`, ...args],
    {
      cwd: root,
      env: { ...process.env, LOG_LEVEL: 'debug', HEALTH_PORT: '0', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  const listeners = new Set<() => void>();
  const onData = (chunk: Buffer) => {
    out += chunk.toString();
    for (const l of listeners) l();
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
  return {
    child,
    output: () => out,
    exited,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
    kill: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
    waitForLog: (pattern, timeoutMs = 30_000) =>
      new Promise<void>((res, rej) => {
        const check = () => {
          if (pattern.test(out)) {
            cleanup();
            res();
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          rej(new Error(`${name} never logged ${pattern}; output:\n${out.slice(-4000)}`));
        }, timeoutMs);
        const onExit = () => {
          if (!pattern.test(out)) {
            cleanup();
            rej(new Error(`${name} exited before logging ${pattern}; output:\n${out.slice(-4000)}`));
          }
        };
        const cleanup = () => {
          clearTimeout(timer);
          listeners.delete(check);
          child.off('exit', onExit);
        };
        listeners.add(check);
        child.once('exit', onExit);
        check();
      }),
  };
}
