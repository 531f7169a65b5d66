// `autocloud`: parses the command line, runs the command, and turns every outcome into an exit code: 0 done,
// 1 failed, 2 bad usage, 130 interrupted.
import { commandUsage, mainUsage, parseCommandLine, stringOption, type CommandSpec } from './args.js';
import { cancelCommand, rerunCommand } from './commands/write.commands.js';
import { composeCommand, composesCommand } from './commands/composes.command.js';
import { demoCommand } from './commands/demo.command.js';
import { jobCommand } from './commands/job.command.js';
import { jobsCommand } from './commands/jobs.command.js';
import { replayCommand } from './commands/replay.command.js';
import { submitCommand } from './commands/submit.command.js';
import { upCommand } from './commands/up.command.js';
import { type CliContext, type CliIo } from './context.js';
import { CliError, UsageError } from './errors.js';
import { autocloudHome } from './paths.js';
import { readUpState } from './up/state.js';

export const COMMANDS: readonly CommandSpec[] = [
  upCommand,
  demoCommand,
  submitCommand,
  composesCommand,
  composeCommand,
  jobsCommand,
  jobCommand,
  rerunCommand,
  cancelCommand,
  replayCommand,
];

export const DEFAULT_API_URL = 'http://127.0.0.1:8080';

export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const err = (text: string) => io.stderr.write(`${text}\n`);
  try {
    const parsed = parseCommandLine(argv, COMMANDS);
    if (parsed.kind === 'help') {
      io.stdout.write(`${parsed.command ? commandUsage(parsed.command) : mainUsage(COMMANDS)}\n`);
      return 0;
    }
    const home = autocloudHome(io.env, io.cwd);
    const ctx: CliContext = {
      ...io,
      home,
      json: parsed.args.values.json === true,
      apiUrl: (
        stringOption(parsed.args, 'url') ??
        (io.env.AUTOCLOUD_URL || readUpState(home)?.api_url || DEFAULT_API_URL)
      ).replace(/\/+$/, ''),
      out: (line = '') => io.stdout.write(`${line}\n`),
      note: (line = '') => io.stderr.write(`${line}\n`),
    };
    if (!/^https?:\/\/[^/]/.test(ctx.apiUrl)) {
      throw new UsageError(
        `the API URL must be http(s)://…, got ${ctx.apiUrl}`,
        commandUsage(parsed.command),
      );
    }
    return await parsed.command.run(ctx, parsed.args);
  } catch (error) {
    if (io.interrupt.aborted && !(error instanceof UsageError)) {
      err('autocloud: interrupted');
      return 130;
    }
    if (error instanceof UsageError) {
      err(`autocloud: ${error.message}\n\n${error.usage}`);
      return error.exitCode;
    }
    if (error instanceof CliError) {
      err(`autocloud: ${error.message}`);
      if (error.hint) err(error.hint.replace(/^/gm, '  '));
      return error.exitCode;
    }
    err(
      `autocloud: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
    );
    return 1;
  }
}
