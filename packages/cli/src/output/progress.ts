// Progress of one job, read from its output lines (DESIGN §6: the fetcher's `fetch: …` lines, the runner's
// `image: X of Y MiB copied`, `boot: … started under …`, `boot: SSH answered …`) and step records, drawn as a
// one-line bar; the lines worth keeping in the scrollback are returned as milestones.

export type Phase = 'queued' | 'fetch' | 'waiting' | 'copy' | 'boot' | 'test' | 'done';

export interface ProgressStep {
  idx: number;
  command: string;
  state: string;
  passed: boolean;
}

const FETCH_PROGRESS = /^fetch: (\S+ \S+) of (\S+ \S+) \((\d+)%\)(?: at (.+))?$/;
const COPY_PROGRESS = /^image: (\d+(?:\.\d+)?) of (\d+(?:\.\d+)?) MiB copied/;
const BOOT_STARTED = /^boot: (\S+) started under ([^;]+)/;
const SSH_ANSWERED = /^boot: SSH answered .* after (\d+(?:\.\d+)?) s/;

/** Lines that only report progress: a bar shows them on a terminal. */
export function isProgressLine(text: string): boolean {
  return FETCH_PROGRESS.test(text) || COPY_PROGRESS.test(text);
}

export class JobProgress {
  phase: Phase = 'queued';
  fraction: number | undefined;
  detail = 'queued';
  hypervisor: string | undefined;
  bootStartedAt: number | undefined;
  bootSeconds: number | undefined;
  passed = 0;
  failed = 0;
  status: string | undefined;

  /** Applies an output line; returns it when it is a milestone worth printing on its own line. */
  line(text: string, at: number = Date.now()): string | undefined {
    let m: RegExpExecArray | null;
    if ((m = FETCH_PROGRESS.exec(text))) {
      this.set('fetch', Number(m[3]) / 100, `fetch ${m[1]} of ${m[2]}${m[4] ? ` at ${m[4]}` : ''}`);
      return undefined;
    }
    if ((m = COPY_PROGRESS.exec(text))) {
      const total = Number(m[2]);
      this.set(
        'copy',
        total > 0 ? Number(m[1]) / total : undefined,
        `copy to the runner ${m[1]} of ${m[2]} MiB`,
      );
      return undefined;
    }
    if ((m = BOOT_STARTED.exec(text))) {
      this.hypervisor = m[2]!.trim();
      this.bootStartedAt = at;
      this.set('boot', undefined, `boot under ${this.hypervisor}`);
      return text;
    }
    if ((m = SSH_ANSWERED.exec(text))) {
      this.bootSeconds = Number(m[1]);
      this.set('test', undefined, `SSH answered after ${m[1]} s; running the test plan`);
      return text;
    }
    if (text.startsWith('fetch: ')) {
      if (/already stored|verified image stored/.test(text))
        this.set('waiting', 1, 'image ready; waiting for a runner');
      else if (text.startsWith('fetch: failed')) this.set('fetch', this.fraction, 'fetch failed');
      else if (this.phase === 'queued') this.set('fetch', 0, 'fetch starting');
      return text;
    }
    if (/^runner \S+ .*took the job/.test(text)) {
      this.set('copy', undefined, 'a runner took the job');
      return text;
    }
    if (text.startsWith('boot: ')) {
      if (this.phase !== 'test') this.detail = text.slice('boot: '.length);
      return text;
    }
    return undefined;
  }

  /** Applies a step record; returns a milestone when the step ended. */
  step(step: ProgressStep): string | undefined {
    if (step.state === 'running') {
      this.set('test', undefined, `step ${step.idx}: ${step.command}`);
      return undefined;
    }
    if (step.passed) this.passed++;
    else this.failed++;
    this.set('test', undefined, `step ${step.idx} ${step.passed ? 'passed' : 'failed'}: ${step.command}`);
    return `step ${step.idx} ${step.passed ? 'passed' : 'FAILED'}: ${step.command}`;
  }

  end(status: string): void {
    this.status = status;
    this.set('done', 1, status);
  }

  /** `[████████░░░░░░░░] 45% fetch 54.0 MiB of 120.9 MiB at 30.2 MiB/s`; an unknown fraction bounces. */
  render(width: number, now: number = Date.now()): string {
    const barWidth = Math.max(10, Math.min(30, width - 40));
    let bar: string;
    let percent = '    ';
    if (this.fraction !== undefined) {
      const filled = Math.round(Math.min(1, Math.max(0, this.fraction)) * barWidth);
      bar = '█'.repeat(filled) + '░'.repeat(barWidth - filled);
      percent = `${String(Math.round(this.fraction * 100)).padStart(3)}%`;
    } else {
      const block = Math.max(3, Math.floor(barWidth / 5));
      const span = barWidth - block;
      const step = Math.floor(now / 150) % (2 * span);
      const at = step < span ? step : 2 * span - step;
      bar = '░'.repeat(at) + '█'.repeat(block) + '░'.repeat(span - at);
    }
    let detail = this.detail;
    if (this.phase === 'boot' && this.bootStartedAt !== undefined) {
      detail += ` (${Math.max(0, Math.round((now - this.bootStartedAt) / 1000))} s)`;
    }
    if (this.phase === 'test' && this.passed + this.failed > 0) {
      detail += ` [${this.passed} passed${this.failed ? `, ${this.failed} failed` : ''}]`;
    }
    return `[${bar}] ${percent} ${detail}`;
  }

  private set(phase: Phase, fraction: number | undefined, detail: string): void {
    this.phase = phase;
    this.fraction = fraction;
    this.detail = detail;
  }
}
