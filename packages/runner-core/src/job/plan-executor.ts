// Runs a Tunir plan step by step: guest commands over SSH, host commands on the runner, SLEEP and POLL. The first
// gating step that fails stops the plan; every step is reported when it starts and when it ends.
import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { type JobStep, type StepSummary } from '@autocloud/schemas';
import { type Plan, type PlanStep } from '../plan/plan.js';
import { cleanLine, type ExecResult, type SshSession } from '../ssh/ssh-session.js';
import { JobAbort } from './outcome.js';
import { cancelled } from './readiness.js';

export interface PlanContext {
  /** The SSH session to the guest; replaced after POLL. */
  session: SshSession;
  /** Waits for SSH to answer again (after a reboot) and returns the new session. */
  reconnect(): Promise<SshSession>;
  /** Whether the hypervisor still runs the VM. */
  isRunning(): Promise<boolean>;
  /** Writes output lines of a step; returns the line number given to the first. */
  write(text: string, step: number): number;
  /** The next line number that will be given. */
  nextLine(): number;
  /** Reports a step record (started or ended). */
  report(step: JobStep): Promise<void>;
  /** Environment for HOSTCOMMAND/HOSTTEST (how to reach the guest). */
  hostEnv: Record<string, string>;
  signal: AbortSignal;
  /** How long an `@@` command that exited 0 is given to drop the connection (a reboot) before it counts as a pass. */
  dropGraceMs?: number;
}

export interface PlanResult {
  steps: JobStep[];
  /** The gating step that failed, if any. */
  failed?: { step: PlanStep; record: JobStep };
  summary: StepSummary;
}

export async function executePlan(plan: Plan, ctx: PlanContext): Promise<PlanResult> {
  const records: JobStep[] = [];
  let failed: PlanResult['failed'];
  for (const step of plan.steps) {
    if (ctx.signal.aborted) throw cancelled(ctx.signal);
    const started = new Date();
    const firstLine = ctx.nextLine();
    const running: JobStep = {
      idx: step.index,
      command: step.command || describe(step),
      kind: step.kind,
      passed: false,
      started_at: started.toISOString(),
    };
    await ctx.report(running);
    ctx.write(`$ ${label(step)}`, step.index);
    const outcome = await runStep(step, plan, ctx);
    const finished = new Date();
    const lastLine = ctx.nextLine() - 1;
    const record: JobStep = {
      ...running,
      passed: outcome.passed,
      ...(outcome.exitCode !== undefined && outcome.exitCode !== null ? { exit_code: outcome.exitCode } : {}),
      finished_at: finished.toISOString(),
      duration_ms: finished.getTime() - started.getTime(),
      first_line: firstLine,
      last_line: Math.max(firstLine, lastLine),
    };
    if (outcome.note) ctx.write(outcome.note, step.index);
    record.last_line = Math.max(firstLine, ctx.nextLine() - 1);
    records.push(record);
    await ctx.report(record);
    if (!record.passed && step.gating) {
      failed = { step, record };
      break;
    }
  }
  return { steps: records, ...(failed ? { failed } : {}), summary: summarize(plan, records) };
}

interface StepOutcome {
  passed: boolean;
  exitCode?: number | null;
  /** A line for the output explaining a verdict that is not just the exit status. */
  note?: string;
}

async function runStep(step: PlanStep, plan: Plan, ctx: PlanContext): Promise<StepOutcome> {
  const timeoutMs = plan.stepTimeoutS * 1000;
  switch (step.kind) {
    case 'sleep':
      await sleep((step.seconds ?? 0) * 1000, undefined, { signal: ctx.signal }).catch(() => undefined);
      if (ctx.signal.aborted) throw cancelled(ctx.signal);
      return { passed: true };
    case 'poll': {
      ctx.session.close();
      ctx.session = await ctx.reconnect();
      return { passed: true, note: 'SSH answers again' };
    }
    case 'host-command':
    case 'host-test': {
      const result = await runOnHost(step.command, timeoutMs, ctx, step.index);
      if (result.timedOut) throw timeout(step, plan);
      return { passed: result.exitCode === 0, exitCode: result.exitCode };
    }
    default: {
      const result = await ctx.session.exec(step.command, {
        timeoutMs,
        signal: ctx.signal,
        onLine: (line) => ctx.write(line, step.index),
      });
      if (ctx.signal.aborted) throw cancelled(ctx.signal);
      if (result.timedOut) throw timeout(step, plan);
      return judge(step, result, ctx);
    }
  }
}

