// Entry point: `fedmsg-bridge [--since <time>] [--once]`; runs until SIGTERM (or, with --once, until the backfill
// is done).
import { parseArgs } from 'node:util';
import { runService } from '@autocloud/service';
import { bridgeService } from './service.js';

function parseSince(value: string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  const date = /^\d+(\.\d+)?$/.test(value) ? new Date(Number(value) * 1000) : new Date(value);
  if (Number.isNaN(date.getTime()))
    throw new Error(`--since: expected an ISO 8601 time or epoch seconds, got ${value}`);
  return date;
}

let options;
try {
  const { values } = parseArgs({
    args: process.argv.slice(2).filter((a) => a !== '--'),
    options: { since: { type: 'string' }, once: { type: 'boolean', default: false } },
  });
  options = { since: parseSince(values.since), once: values.once };
} catch (err) {
  process.stderr.write(
    `fedmsg-bridge: ${(err as Error).message}\nusage: fedmsg-bridge [--since <time>] [--once]\n`,
  );
  process.exit(2);
}
process.exit(await runService(bridgeService(options)));
