// Follows a submitted compose to its end: waits for compose-resolver and the recorder to record it, then follows
// every job's live output (one status row each on a terminal: fetch, copy, boot, test), printing the milestones,
// until the compose is complete. Used by `submit --follow` and `demo`.
import { type ComposeResource, type JobResource } from '@autocloud/schemas';
import { type ApiClient } from '../api/api.client.js';
import { type CliContext } from '../context.js';
import { CliError } from '../errors.js';
import { ProgressBoard } from '../output/board.js';
import { JobProgress } from '../output/progress.js';
import { sleep } from '../sleep.js';
import { jobLabel } from './summary.js';

export interface FollowComposeOptions {
  /** How long compose-resolver may take to record the compose (2 min). */
  appearTimeoutMs?: number;
  /** How long the whole compose may take (1 h). */
  timeoutMs?: number;
  pollMs?: number;
}

export interface FollowComposeResult {
  compose: ComposeResource;
  jobs: JobResource[];
}

export async function followCompose(
  ctx: CliContext,
  api: ApiClient,
  composeId: string,
  opts: FollowComposeOptions = {},
): Promise<FollowComposeResult> {
  const pollMs = opts.pollMs ?? 1_000;
  const started = Date.now();
  const deadline = started + (opts.timeoutMs ?? 3_600_000);
  const board = new ProgressBoard(ctx.stderr, ctx.stderr.isTTY === true);
  const stop = new AbortController();
  const signal = AbortSignal.any([ctx.interrupt, stop.signal]);
  const followers = new Map<number, Promise<void>>();
  const say = (text: string) => board.print(ctx.stderr, text);

  try {
    board.row(
      'compose',
      () => `waiting for ${composeId} to be resolved (${Math.round((Date.now() - started) / 1000)} s)`,
    );
    let compose = await waitForCompose(
      api,
      composeId,
      started + (opts.appearTimeoutMs ?? 120_000),
      pollMs,
      signal,
    );
    board.removeRow('compose');
    say(
      `compose ${compose.compose_id} recorded (compose_job_id ${compose.compose_job_id}): ${compose.job_count} job${compose.job_count === 1 ? '' : 's'}${compose.reason ? ` — ${compose.reason}` : ''}`,
    );

    for (;;) {
      const jobs = await api.allJobs({ compose_job_id: compose.compose_job_id });
      for (const job of jobs.sort((a, b) => a.job_id - b.job_id)) {
        if (followers.has(job.job_id)) continue;
        followers.set(job.job_id, followOne(api, job, board, say, signal));
      }
      compose = (await api.findCompose(String(compose.compose_job_id))) ?? compose;
      if (compose.status === 'complete') break;
      if (Date.now() > deadline) {
        throw new CliError(
          `gave up after ${Math.round((Date.now() - started) / 60_000)} min: compose ${composeId} is still ${compose.status}`,
          1,
          `follow it with \`autocloud jobs --compose-id ${composeId}\``,
        );
      }
      await sleep(pollMs * 2, signal);
    }
    // The compose is complete, so every job has ended: let the streams deliver their last lines.
    await Promise.race([
      Promise.allSettled(followers.values()),
      sleep(15_000, signal).catch(() => undefined),
    ]);
    const jobs = await api.allJobs({ compose_job_id: compose.compose_job_id });
    return { compose, jobs };
  } catch (err) {
    if (ctx.interrupt.aborted) throw ctx.interrupt.reason;
    throw err;
  } finally {
    stop.abort(new Error('done'));
    board.close();
  }
}

async function waitForCompose(
  api: ApiClient,
  composeId: string,
  deadline: number,
  pollMs: number,
  signal: AbortSignal,
): Promise<ComposeResource> {
  for (;;) {
    const compose = await api.findCompose(composeId);
    if (compose) return compose;
    if (Date.now() > deadline) {
      throw new CliError(
        `compose ${composeId} was not recorded in time`,
        1,
        'compose-resolver reads the compose and plans its jobs: check its log lines (ALLOWED_HOSTS, the rules, the metadata)',
      );
    }
    await sleep(pollMs, signal);
  }
}

/** One job's stream: a status row and its milestones until it ends. */
async function followOne(
  api: ApiClient,
  job: JobResource,
  board: ProgressBoard,
  say: (text: string) => void,
  signal: AbortSignal,
): Promise<void> {
  const progress = new JobProgress();
  const label = jobLabel(job);
  const key = `job-${job.job_id}`;
  board.row(key, () => `${label.padEnd(34)} ${progress.render(board.width - 35)}`);
  try {
    const status = await api.follow(
      job.job_id,
      0,
      {
        line: (line) => {
          const milestone = progress.line(line.text, Date.parse(line.ts));
          // Without a terminal, progress lines are the progress: print them too.
          const shown =
            milestone ?? (!board.live && /^(fetch|image): /.test(line.text) ? line.text : undefined);
          if (shown) say(`${label}: ${shown}`);
        },
        step: (step) => {
          const milestone = progress.step(step);
          if (milestone) say(`${label}: ${milestone}`);
        },
      },
      signal,
    );
    progress.end(status);
    say(`${label}: ${status}`);
  } catch (err) {
    if (signal.aborted) return;
    say(`${label}: cannot follow its output: ${(err as Error).message}`);
  } finally {
    board.removeRow(key);
  }
}
