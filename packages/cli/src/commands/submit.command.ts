// `autocloud submit <location | directory>`: test a compose now. A directory on this disk is registered with `up`'s
// compose server and submitted by its local URL; `--follow` follows the compose to its end like the demo.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { type ApiClient } from '../api/api.client.js';
import { flagOption, stringOption, usageError, type CommandSpec } from '../args.js';
import {
  COMPOSE_ID,
  inspectComposeDir,
  locationPath,
  registerLocalCompose,
} from '../compose/local-compose.js';
import { type CliContext } from '../context.js';
import { CliError } from '../errors.js';
import { followCompose, type FollowComposeOptions } from '../follow/compose-follow.js';
import { allPassed, summaryLines } from '../follow/summary.js';
import { userCwd } from '../paths.js';
import { readUpState } from '../up/state.js';
import { apiClient, composeUiUrl } from './api.js';

export interface LocalServing {
  composesDir: string;
  composeUrl: string;
}

/** Where local composes go and are served: the running `up`'s, else the defaults for this home. */
export function localServing(ctx: CliContext): LocalServing {
  const state = readUpState(ctx.home);
  if (state) return { composesDir: state.composes_dir, composeUrl: state.compose_url };
  return {
    composesDir: resolve(ctx.home, 'composes'),
    composeUrl: `http://127.0.0.1:${ctx.env.AUTOCLOUD_COMPOSE_PORT || '8081'}`,
  };
}

/** Checks that the compose server hands out the compose's metadata at `location`. */
export async function checkServed(location: string): Promise<void> {
  const url = `${location}/metadata/composeinfo.json`;
  let status: number | string;
  try {
    const res = await fetch(url, { method: 'HEAD', signal: AbortSignal.timeout(5_000) });
    status = res.status;
  } catch (err) {
    status = (err as Error).message;
  }
  if (status !== 200) {
    throw new CliError(
      `the local compose server does not serve ${url} (${status})`,
      1,
      'local directories are served by `autocloud up` (with the same AUTOCLOUD_HOME): start it first',
    );
  }
}

/** Follows the compose to its end, prints the summary and the UI link; 0 when every job passed. */
export async function followAndSummarize(
  ctx: CliContext,
  api: ApiClient,
  composeId: string,
  opts: FollowComposeOptions & { noJobsHint?: string } = {},
): Promise<number> {
  const { compose, jobs } = await followCompose(ctx, api, composeId, opts);
  if (jobs.length === 0 && opts.noJobsHint) ctx.note(opts.noJobsHint);
  const passed = allPassed(jobs);
  if (ctx.json) {
    ctx.out(JSON.stringify({ compose, jobs, passed }, null, 2));
    return passed ? 0 : 1;
  }
  ctx.out('');
  ctx.out(
    `${compose.compose_id}: ${compose.passed} passed, ${compose.failed} failed, ${compose.aborted} aborted`,
  );
  if (jobs.length > 0) for (const line of summaryLines(jobs)) ctx.out(line);
  else if (compose.reason) ctx.out(`  no jobs: ${compose.reason}`);
  ctx.out('');
  ctx.out(`results: ${composeUiUrl(ctx, compose.compose_job_id)}`);
  return passed ? 0 : 1;
}

/** The compose id at a location, read from its composeinfo.json (best effort, for --follow). */
async function composeIdAt(location: string): Promise<string | undefined> {
  try {
    const res = await fetch(`${location.replace(/\/+$/, '')}/metadata/composeinfo.json`, {
      signal: AbortSignal.timeout(15_000),
    });
    if (!res.ok) return undefined;
    const doc = (await res.json()) as { payload?: { compose?: { id?: unknown } } };
    const id = doc.payload?.compose?.id;
    return typeof id === 'string' ? id : undefined;
  } catch {
    return undefined;
  }
}

export const submitCommand: CommandSpec = {
  name: 'submit',
  summary: 'Test a compose now: its URL, or a compose directory on this disk',
  description:
    'A directory must hold metadata/composeinfo.json and metadata/images.json (or compose/metadata/...): it is\n' +
    "registered as $AUTOCLOUD_HOME/composes/<compose id> and served to the fetcher by `up`'s compose server.\n" +
    'With --follow, exits 0 only when every job passed.',
  json: true,
  positionals: [{ name: 'location or directory', required: true }],
  options: {
    'compose-id': { type: 'string', value: 'id', description: 'the compose id the location must hold' },
    follow: {
      type: 'boolean',
      short: 'f',
      description: 'follow the compose until every job ended, then summarize',
    },
  },
  examples: [
    'autocloud submit https://kojipkgs.fedoraproject.org/compose/cloud/Fedora-Cloud-41-20241020.0/compose',
    'autocloud submit ./my-compose --follow',
  ],
  async run(ctx, args) {
    const target = args.positionals[0]!;
    let composeId = stringOption(args, 'compose-id');
    if (composeId !== undefined && !COMPOSE_ID.test(composeId))
      throw usageError(args, '--compose-id: not a compose id');
    let location: string;
    if (/^https?:\/\//i.test(target)) {
      if (!URL.canParse(target)) throw usageError(args, `${target} is not a URL`);
      location = target.replace(/\/+$/, '');
    } else {
      const dir = resolve(userCwd(ctx.env, ctx.cwd), target);
      if (!existsSync(dir)) {
        throw usageError(
          args,
          `${target}: expected an http(s) URL of a compose or a compose directory on this disk`,
        );
      }
      const compose = await inspectComposeDir(dir);
      if (composeId !== undefined && composeId !== compose.composeId) {
        throw new CliError(`${dir} holds compose ${compose.composeId}, not ${composeId}`);
      }
      composeId = compose.composeId;
      const serving = localServing(ctx);
      const path = await registerLocalCompose(serving.composesDir, compose);
      location = `${serving.composeUrl}/${locationPath(path)}`;
      await checkServed(location);
    }

    const api = apiClient(ctx);
    if (composeId) {
      const existing = await api.findCompose(composeId);
      if (existing) {
        ctx.note(
          `note: ${composeId} is already recorded (compose_job_id ${existing.compose_job_id}, ${existing.status}); ` +
            'submitting it again plans no new jobs (`autocloud rerun <job id>` tests an image again)',
        );
      }
    }
    const reply = await api.submit(location, composeId);
    if (!flagOption(args, 'follow')) {
      if (ctx.json) ctx.out(JSON.stringify({ ...reply, location, compose_id: composeId ?? null }, null, 2));
      else {
        ctx.out(`submitted ${location} (request ${reply.request_id})`);
        ctx.note(`follow it: autocloud ${composeId ? `jobs --compose-id ${composeId}` : 'composes'}`);
      }
      return 0;
    }
    composeId ??= await composeIdAt(location);
    if (!composeId) {
      throw new CliError(
        `submitted ${location} (request ${reply.request_id}), but cannot follow it: its composeinfo.json did not say its id`,
        1,
        'pass --compose-id, or follow it with `autocloud composes`',
      );
    }
    ctx.note(`submitted ${composeId} at ${location} (request ${reply.request_id})`);
    return followAndSummarize(ctx, api, composeId);
  },
};
