// Supervises child processes: starts them, hands over every output line, notices when one is ready, restarts one
// that crashed (with backoff), and stops them all with SIGTERM (SIGKILL after a grace period).
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface ChildSpec {
  name: string;
  command: string;
  args: string[];
  cwd: string;
  env: Record<string, string | undefined>;
  /** Whether a line of its output says it is ready. */
  isReadyLine(line: string): boolean;
  /** Its own process group, so a terminal's Ctrl-C reaches it only through the supervisor. */
  detached?: boolean;
  /** What asks it to stop (SIGTERM). */
  stopSignal?: NodeJS.Signals;
  /** Exit codes that mean "will fail the same way again" (a configuration error): not restarted. */
  permanentExitCodes?: number[];
}

export type SupervisorEvent =
  | { kind: 'started'; name: string; pid: number }
  | { kind: 'ready'; name: string }
  | { kind: 'exited'; name: string; code: number | null; signal: NodeJS.Signals | null; restartInMs?: number }
  | { kind: 'failed'; name: string; code: number | null; reason: string };

export interface SupervisorOptions {
  onLine(name: string, line: string): void;
  onEvent?(event: SupervisorEvent): void;
  /** Restart delays: base doubling up to max; reset once a process ran for resetAfterMs. */
  restart?: { baseMs: number; maxMs: number; resetAfterMs: number };
  /** SIGTERM, then SIGKILL after this long. */
  stopTimeoutMs?: number;
}

interface Managed {
  spec: ChildSpec;
  child: ChildProcess | undefined;
  exited: Promise<void> | undefined;
  ready: boolean;
  startedAt: number;
  failures: number;
  restartTimer: NodeJS.Timeout | undefined;
  /** Ended for good (permanent failure). */
  failed: boolean;
}

export class Supervisor {
  private readonly children = new Map<string, Managed>();
  private stopping = false;
  private readonly waiters = new Set<() => void>();

  constructor(private readonly opts: SupervisorOptions) {}

  start(spec: ChildSpec): void {
    if (this.stopping) return;
    const managed: Managed = {
      spec,
      child: undefined,
      exited: undefined,
      ready: false,
      startedAt: 0,
      failures: 0,
      restartTimer: undefined,
      failed: false,
    };
    this.children.set(spec.name, managed);
    this.launch(managed);
  }

  /** Current pid of each child (null while it is not running). */
  pids(): Record<string, number | null> {
    return Object.fromEntries(
      [...this.children].map(([name, m]) => [name, m.child && alive(m.child) ? (m.child.pid ?? null) : null]),
    );
  }

  isReady(name: string): boolean {
    return this.children.get(name)?.ready ?? false;
  }

  /** Resolves once every named child is ready; rejects when one fails for good or `signal` aborts. */
  whenReady(names: readonly string[], signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const failed = names.find((n) => this.children.get(n)?.failed);
        if (failed) {
          done();
          reject(new Error(`${failed} failed to start`));
        } else if (names.every((n) => this.isReady(n))) {
          done();
          resolve();
        }
      };
      const onAbort = () => {
        done();
        reject(signal?.reason as Error);
      };
      const done = () => {
        this.waiters.delete(check);
        signal?.removeEventListener('abort', onAbort);
      };
      this.waiters.add(check);
      signal?.addEventListener('abort', onAbort, { once: true });
      check();
    });
  }

  /** Stops every child; resolves true when all exited by themselves within the grace period. */
  async stop(): Promise<boolean> {
    this.stopping = true;
    const graceMs = this.opts.stopTimeoutMs ?? 20_000;
    const running = [...this.children.values()];
    for (const m of running) clearTimeout(m.restartTimer);
    let clean = true;
    await Promise.all(
      running.map(async (m) => {
        const child = m.child;
        if (!child || !m.exited || !alive(child)) return;
        const stopSignal = m.spec.stopSignal ?? 'SIGTERM';
        child.kill(stopSignal);
        let timer: NodeJS.Timeout | undefined;
        const killed = await Promise.race([
          m.exited.then(() => false),
          new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), graceMs))),
        ]);
        clearTimeout(timer);
        if (killed) {
          clean = false;
          this.kill(child);
          await m.exited;
        } else if (child.exitCode !== 0 && child.signalCode !== stopSignal && child.signalCode !== 'SIGINT') {
          clean = false;
        }
      }),
    );
    return clean;
  }

  /** SIGKILL everything now (a second Ctrl-C). */
  killAll(): void {
    this.stopping = true;
    for (const m of this.children.values()) {
      clearTimeout(m.restartTimer);
      if (m.child && alive(m.child)) this.kill(m.child);
    }
  }

  private kill(child: ChildProcess): void {
    try {
      child.kill('SIGKILL');
    } catch {
      // Already gone.
    }
  }

  private launch(m: Managed): void {
    const { spec } = m;
    const child = spawn(spec.command, spec.args, {
      cwd: spec.cwd,
      env: spec.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: spec.detached ?? false,
    });
    m.child = child;
    m.ready = false;
    m.startedAt = Date.now();
    let spawnError: Error | undefined;
    m.exited = new Promise<void>((resolve) => {
      child.once('error', (err) => {
        spawnError = err;
        // A process that never started emits no 'exit'.
        if (child.pid === undefined) {
          this.onExit(m, null, null, err);
          resolve();
        }
      });
      child.once('exit', (code, signal) => {
        // 'exit' can come before the last output line: wait for the pipes to close.
        const closed = new Promise<void>((r) => child.once('close', () => r()));
        void closed.then(() => {
          this.onExit(m, code, signal, spawnError);
          resolve();
        });
      });
    });
    for (const stream of [child.stdout, child.stderr]) {
      if (!stream) continue;
      createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => {
        this.opts.onLine(spec.name, line);
        if (!m.ready && m.child === child && spec.isReadyLine(line)) {
          m.ready = true;
          this.opts.onEvent?.({ kind: 'ready', name: spec.name });
          this.notify();
        }
      });
    }
    if (child.pid !== undefined) this.opts.onEvent?.({ kind: 'started', name: spec.name, pid: child.pid });
  }

  private onExit(m: Managed, code: number | null, signal: NodeJS.Signals | null, error?: Error): void {
    m.ready = false;
    const { name } = m.spec;
    if (this.stopping) {
      this.opts.onEvent?.({ kind: 'exited', name, code, signal });
      this.notify();
      return;
    }
    if (error && m.child?.pid === undefined) {
      m.failed = true;
      this.opts.onEvent?.({ kind: 'failed', name, code, reason: `could not start: ${error.message}` });
    } else if (code !== null && (m.spec.permanentExitCodes ?? []).includes(code)) {
      m.failed = true;
      this.opts.onEvent?.({ kind: 'failed', name, code, reason: `exited with ${code}` });
    } else {
      const restart = this.opts.restart ?? { baseMs: 1_000, maxMs: 30_000, resetAfterMs: 60_000 };
      if (Date.now() - m.startedAt >= restart.resetAfterMs) m.failures = 0;
      const delay = Math.min(restart.baseMs * 2 ** m.failures, restart.maxMs);
      m.failures++;
      this.opts.onEvent?.({ kind: 'exited', name, code, signal, restartInMs: delay });
      m.restartTimer = setTimeout(() => {
        if (!this.stopping) this.launch(m);
      }, delay);
    }
    this.notify();
  }

  private notify(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}

function alive(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}
