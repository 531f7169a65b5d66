// One run work item from start to end: announce it, get the image, boot it through the backend, wait until it is
// testable, run its plan with live output and step records, keep the artifacts, destroy the VM, and say how it
// ended. Cancel requests and shutdown stop it at any point; nothing the job created outlives it.
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { type Bus, type HandlerContext, OutputWriter, RetryableError } from '@autocloud/bus';
import {
  imageEventForWork,
  subjects,
  type ImageEvent,
  type JobStep,
  type RunWorkItem,
  type StepSummary,
} from '@autocloud/schemas';
import { type Logger } from '@autocloud/telemetry';
import { type ImageCache } from '../cache/image-cache.js';
import { ConsoleWatcher } from '../console/console-watcher.js';
import { BackendError, type Backend, type Machine } from '../machine/machine.js';
import { parsePlan, PlanParseError, type Plan } from '../plan/plan.js';
import { type SshSession, type SshTarget } from '../ssh/ssh-session.js';
import { collectArtifacts } from './artifacts.js';
import { loginFor } from './login.js';
import { JobAbort } from './outcome.js';
import { executePlan } from './plan-executor.js';
import { cancelled, waitForCloudInit, waitForSsh } from './readiness.js';
import { type ActiveJobs } from './active-jobs.js';

export interface JobTimeouts {
  /** Boot to SSH, on a hypervisor with slowdown 1 (scaled by the backend's slowdown). */
  bootS: number;
  /** After a login prompt appeared, how long SSH may still take (scaled). */
  sshGraceS: number;
  /** cloud-init status --wait (scaled). */
  cloudInitS: number;
}

export interface JobRunnerDeps {
  bus: Bus;
  backend: Backend;
  cache: ImageCache;
  plansDir: string;
  /** Per-job directories live under it (the backend's reaper cleans it after a crash). */
  workRoot: string;
  runner: string;
  timeouts: JobTimeouts;
  memoryMiB: number;
  cpus: number;
  active: ActiveJobs;
  log: Logger;
}

type Verdict = {
  status: 'success' | 'failed' | 'aborted';
  reason?: string;
  reason_code?: ImageEvent['reason_code'];
};

export class JobRunner {
  constructor(private readonly deps: JobRunnerDeps) {}

