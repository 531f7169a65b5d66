// `autocloud job <id>`: a job with its steps; `--output` its whole output; `--follow` live until it ends.
import { formatBytes, type JobDetail, type StepResource } from '@autocloud/schemas';
import { flagOption, idArgument, type CommandSpec } from '../args.js';
import { followJob } from '../follow/job-follow.js';
import { jobLabel } from '../follow/summary.js';
import { formatDuration, formatTime } from '../output/format.js';
import { renderTable, type Column } from '../output/table.js';
import { apiClient } from './api.js';

const STEP_COLUMNS: Column<StepResource>[] = [
  { header: 'STEP', value: (s) => String(s.idx), right: true },
  { header: 'KIND', value: (s) => s.kind },
  { header: 'STATE', value: (s) => s.state },
  { header: 'EXIT', value: (s) => (s.exit_code === null ? '-' : String(s.exit_code)), right: true },
  { header: 'TIME', value: (s) => formatDuration(s.duration_ms), right: true },
  { header: 'LINES', value: (s) => (s.first_line ? `#${s.first_line}-${s.last_line ?? ''}` : '-') },
  { header: 'COMMAND', value: (s) => s.command },
];

export const jobCommand: CommandSpec = {
  name: 'job',
  summary: 'Show a job and its steps; --follow shows its output live',
  description:
    'With --follow, exits 0 when the job succeeded and 1 when it failed or was aborted.\n' +
    'With --json --follow, prints one JSON object a line: {"event":"line"|"step"|"end", ...}.',
  json: true,
  positionals: [{ name: 'job id', required: true }],
  options: {
    follow: { type: 'boolean', short: 'f', description: 'its output so far, then live until the job ends' },
    output: { type: 'boolean', description: 'its whole output (#N text)' },
  },
  examples: ['autocloud job 42', 'autocloud job 42 --follow', 'autocloud job 42 --output | less'],
  async run(ctx, args) {
    const jobId = idArgument(args, 0, 'job id');
    const api = apiClient(ctx);
    if (flagOption(args, 'follow')) {
      const final = await followJob(ctx, api, jobId);
      return final.status === 'success' ? 0 : 1;
    }
    const job = await api.job(jobId);
    if (flagOption(args, 'output')) {
      let from = 1;
      for (;;) {
        const page = await api.output(jobId, from);
        for (const line of page.lines) ctx.out(ctx.json ? JSON.stringify(line) : `#${line.n} ${line.text}`);
        if (page.complete || page.lines.length === 0) break;
        from = page.next_from;
      }
      return 0;
    }
    if (ctx.json) {
      ctx.out(JSON.stringify(job, null, 2));
      return 0;
    }
    for (const line of describeJob(job)) ctx.out(line);
    return 0;
  },
};

export function describeJob(job: JobDetail): string[] {
  const lines = [
    `${jobLabel(job)}: ${job.status}${job.reason ? ` (${job.reason_code ?? 'reason'}: ${job.reason})` : ''}`,
    `  image      ${job.image_name} (${job.format}, ${formatBytes(job.size)}, ${job.arch}, ${job.variant}/${job.subvariant})`,
    `  compose    ${job.compose_id} (compose_job_id ${job.compose_job_id})`,
    `  plan       ${job.plan}, attempt ${job.attempt}${job.rerun_of ? ` (rerun of ${job.rerun_of})` : ''}${job.superseded ? ', superseded by a later attempt' : ''}`,
    `  runner     ${job.runner ?? '-'}${job.hypervisor ? ` under ${job.hypervisor}` : ''}`,
    `  times      queued ${formatTime(job.queued_at)}, started ${formatTime(job.started_at)}, finished ${formatTime(job.finished_at)}`,
    `  took       ${formatDuration(job.duration_ms)} (boot ${formatDuration(job.boot_ms)})`,
    `  output     ${job.output_lines} lines`,
  ];
  if (job.steps.length > 0) lines.push('', ...renderTable(STEP_COLUMNS, job.steps));
  return lines;
}
