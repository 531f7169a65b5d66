// `autocloud job <id> --follow`: the job's output so far, then live until the job ends (SSE), with a progress bar
// for the fetch and boot on a terminal; the final status last.
import { type JobDetail, type OutputLineResource, type StepResource } from '@autocloud/schemas';
import { type ApiClient } from '../api/api.client.js';
import { type CliContext } from '../context.js';
import { ProgressBoard } from '../output/board.js';
import { formatDuration } from '../output/format.js';
import { isProgressLine, JobProgress } from '../output/progress.js';
import { jobLabel } from './summary.js';

/** Follows the job to its end; resolves with its final detail. */
export async function followJob(ctx: CliContext, api: ApiClient, jobId: number): Promise<JobDetail> {
  const job = await api.job(jobId);
  const board = new ProgressBoard(ctx.stderr, !ctx.json && ctx.stderr.isTTY === true);
  const progress = new JobProgress();
  const emit = (event: Record<string, unknown>) => ctx.out(JSON.stringify(event));
  if (!ctx.json) ctx.note(`${jobLabel(job)} ${job.image_name}: ${job.status}`);

  const onLine = (line: OutputLineResource) => {
    progress.line(line.text, Date.parse(line.ts));
    if (ctx.json) emit({ event: 'line', line });
    else if (!(board.live && isProgressLine(line.text))) board.print(ctx.stdout, `#${line.n} ${line.text}`);
  };
  const onStep = (step: StepResource) => {
    progress.step(step);
    if (ctx.json) emit({ event: 'step', step });
  };

  try {
    board.row('job', () => progress.render(board.width));
    // The output so far in pages (cheaper than the stream), then the stream from where the pages ended.
    let from = 1;
    let complete = false;
    for (;;) {
      const page = await api.output(jobId, from);
      for (const line of page.lines) onLine(line);
      from = page.next_from;
      complete = page.complete;
      if (complete || page.lines.length === 0) break;
    }
    if (!complete) {
      await api.follow(jobId, from - 1, { line: onLine, step: onStep }, ctx.interrupt);
    }
  } finally {
    board.close();
  }
  const final = await api.job(jobId);
  if (ctx.json) emit({ event: 'end', job: final });
  else {
    const timing = [
      final.duration_ms !== null ? `in ${formatDuration(final.duration_ms)}` : '',
      final.boot_ms !== null ? `boot ${formatDuration(final.boot_ms)}` : '',
    ].filter(Boolean);
    ctx.note(
      `${jobLabel(final)}: ${final.status}${timing.length ? ` (${timing.join(', ')})` : ''}${final.reason ? `: ${final.reason}` : ''}`,
    );
  }
  return final;
}
