// Test plans in Tunir's syntax, so existing Tunir job files run unchanged: one shell command per line; `## cmd` does
// not gate the job; `@@ cmd` is expected to fail (e.g. `@@ sudo reboot`); `SLEEP N`; `POLL` waits for SSH again;
// `HOSTCOMMAND: cmd` runs on the runner host; `HOSTTEST: cmd` runs on the host and gates like a test.
// Plans may also carry `# autocloud: timeout=<seconds>` (the per-step timeout); other `# ` lines are comments.

export type StepKind =
  'command' | 'non-gating' | 'expected-fail' | 'sleep' | 'poll' | 'host-command' | 'host-test';

export interface PlanStep {
  /** Position among the steps, from 0. */
  index: number;
  /** Line of the plan file it came from, from 1. */
  line: number;
  kind: StepKind;
  /** The shell command (empty for sleep and poll). */
  command: string;
  /** SLEEP's duration. */
  seconds?: number;
  /** Whether a failure of this step ends the job as failed. */
  gating: boolean;
}

export interface Plan {
  name: string;
  steps: PlanStep[];
  /** Per-step timeout in seconds (default 600). */
  stepTimeoutS: number;
}

export const DEFAULT_STEP_TIMEOUT_S = 600;

/** A plan that cannot be run; every problem carries its line number. */
export class PlanParseError extends Error {
  override readonly name = 'PlanParseError';
  readonly code = 'PLAN_INVALID';
  constructor(
    readonly plan: string,
    readonly problems: string[],
  ) {
    super(`test plan ${plan} is invalid:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

export function parsePlan(name: string, text: string): Plan {
  const steps: PlanStep[] = [];
  const problems: string[] = [];
  let stepTimeoutS = DEFAULT_STEP_TIMEOUT_S;
  const add = (line: number, kind: StepKind, command: string, extra: Partial<PlanStep> = {}) =>
    steps.push({
      index: steps.length,
      line,
      kind,
      command,
      gating: kind !== 'non-gating' && kind !== 'host-command',
      ...extra,
    });

  text.split(/\r?\n/).forEach((raw, i) => {
    const line = i + 1;
    const trimmed = raw.trim();
    if (trimmed === '') return;
    if (trimmed.startsWith('## ') || trimmed === '##') {
      const command = trimmed.slice(2).trim();
      if (!command) problems.push(`line ${line}: "##" needs a command after it`);
      else add(line, 'non-gating', command);
      return;
    }
    if (trimmed.startsWith('@@')) {
      const command = trimmed.slice(2).trim();
      if (!command) problems.push(`line ${line}: "@@" needs a command after it`);
      else add(line, 'expected-fail', command);
      return;
    }
    if (trimmed.startsWith('#')) {
      const directive = /^#\s*autocloud:\s*(.*)$/.exec(trimmed);
      if (directive) {
        const timeout = /^timeout=(\d+)$/.exec(directive[1]!.trim());
        if (timeout && Number(timeout[1]) > 0) stepTimeoutS = Number(timeout[1]);
        else problems.push(`line ${line}: unknown directive "${directive[1]}" (known: timeout=<seconds>)`);
      }
      return;
    }
    const sleep = /^SLEEP(?:\s+(.*))?$/.exec(trimmed);
    if (sleep) {
      const seconds = Number(sleep[1]);
      if (!sleep[1] || !/^\d+(\.\d+)?$/.test(sleep[1]) || seconds <= 0) {
        problems.push(`line ${line}: SLEEP needs a number of seconds, got "${sleep[1] ?? ''}"`);
      } else add(line, 'sleep', '', { seconds });
      return;
    }
    if (trimmed === 'POLL') return add(line, 'poll', '');
    if (/^POLL\b/.test(trimmed)) return problems.push(`line ${line}: POLL takes no arguments`);
    const host = /^HOST(COMMAND|TEST):(.*)$/.exec(trimmed);
    if (host) {
      const command = host[2]!.trim();
      const kind = host[1] === 'COMMAND' ? 'host-command' : 'host-test';
      if (!command) problems.push(`line ${line}: HOST${host[1]}: needs a command`);
      else add(line, kind, command);
      return;
    }
    add(line, 'command', trimmed);
  });

  if (steps.length === 0 && problems.length === 0) problems.push('the plan has no steps');
  if (problems.length > 0) throw new PlanParseError(name, problems);
  return { name, steps, stepTimeoutS };
}