  async handle(item: RunWorkItem, ctx: HandlerContext): Promise<void> {
    const { bus, backend, log } = this.deps;
    const started = Date.now();
    const jobLog = log.child({ job_id: item.job_id, image: item.image.image_name });
    const out = new OutputWriter(bus, item.job_id, {
      firstLine: await nextFreeLine(bus, item),
      log: jobLog,
    });
    const cancel = new AbortController();
    const signal = AbortSignal.any([cancel.signal, ctx.signal]);
    this.deps.active.add(item.job_id, cancel);
    const workDir = join(this.deps.workRoot, `job-${item.job_id}`);
    const state: JobState = { steps: [], consoleLog: undefined };
    let verdict: Verdict;
    let machine: Machine | undefined;
    let session: SshSession | undefined;
    let destroying: Promise<void> | undefined;
    const destroyMachine = (): Promise<void> =>
      (destroying ??= (machine?.destroy() ?? Promise.resolve()).catch((err: unknown) =>
        jobLog.error({ err }, 'could not destroy the VM'),
      ));
    // A cancelled job's VM goes at once, not after the plan and the SSH session have unwound (a slow guest can take
    // its time to close a channel).
    cancel.signal.addEventListener('abort', () => void (machine && destroyMachine()), { once: true });
    let bootMs: number | undefined;
    let summary: StepSummary | undefined;
    const system = (text: string) => out.write(text, { stream: 'system' });

    try {
      await bus.publish(
        subjects.imageRunning,
        imageEventForWork(item, 'running', { runner: this.deps.runner, duration_ms: 0 }),
      );
      system(`runner ${this.deps.runner} (${backend.name}) took the job, delivery ${ctx.deliveryCount}`);
      const plan = await this.loadPlan(item.plan);
      await rm(workDir, { recursive: true, force: true });
      await mkdir(workDir, { recursive: true });

      const imagePath = await this.deps.cache.acquire(item.object, item.image.sha256, {
        signal,
        onProgress: (bytes, total) =>
          out.write(`image: ${mib(bytes)} of ${mib(total)} MiB copied to this host`, { stream: 'boot' }),
      });
      try {
        const login = loginFor(item.image.type, item.job_id);
        const bootStart = Date.now();
        machine = await backend.boot(
          {
            jobId: item.job_id,
            imagePath,
            imageType: item.image.type,
            sha256: item.image.sha256,
            arch: item.image.arch,
            login,
            cloudInit: login.cloudInit,
            workDir,
            memoryMiB: this.deps.memoryMiB,
            cpus: this.deps.cpus,
          },
          signal,
        );
        state.consoleLog = machine.serialLogPath;
        out.write(
          `boot: ${machine.name} started under ${machine.hypervisor}; SSH on ${machine.ssh.host}:${machine.ssh.port}`,
          {
            stream: 'boot',
          },
        );
        let booting = true;
        const console = new ConsoleWatcher(machine.serialLogPath, (line) => {
          if (booting) out.write(line, { stream: 'console' });
        });
        console.start();
        try {
          const scale = backend.slowdown;
          const target: SshTarget = {
            ...machine.ssh,
            username: login.username,
            privateKey: login.privateKey,
          };
          const readiness = {
            sshDeadlineMs: this.deps.timeouts.bootS * scale * 1000,
            sshGraceMs: this.deps.timeouts.sshGraceS * scale * 1000,
            signal,
            note: (line: string) => out.write(line, { stream: 'boot' }),
          };
          const ready = await waitForSsh(machine, target, console, readiness, bootStart);
          session = ready.session;
          bootMs = ready.sshMs;
          out.write(`boot: SSH answered as ${login.username} after ${(bootMs / 1000).toFixed(1)} s`, {
            stream: 'boot',
          });
          await waitForCloudInit(session, {
            ...readiness,
            cloudInit: login.cloudInit,
            cloudInitTimeoutMs: this.deps.timeouts.cloudInitS * scale * 1000,
          });
          booting = false;
          const running = machine;
          const result = await executePlan(plan, {
            session,
            reconnect: async () => {
              console.rebooting();
              const again = await waitForSsh(running, target, console, readiness, Date.now());
              session = again.session;
              return again.session;
            },
            isRunning: () => running.isRunning(),
            write: (text, step) => out.write(text, { step, stream: 'test' }),
            nextLine: () => out.nextLine,
            // A step record names its output lines: they are stored before it is.
            report: async (step) => {
              await out.flush();
              await this.reportStep(item, ctx, state, step);
            },
            hostEnv: {
              AUTOCLOUD_JOB_ID: String(item.job_id),
              AUTOCLOUD_SSH_HOST: running.ssh.host,
              AUTOCLOUD_SSH_PORT: String(running.ssh.port),
              AUTOCLOUD_SSH_USER: login.username,
            },
            signal,
            // `sudo reboot` returns before the guest's sshd is stopped; a slow guest takes a while to get there.
            dropGraceMs: 15_000 * scale,
          });
          summary = result.summary;
          verdict = result.failed
            ? {
                status: 'failed',
                reason_code: 'test',
                reason: `step ${result.failed.step.index + 1} failed (plan line ${result.failed.step.line}): ${result.failed.step.command}`,
              }
            : { status: 'success' };
        } finally {
          booting = false;
          await console.stop();
        }
      } finally {
        this.deps.cache.release(item.image.sha256);
      }
    } catch (err) {
      verdict = this.classify(err, signal, cancel.signal, jobLog);
    }

    // The job has ended (or the runner is stopping): keep the evidence, then remove the VM.
    if (session && !session.isClosed && !signal.aborted) state.guestLogs = await collectGuestLogs(session);
    session?.close();
    if (machine) await destroyMachine();
    const shuttingDown = ctx.signal.aborted && !cancel.signal.aborted;
    if (!shuttingDown) {
      await collectArtifacts(bus, item.job_id, {
        serialConsole: state.consoleLog ? await readFile(state.consoleLog).catch(() => undefined) : undefined,
        guestLogs: state.guestLogs ?? {},
        steps: state.steps,
        log: jobLog,
      });
    }
    await rm(workDir, { recursive: true, force: true }).catch(() => undefined);
    this.deps.active.delete(item.job_id);

    if (shuttingDown) {
      system('runner is stopping: the job goes back to the queue for another runner');
      await out.flush();
      throw new RetryableError('runner stopping');
    }
    if (verdict.status === 'aborted') system(`aborted (${verdict.reason_code}): ${verdict.reason}`);
    else if (verdict.status === 'failed') system(`failed: ${verdict.reason}`);
    else system('every gating step passed');
    await out.flush();
    await bus.publish(
      verdict.status === 'success'
        ? subjects.imageSuccess
        : verdict.status === 'failed'
          ? subjects.imageFailed
          : subjects.imageAborted,
      imageEventForWork(item, verdict.status, {
        ...(verdict.reason ? { reason: verdict.reason } : {}),
        ...(verdict.reason_code ? { reason_code: verdict.reason_code } : {}),
        duration_ms: Date.now() - started,
        ...(summary ? { summary } : {}),
        ...(machine ? { hypervisor: machine.hypervisor } : {}),
        ...(bootMs !== undefined ? { boot_ms: bootMs } : {}),
        runner: this.deps.runner,
      }),
    );
    jobLog.info({ status: verdict.status, reason: verdict.reason, boot_ms: bootMs }, 'job finished');
  }

