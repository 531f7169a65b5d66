// `autocloud jobs [filters]`: the jobs, newest first, filtered as the API filters (DESIGN §7).
import { BACKENDS, JOB_STATUSES, type JobPage, type JobResource } from '@autocloud/schemas';
import { choiceOption, flagOption, intOption, stringOption, usageError, type CommandSpec } from '../args.js';
import { formatDuration, formatTime } from '../output/format.js';
import { renderTable, type Column } from '../output/table.js';
import { apiClient } from './api.js';

const COLUMNS: Column<JobResource>[] = [
  { header: 'JOB', value: (j) => String(j.job_id), right: true },
  { header: 'COMPOSE', value: (j) => j.compose_id },
  { header: 'IMAGE', value: (j) => j.image_name },
  { header: 'TYPE', value: (j) => j.type },
  { header: 'ARCH', value: (j) => j.arch },
  { header: 'BACKEND', value: (j) => j.backend },
  { header: 'STATUS', value: (j) => j.status + (j.superseded ? ' (retried)' : '') },
  { header: 'DURATION', value: (j) => formatDuration(j.duration_ms), right: true },
  { header: 'QUEUED', value: (j) => formatTime(j.queued_at) },
];

export const jobsCommand: CommandSpec = {
  name: 'jobs',
  summary: 'List jobs, newest first, with filters',
  json: true,
  options: {
    'compose-id': { type: 'string', value: 'compose id', description: 'jobs of this compose' },
    compose: { type: 'string', value: 'compose id', description: 'the same as --compose-id' },
    status: { type: 'string', value: 'status', description: JOB_STATUSES.join(', ') },
    arch: { type: 'string', value: 'arch', description: 'architecture, e.g. x86_64' },
    family: { type: 'string', value: 'family', description: 'image family, e.g. Base' },
    'image-type': { type: 'string', value: 'type', description: 'productmd image type, e.g. qcow2' },
    backend: { type: 'string', value: 'backend', description: BACKENDS.join(', ') },
    release: { type: 'string', value: 'release', description: 'release, e.g. 41 or Rawhide' },
    image: {
      type: 'string',
      value: 'image',
      description: 'an image across composes, e.g. Fedora-Cloud-Base-Generic',
    },
    limit: { type: 'string', value: 'n', description: 'page size (1-500, default 50)' },
    cursor: { type: 'string', value: 'cursor', description: 'next_cursor of the previous page' },
    all: { type: 'boolean', description: 'every page (--json: one {items, next_cursor: null})' },
  },
  examples: [
    'autocloud jobs --status failed --image-type vagrant-libvirt',
    'autocloud jobs --compose-id Fedora-Cloud-41-20241020.0 --json',
  ],
  async run(ctx, args) {
    const composeId = stringOption(args, 'compose-id');
    const compose = stringOption(args, 'compose');
    if (composeId !== undefined && compose !== undefined && composeId !== compose) {
      throw usageError(args, '--compose and --compose-id name different composes');
    }
    const query = {
      compose_id: composeId ?? compose,
      status: choiceOption(args, 'status', JOB_STATUSES),
      arch: stringOption(args, 'arch'),
      family: stringOption(args, 'family'),
      image_type: stringOption(args, 'image-type'),
      backend: choiceOption(args, 'backend', BACKENDS),
      release: stringOption(args, 'release'),
      image: stringOption(args, 'image'),
      limit: intOption(args, 'limit', { min: 1, max: 500 }),
      cursor: stringOption(args, 'cursor'),
    };
    const api = apiClient(ctx);
    let page: JobPage;
    if (flagOption(args, 'all')) {
      page = { items: await api.allJobs({ ...query, limit: undefined }), next_cursor: null };
    } else {
      page = await api.listJobs(query);
    }
    if (ctx.json) {
      ctx.out(JSON.stringify(page, null, 2));
      return 0;
    }
    if (page.items.length === 0) ctx.note('no jobs');
    else for (const line of renderTable(COLUMNS, page.items)) ctx.out(line);
    if (page.next_cursor) ctx.note(`more: --cursor ${page.next_cursor} (or --all)`);
    return 0;
  },
};
