// `autocloud replay --since <time>`: runs fedmsg-bridge once in backfill mode (`--since <time> --once`), so the
// pungi messages datagrepper kept since then go through the system again (duplicates are dropped by JetStream).
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { stringOption, usageError, type CommandSpec } from '../args.js';
import { CliError } from '../errors.js';
import { formatLogLine } from '../output/log-line.js';
import { DEFAULT_NATS_URL, natsAddress, natsAnswers } from '../up/nats.js';
import { serviceCommand } from '../up/service-command.js';
import { readUpState } from '../up/state.js';

export const FEDORA_DATAGREPPER_URL = 'https://apps.fedoraproject.org/datagrepper';

/** An ISO 8601 time, epoch seconds, or a duration back from `now` (90m, 6h, 2d). */
export function parseSince(value: string, now: Date = new Date()): Date | undefined {
  const relative = /^(\d+(?:\.\d+)?)([smhdw])$/.exec(value.trim());
  if (relative) {
    const unit = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 }[relative[2] as 's' | 'm' | 'h' | 'd' | 'w'];
    return new Date(now.getTime() - Number(relative[1]) * unit * 1000);
  }
  const date = /^\d+(\.\d+)?$/.test(value) ? new Date(Number(value) * 1000) : new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

export const replayCommand: CommandSpec = {
  name: 'replay',
  summary: 'Replay pungi messages from datagrepper since a time (fedmsg-bridge --once)',
  description: 'Needs the NATS of a running system (`autocloud up`, or NATS_URL).',
  options: {
    since: {
      type: 'string',
      value: 'time',
      description: 'ISO 8601 time, epoch seconds, or 6h / 2d back from now',
    },
    'datagrepper-url': {
      type: 'string',
      value: 'url',
      description: `datagrepper to read (DATAGREPPER_URL; default ${FEDORA_DATAGREPPER_URL})`,
    },
  },
  examples: ['autocloud replay --since 2d', 'autocloud replay --since 2024-10-20T00:00:00Z'],
  async run(ctx, args) {
    const sinceText = stringOption(args, 'since');
    if (sinceText === undefined) throw usageError(args, '--since is required');
    const since = parseSince(sinceText);
    if (!since)
      throw usageError(
        args,
        `--since: expected an ISO 8601 time, epoch seconds or e.g. 6h, got ${sinceText}`,
      );
    const datagrepper =
      stringOption(args, 'datagrepper-url') ?? ctx.env.DATAGREPPER_URL ?? FEDORA_DATAGREPPER_URL;
    if (!/^https?:\/\/[^/]/.test(datagrepper))
      throw usageError(args, '--datagrepper-url: expected an http(s) URL');

    const natsUrl = readUpState(ctx.home)?.nats_url ?? (ctx.env.NATS_URL || DEFAULT_NATS_URL);
    const address = natsAddress(natsUrl);
    if (!(await natsAnswers(address.host, address.port))) {
      throw new CliError(
        `no NATS answers at ${address.url}`,
        1,
        'start the system first: `pnpm autocloud up`',
      );
    }
    const command = serviceCommand('fedmsg-bridge', ctx.env);
    const env: Record<string, string | undefined> = {
      ...ctx.env,
      ...command.env,
      NATS_URL: natsUrl,
      AUTOCLOUD_HOME: ctx.home,
      HEALTH_PORT: '0',
      DATAGREPPER_URL: datagrepper,
    };
    ctx.note(`replaying ${datagrepper} since ${since.toISOString()} into ${natsUrl}`);
    const child = spawn(process.execPath, [...command.nodeArgs, '--since', since.toISOString(), '--once'], {
      cwd: command.cwd,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const color = ctx.stderr.isTTY === true;
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) =>
        ctx.note(formatLogLine('fedmsg-bridge', line, { color }).text),
      );
    }
    const onInterrupt = () => child.kill('SIGTERM');
    ctx.interrupt.addEventListener('abort', onInterrupt, { once: true });
    try {
      const code = await new Promise<number | null>((resolve, reject) => {
        child.once('error', reject);
        child.once('close', (c) => resolve(c));
      });
      if (ctx.interrupt.aborted) return 130;
      return code ?? 1;
    } finally {
      ctx.interrupt.removeEventListener('abort', onInterrupt);
    }
  },
};
