// `autocloud rerun <id>` and `autocloud cancel <id>`: the two writes on a job (they need the API token).
import { idArgument, stringOption, type CommandSpec } from '../args.js';
import { apiClient } from './api.js';

export const rerunCommand: CommandSpec = {
  name: 'rerun',
  summary: 'Rerun a finished job (a new attempt)',
  json: true,
  positionals: [{ name: 'job id', required: true }],
  examples: ['autocloud rerun 42'],
  async run(ctx, args) {
    const jobId = idArgument(args, 0, 'job id');
    const reply = await apiClient(ctx).rerun(jobId);
    if (ctx.json) ctx.out(JSON.stringify(reply, null, 2));
    else {
      ctx.out(`rerun of job ${jobId} requested (request ${reply.request_id})`);
      ctx.note(`the new attempt appears in \`autocloud jobs\` once the recorder has made it`);
    }
    return 0;
  },
};

export const cancelCommand: CommandSpec = {
  name: 'cancel',
  summary: 'Cancel a queued or running job',
  json: true,
  positionals: [{ name: 'job id', required: true }],
  options: { reason: { type: 'string', value: 'text', description: 'recorded as the abort reason' } },
  examples: ['autocloud cancel 42 --reason "wrong image"'],
  async run(ctx, args) {
    const jobId = idArgument(args, 0, 'job id');
    const reply = await apiClient(ctx).cancel(jobId, stringOption(args, 'reason'));
    if (ctx.json) ctx.out(JSON.stringify(reply, null, 2));
    else
      ctx.out(
        `job ${jobId}: ${reply.accepted ? 'cancelled' : 'not cancelled'}${reply.message ? ` (${reply.message})` : ''}`,
      );
    return reply.accepted ? 0 : 1;
  },
};
