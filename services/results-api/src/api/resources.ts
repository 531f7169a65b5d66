// Rows to API resources: the one place that decides what a compose, a job, a step and a line look like over HTTP.
import { type Compose, type Job, type JobStep, type OutputLine } from '@autocloud/db';
import {
  type ComposeResource,
  type JobResource,
  type OutputLineResource,
  type StepResource,
} from '@autocloud/schemas';

const iso = (d: Date | string): string => (d instanceof Date ? d.toISOString() : new Date(d).toISOString());
const isoOrNull = (d: Date | string | null): string | null => (d === null ? null : iso(d));

export function composeResource(c: Compose): ComposeResource {
  return {
    compose_job_id: c.compose_job_id,
    compose_id: c.compose_id,
    location: c.location,
    release: c.release,
    date: c.date,
    respin: c.respin,
    type: c.type,
    label: c.label,
    pungi_status: c.pungi_status,
    status: c.status,
    reason: c.reason,
    job_count: c.job_count,
    passed: c.passed,
    failed: c.failed,
    aborted: c.aborted,
    trace_id: c.trace_id,
    created_at: iso(c.created_at),
    started_at: isoOrNull(c.started_at),
    completed_at: isoOrNull(c.completed_at),
  };
}

export function jobResource(j: Job): JobResource {
  return {
    job_id: j.job_id,
    compose_job_id: j.compose_job_id,
    compose_id: j.compose_id,
    image_name: j.image_name,
    image: j.image_key,
    image_url: j.image_url,
    image_path: j.image_path,
    sha256: j.sha256,
    size: j.size,
    type: j.type,
    format: j.format,
    variant: j.variant,
    subvariant: j.subvariant,
    arch: j.arch,
    family: j.family,
    release: j.release,
    backend: j.backend,
    plan: j.plan,
    status: j.status,
    reason: j.reason,
    reason_code: j.reason_code,
    attempt: j.attempt,
    rerun_of: j.rerun_of,
    superseded: j.superseded,
    hypervisor: j.hypervisor,
    runner: j.runner,
    trace_id: j.trace_id,
    summary: j.summary,
    boot_ms: j.boot_ms,
    duration_ms: j.duration_ms,
    output_lines: j.output_lines,
    queued_at: iso(j.queued_at),
    started_at: isoOrNull(j.started_at),
    finished_at: isoOrNull(j.finished_at),
  };
}

export function stepState(s: { finished_at: Date | string | null; passed: boolean }): StepResource['state'] {
  if (s.finished_at === null) return 'running';
  return s.passed ? 'passed' : 'failed';
}

export function stepResource(s: JobStep): StepResource {
  return {
    idx: s.idx,
    command: s.command,
    kind: s.kind,
    state: stepState(s),
    exit_code: s.exit_code,
    passed: s.passed,
    started_at: iso(s.started_at),
    finished_at: isoOrNull(s.finished_at),
    duration_ms: s.duration_ms,
    first_line: s.first_line,
    last_line: s.last_line,
  };
}

export function outputLineResource(l: OutputLine): OutputLineResource {
  return {
    n: l.n,
    ts: iso(l.ts),
    text: l.text,
    step: l.step,
    stream: (l.stream as OutputLineResource['stream']) ?? null,
  };
}

const TERMINAL = new Set(['success', 'failed', 'aborted']);

export function isTerminal(status: string): boolean {
  return TERMINAL.has(status);
}