  private async loadPlan(name: string): Promise<Plan> {
    const file = join(this.deps.plansDir, name.endsWith('.txt') ? name : `${name}.txt`);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      throw new JobAbort('infrastructure', `test plan ${name} not found in ${this.deps.plansDir}`, {
        cause: err,
      });
    }
    try {
      return parsePlan(name, text);
    } catch (err) {
      if (err instanceof PlanParseError) throw new JobAbort('infrastructure', err.message, { cause: err });
      throw err;
    }
  }

  private async reportStep(
    item: RunWorkItem,
    ctx: HandlerContext,
    state: JobState,
    step: JobStep,
  ): Promise<void> {
    const at = state.steps.findIndex((s) => s.idx === step.idx);
    if (at >= 0) state.steps[at] = step;
    else state.steps.push(step);
    await this.deps.bus
      .publish(subjects.jobSteps(item.job_id), { job_id: item.job_id, run: ctx.deliveryCount, steps: [step] })
      .catch((err: unknown) =>
        this.deps.log.warn({ err, job_id: item.job_id }, 'could not publish a step record'),
      );
  }

  private classify(err: unknown, signal: AbortSignal, cancelSignal: AbortSignal, log: Logger): Verdict {
    if (cancelSignal.aborted) {
      const c = cancelled(cancelSignal);
      return { status: 'aborted', reason_code: 'cancelled', reason: c.message };
    }
    if (signal.aborted)
      return { status: 'aborted', reason_code: 'infrastructure', reason: 'runner stopping' };
    if (err instanceof JobAbort)
      return { status: 'aborted', reason_code: err.reasonCode, reason: err.message };
    if (err instanceof BackendError)
      return { status: 'aborted', reason_code: err.reasonCode, reason: err.message };
    log.error({ err }, 'job ended by an unexpected error');
    return {
      status: 'aborted',
      reason_code: 'infrastructure',
      reason: `runner error: ${err instanceof Error ? err.message : String(err)}`,
    };
  }
}

interface JobState {
  steps: JobStep[];
  consoleLog: string | undefined;
  guestLogs?: Record<string, Buffer>;
}

const GUEST_LOGS: Record<string, string> = {
  'cloud-init.log': '/var/log/cloud-init.log',
  'cloud-init-output.log': '/var/log/cloud-init-output.log',
};

/** Reads the guest's cloud-init logs over SSH (whatever exists; a failure here never changes the verdict). */
async function collectGuestLogs(session: SshSession): Promise<Record<string, Buffer>> {
  const logs: Record<string, Buffer> = {};
  for (const [name, path] of Object.entries(GUEST_LOGS)) {
    const lines: string[] = [];
    const result = await session
      .exec(`sudo -n cat ${path}`, { timeoutMs: 30_000, onLine: (line) => lines.push(line) })
      .catch(() => undefined);
    if (result?.exitCode === 0) logs[name] = Buffer.from(lines.join('\n') + '\n');
  }
  return logs;
}

/** The first output line number this run may use: after what the fetcher and earlier deliveries wrote. */
async function nextFreeLine(bus: Bus, item: RunWorkItem): Promise<number> {
  const fromItem = item.next_output_line ?? 1;
  try {
    const last = await bus.jsm.streams.getMessage('OUTPUT', {
      last_by_subj: subjects.jobOutput(item.job_id),
    });
    if (!last) return fromItem;
    const body = last.json<{ lines?: { n: number }[] }>();
    const n = body.lines?.at(-1)?.n ?? 0;
    return Math.max(fromItem, n + 1);
  } catch {
    return fromItem;
  }
}

function mib(bytes: number): string {
  return (bytes / 1024 / 1024).toFixed(0);
}