async function judge(step: PlanStep, result: ExecResult, ctx: PlanContext): Promise<StepOutcome> {
  if (step.kind === 'expected-fail') {
    if (result.connectionLost) return { passed: true, note: 'the connection dropped, as expected' };
    if (result.exitCode !== 0)
      return {
        passed: true,
        exitCode: result.exitCode,
        note: `exit ${result.exitCode ?? result.exitSignal}, as expected`,
      };
    // `sudo reboot` exits 0 and the guest goes down a moment later: that is the expected failure too.
    if (await ctx.session.waitClosed(ctx.dropGraceMs ?? 5_000))
      return { passed: true, exitCode: 0, note: 'the connection dropped after the command, as expected' };
    return { passed: false, exitCode: 0, note: 'exit 0, but this step was expected to fail' };
  }
  if (result.connectionLost) {
    if (!(await ctx.isRunning()))
      throw new JobAbort(
        'infrastructure',
        `the VM stopped while step ${step.index + 1} ran (plan line ${step.line})`,
      );
    return { passed: false, exitCode: null, note: 'the SSH connection dropped during this step' };
  }
  if (result.exitCode === null)
    return { passed: false, exitCode: null, note: `killed by signal ${result.exitSignal ?? 'unknown'}` };
  return {
    passed: result.exitCode === 0,
    exitCode: result.exitCode,
    ...(result.exitCode !== 0 ? { note: `exit ${result.exitCode}` } : {}),
  };
}

function runOnHost(
  command: string,
  timeoutMs: number,
  ctx: PlanContext,
  index: number,
): Promise<{ exitCode: number | null; timedOut: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn('sh', ['-c', command], {
      env: { ...process.env, ...ctx.hostEnv },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let timedOut = false;
    const kill = () => {
      if (child.pid) {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      kill();
    }, timeoutMs);
    ctx.signal.addEventListener('abort', kill, { once: true });
    let partial = '';
    const emit = (chunk: Buffer) => {
      const parts = (partial + chunk.toString('utf8')).split('\n');
      partial = parts.pop() ?? '';
      for (const part of parts) ctx.write(cleanLine(part), index);
    };
    child.stdout.on('data', emit);
    child.stderr.on('data', emit);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      ctx.signal.removeEventListener('abort', kill);
      if (partial) ctx.write(cleanLine(partial), index);
      if (ctx.signal.aborted) reject(cancelled(ctx.signal));
      else resolve({ exitCode: code, timedOut });
    });
  });
}

function timeout(step: PlanStep, plan: Plan): JobAbort {
  return new JobAbort(
    'timeout',
    `step ${step.index + 1} (plan line ${step.line}: ${step.command}) did not finish within ${plan.stepTimeoutS} s`,
  );
}

function describe(step: PlanStep): string {
  return step.kind === 'sleep' ? `SLEEP ${step.seconds ?? 0}` : step.kind === 'poll' ? 'POLL' : step.command;
}

function label(step: PlanStep): string {
  switch (step.kind) {
    case 'non-gating':
      return `## ${step.command}`;
    case 'expected-fail':
      return `@@ ${step.command}`;
    case 'host-command':
      return `HOSTCOMMAND: ${step.command}`;
    case 'host-test':
      return `HOSTTEST: ${step.command}`;
    default:
      return describe(step);
  }
}

export function summarize(plan: Plan, records: readonly JobStep[]): StepSummary {
  const passed = records.filter((r) => r.passed).length;
  return {
    total: plan.steps.length,
    passed,
    failed: records.length - passed,
    skipped: plan.steps.length - records.length,
  };
}
