import { describe, expect, test } from 'vitest';
import { idArgument, intOption, listOption, parseCommandLine, type CommandSpec } from './args.js';
import { COMMANDS, runCli } from './cli.js';
import { type CliIo } from './context.js';
import { UsageError } from './errors.js';

const noop = async () => Promise.resolve(0);
const commands: CommandSpec[] = [
  {
    name: 'jobs',
    summary: 'list',
    json: true,
    options: { status: { type: 'string', description: 's' } },
    run: noop,
  },
  { name: 'job', summary: 'one', positionals: [{ name: 'job id', required: true }], run: noop },
];

function usageError(fn: () => unknown): UsageError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return err as UsageError;
  }
  throw new Error('no UsageError');
}

describe('parseCommandLine', () => {
  test('a command with its options and arguments', () => {
    const parsed = parseCommandLine(['jobs', '--status', 'failed', '--json'], commands);
    expect(parsed).toMatchObject({
      kind: 'run',
      command: { name: 'jobs' },
      args: { values: { status: 'failed', json: true } },
    });
    expect(parseCommandLine(['job', '7'], commands)).toMatchObject({
      kind: 'run',
      args: { positionals: ['7'] },
    });
  });

  test('unknown commands, options and extra or missing arguments are usage errors with the right usage', () => {
    const unknown = usageError(() => parseCommandLine(['jbos'], commands));
    expect(unknown.message).toBe('unknown command "jbos" (did you mean "jobs"?)');
    expect(unknown.usage).toMatch(/^usage: autocloud <command>/);
    expect(unknown.exitCode).toBe(2);

    const flag = usageError(() => parseCommandLine(['jobs', '--colour'], commands));
    expect(flag.message).toBe('unknown option --colour');
    expect(flag.usage).toMatch(/^usage: autocloud jobs \[options\]/);

    expect(usageError(() => parseCommandLine(['job'], commands)).message).toBe('missing <job id>');
    expect(usageError(() => parseCommandLine(['job', '1', '2'], commands)).message).toBe(
      'unexpected argument: 2',
    );
    expect(usageError(() => parseCommandLine(['jobs', '--status'], commands)).message).toMatch(/--status/);
    // --json only where the command declares it.
    expect(usageError(() => parseCommandLine(['job', '1', '--json'], commands)).message).toBe(
      'unknown option --json',
    );
    expect(usageError(() => parseCommandLine([], commands)).message).toBe('no command given');
    expect(usageError(() => parseCommandLine(['--json'], commands)).message).toMatch(/expected a command/);
  });

  test('help, globally and per command', () => {
    expect(parseCommandLine(['--help'], commands)).toEqual({ kind: 'help' });
    expect(parseCommandLine(['help', 'job'], commands)).toMatchObject({
      kind: 'help',
      command: { name: 'job' },
    });
    expect(parseCommandLine(['jobs', '-h'], commands)).toMatchObject({
      kind: 'help',
      command: { name: 'jobs' },
    });
  });

  test('option values are checked', () => {
    const args = { values: { limit: '0', only: 'a,x' }, positionals: ['12x'], usage: 'u' };
    expect(() => intOption(args, 'limit', { min: 1, max: 500 })).toThrow(
      /--limit: expected a whole number from 1 to 500/,
    );
    expect(() => idArgument(args, 0, 'job id')).toThrow(/<job id>: expected a positive whole number/);
    expect(() => listOption(args, 'only', ['a', 'b'])).toThrow(/--only: unknown x/);
    expect(listOption({ ...args, values: { only: ' a, b ' } }, 'only', ['a', 'b'])).toEqual(['a', 'b']);
  });
});

function io(env: Record<string, string> = {}) {
  let stdout = '';
  let stderr = '';
  const value: CliIo = {
    env: { AUTOCLOUD_HOME: '/nonexistent/autocloud-home', ...env },
    cwd: process.cwd(),
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    interrupt: new AbortController().signal,
    forceInterrupt: new AbortController().signal,
  };
  return { io: value, stdout: () => stdout, stderr: () => stderr };
}

describe('runCli', () => {
  test('exit 2 with the usage on stderr for an unknown command or option', async () => {
    const a = io();
    expect(await runCli(['frobnicate'], a.io)).toBe(2);
    expect(a.stderr()).toMatch(/^autocloud: unknown command "frobnicate"\n\nusage: autocloud <command>/);
    expect(a.stdout()).toBe('');

    const b = io();
    expect(await runCli(['jobs', '--state', 'failed'], b.io)).toBe(2);
    expect(b.stderr()).toMatch(/unknown option --state\n\nusage: autocloud jobs/);

    const c = io();
    expect(await runCli(['jobs', '--status', 'broken'], c.io)).toBe(2);
    expect(c.stderr()).toMatch(/--status: expected one of queued, running, success, failed, aborted/);

    const d = io();
    expect(await runCli(['job', 'x'], d.io)).toBe(2);
    expect(await runCli(['up', '--only', 'results-api,postgres'], d.io)).toBe(2);
    expect(d.stderr()).toMatch(/--only: unknown postgres/);
  });

  test('--help prints every command (exit 0); every command has its own help', async () => {
    const a = io();
    expect(await runCli(['--help'], a.io)).toBe(0);
    for (const command of COMMANDS) expect(a.stdout()).toContain(`  ${command.name} `);
    for (const command of COMMANDS) {
      const b = io();
      expect(await runCli([command.name, '--help'], b.io)).toBe(0);
      expect(b.stdout()).toMatch(new RegExp(`^usage: autocloud ${command.name} `));
    }
  });

  test('every read command takes --json', () => {
    const reads = ['composes', 'compose', 'jobs', 'job', 'submit', 'demo'];
    for (const name of reads) expect(COMMANDS.find((c) => c.name === name)?.json, name).toBe(true);
  });

  test('a command that cannot reach the API says so and how to start it (exit 1)', async () => {
    const a = io({ AUTOCLOUD_URL: 'http://127.0.0.1:9' });
    expect(await runCli(['composes'], a.io)).toBe(1);
    expect(a.stderr()).toMatch(
      /no Autocloud API answers at http:\/\/127\.0\.0\.1:9\n {2}start it with `pnpm autocloud up`/,
    );
  });

  test('a write without a token says where the token comes from', async () => {
    const a = io({ AUTOCLOUD_URL: 'http://127.0.0.1:9' });
    expect(await runCli(['rerun', '3'], a.io)).toBe(1);
    expect(a.stderr()).toMatch(/no API token: AUTOCLOUD_TOKEN is not set/);
  });
});
