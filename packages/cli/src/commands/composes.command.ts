// `autocloud composes` (the list) and `autocloud compose <id>` (one compose and its jobs).
import { COMPOSE_STATUSES, type ComposeResource, type JobResource } from '@autocloud/schemas';
import { choiceOption, flagOption, intOption, stringOption, type CommandSpec } from '../args.js';
import { formatDuration, formatTime } from '../output/format.js';
import { renderTable, type Column } from '../output/table.js';
import { apiClient, composeUiUrl } from './api.js';

const COLUMNS: Column<ComposeResource>[] = [
  { header: 'ID', value: (c) => String(c.compose_job_id), right: true },
  { header: 'COMPOSE', value: (c) => c.compose_id },
  { header: 'STATUS', value: (c) => c.status },
  { header: 'JOBS', value: (c) => String(c.job_count), right: true },
  { header: 'PASSED', value: (c) => String(c.passed), right: true },
  { header: 'FAILED', value: (c) => String(c.failed), right: true },
  { header: 'ABORTED', value: (c) => String(c.aborted), right: true },
  { header: 'RECORDED', value: (c) => formatTime(c.created_at) },
];

export const composesCommand: CommandSpec = {
  name: 'composes',
  summary: 'List composes, newest first',
  json: true,
  options: {
    status: { type: 'string', value: 'status', description: `${COMPOSE_STATUSES.join(', ')}` },
    type: { type: 'string', value: 'type', description: 'compose type: nightly, production, test, ...' },
    release: { type: 'string', value: 'release', description: 'release, e.g. 41 or Rawhide' },
    limit: { type: 'string', value: 'n', description: 'page size (1-500, default 50)' },
    cursor: { type: 'string', value: 'cursor', description: 'next_cursor of the previous page' },
  },
  examples: ['autocloud composes --status running', 'autocloud composes --json --limit 5'],
  async run(ctx, args) {
    const page = await apiClient(ctx).listComposes({
      status: choiceOption(args, 'status', COMPOSE_STATUSES),
      type: stringOption(args, 'type'),
      release: stringOption(args, 'release'),
      limit: intOption(args, 'limit', { min: 1, max: 500 }),
      cursor: stringOption(args, 'cursor'),
    });
    if (ctx.json) {
      ctx.out(JSON.stringify(page, null, 2));
      return 0;
    }
    if (page.items.length === 0) ctx.note('no composes');
    else for (const line of renderTable(COLUMNS, page.items)) ctx.out(line);
    if (page.next_cursor) ctx.note(`more: --cursor ${page.next_cursor}`);
    return 0;
  },
};

const JOB_COLUMNS: Column<JobResource>[] = [
  { header: 'JOB', value: (j) => String(j.job_id), right: true },
  { header: 'IMAGE', value: (j) => j.image_name },
  { header: 'TYPE', value: (j) => j.type },
  { header: 'BACKEND', value: (j) => j.backend },
  { header: 'STATUS', value: (j) => j.status + (j.superseded ? ' (retried)' : '') },
  { header: 'DURATION', value: (j) => formatDuration(j.duration_ms), right: true },
];

export const composeCommand: CommandSpec = {
  name: 'compose',
  summary: 'Show one compose and its jobs',
  json: true,
  positionals: [{ name: 'compose id', required: true }],
  options: {
    jobs: { type: 'boolean', description: 'with --json: {compose, jobs} instead of the compose alone' },
  },
  examples: ['autocloud compose Fedora-Cloud-41-20241020.0', 'autocloud compose 12 --json'],
  async run(ctx, args) {
    const api = apiClient(ctx);
    const id = args.positionals[0]!;
    const compose = await api.get<ComposeResource>(`/api/v1/composes/${encodeURIComponent(id)}`);
    const withJobs = !ctx.json || flagOption(args, 'jobs');
    const jobs = withJobs ? await api.allJobs({ compose_job_id: compose.compose_job_id }) : [];
    if (ctx.json) {
      ctx.out(JSON.stringify(withJobs ? { compose, jobs } : compose, null, 2));
      return 0;
    }
    ctx.out(`${compose.compose_id} (compose_job_id ${compose.compose_job_id}): ${compose.status}`);
    ctx.out(`  location  ${compose.location}`);
    ctx.out(`  release   ${compose.release}, ${compose.type}, ${compose.date}.${compose.respin}`);
    ctx.out(
      `  jobs      ${compose.job_count}: ${compose.passed} passed, ${compose.failed} failed, ${compose.aborted} aborted`,
    );
    if (compose.reason) ctx.out(`  reason    ${compose.reason}`);
    ctx.out(`  web       ${composeUiUrl(ctx, compose.compose_job_id)}`);
    if (jobs.length > 0) {
      ctx.out('');
      for (const line of renderTable(
        JOB_COLUMNS,
        jobs.sort((a, b) => a.job_id - b.job_id),
      ))
        ctx.out(line);
    }
    return 0;
  },
};
