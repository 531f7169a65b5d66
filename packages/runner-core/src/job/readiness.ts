// Waiting for a booted VM to be testable, without fixed sleeps: watch the serial console for progress and fatal
// errors, probe SSH until it answers, then let cloud-init finish. Each failure names the stage that failed.
import { setTimeout as sleep } from 'node:timers/promises';
import { type ConsoleWatcher } from '../console/console-watcher.js';
import { type Machine } from '../machine/machine.js';
import { SshConnectError, SshSession, type SshTarget } from '../ssh/ssh-session.js';
import { JobAbort } from './outcome.js';

export interface ReadinessOptions {
  /** From boot to SSH answering. */
  sshDeadlineMs: number;
  /** Once the console shows a login prompt, how long SSH may still take before we stop waiting. */
  sshGraceMs: number;
  /** For `cloud-init status --wait` (cloud-init images only). */
  cloudInitTimeoutMs: number;
  cloudInit: boolean;
  signal: AbortSignal;
  note(line: string): void;
}

export interface Ready {
  session: SshSession;
  /** Boot start to SSH authenticated. */
  sshMs: number;
}

/** Probes SSH until it authenticates, or throws JobAbort('boot' | 'ssh' | 'cancelled'). */
export async function waitForSsh(
  machine: Machine,
  target: SshTarget,
  console: ConsoleWatcher,
  opts: Omit<ReadinessOptions, 'cloudInitTimeoutMs' | 'cloudInit'>,
  startedAt = Date.now(),
): Promise<Ready> {
  const deadline = startedAt + opts.sshDeadlineMs;
  let lastError = 'no answer yet';
  let attempts = 0;
  for (;;) {
    if (opts.signal.aborted) throw cancelled(opts.signal);
    const state = console.state;
    if (state.fatal)
      throw new JobAbort('boot', `the guest cannot boot: "${state.fatal}" on the serial console`);
    if (attempts > 0 && !(await machine.isRunning())) {
      throw new JobAbort('boot', 'the VM stopped before SSH answered (see the serial console log)');
    }
    const now = Date.now();
    if (state.loginPromptAt !== undefined && now - state.loginPromptAt > opts.sshGraceMs) {
      throw new JobAbort(
        'ssh',
        `the guest booted (a login prompt is on the serial console) but SSH on port 22 did not answer within ` +
          `${seconds(opts.sshGraceMs)} s after it: ${lastError}`,
      );
    }
    if (now >= deadline) {
      if (!state.sawOutput)
        throw new JobAbort(
          'boot',
          `nothing on the serial console within ${seconds(opts.sshDeadlineMs)} s of boot`,
        );
      if (!state.sawKernel)
        throw new JobAbort(
          'boot',
          `the kernel did not start within ${seconds(opts.sshDeadlineMs)} s of boot`,
        );
      throw new JobAbort(
        'ssh',
        `SSH did not answer within ${seconds(opts.sshDeadlineMs)} s of boot (${attempts} attempts; last: ${lastError})`,
      );
    }
    attempts += 1;
    try {
      const session = await SshSession.connect(target, {
        timeoutMs: Math.max(1_000, Math.min(20_000, deadline - now)),
        signal: opts.signal,
      });
      return { session, sshMs: Date.now() - startedAt };
    } catch (err) {
      if (!(err instanceof SshConnectError)) throw err;
      lastError = err.message;
      if (/authentication/.test(err.message) && state.loginPromptAt !== undefined) {
        // sshd answers but refuses the key after userspace is up: the login is broken, not slow.
        if (Date.now() - state.loginPromptAt > opts.sshGraceMs)
          throw new JobAbort('ssh', `SSH answered but refused ${target.username}'s key: ${err.message}`);
      }
    }
    await sleep(attempts < 10 ? 500 : 1_000, undefined, { signal: opts.signal }).catch(() => undefined);
  }
}

/** Waits for cloud-init to finish; throws JobAbort('cloud-init') with its report when it failed. */
export async function waitForCloudInit(session: SshSession, opts: ReadinessOptions): Promise<void> {
  if (!opts.cloudInit) return;
  const lines: string[] = [];
  const result = await session.exec('cloud-init status --wait --long', {
    timeoutMs: opts.cloudInitTimeoutMs,
    signal: opts.signal,
    onLine: (line) => {
      if (line.trim() === '') return;
      lines.push(line);
      opts.note(line);
    },
  });
  if (opts.signal.aborted) throw cancelled(opts.signal);
  if (result.timedOut)
    throw new JobAbort(
      'cloud-init',
      `cloud-init did not finish within ${seconds(opts.cloudInitTimeoutMs)} s`,
    );
  if (result.exitCode !== 0) {
    const detail = lines
      .filter((l) => /error|status:|detail/i.test(l))
      .slice(-5)
      .join('; ');
    throw new JobAbort(
      'cloud-init',
      `cloud-init reported a failure (exit ${result.exitCode ?? 'none'})${detail ? `: ${detail}` : ''}`,
    );
  }
}

export function cancelled(signal: AbortSignal): JobAbort {
  const reason: unknown = signal.reason;
  return reason instanceof JobAbort ? reason : new JobAbort('cancelled', 'cancelled');
}

function seconds(ms: number): number {
  return Math.round(ms / 1000);
}
