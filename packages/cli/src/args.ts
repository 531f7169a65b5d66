// The command line: `autocloud <command> [options] [arguments]`, parsed strictly (node:util parseArgs) so an
// unknown command or option is a usage error (exit 2) that shows what the command accepts.
import { parseArgs } from 'node:util';
import { type CliContext } from './context.js';
import { UsageError } from './errors.js';

export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  /** The placeholder in usage, e.g. `--status <status>`. */
  value?: string;
  description: string;
}

export interface PositionalSpec {
  name: string;
  required: boolean;
}

export type OptionValues = Record<string, string | boolean | undefined>;

export interface CommandArgs {
  values: OptionValues;
  positionals: string[];
  /** The command's usage text, for errors found after parsing. */
  usage: string;
}

export interface CommandSpec {
  name: string;
  /** One line for `autocloud --help`. */
  summary: string;
  /** More lines for `autocloud <command> --help`. */
  description?: string;
  positionals?: PositionalSpec[];
  options?: Record<string, OptionSpec>;
  /** Takes --json (every read command does). */
  json?: boolean;
  examples?: string[];
  run(ctx: CliContext, args: CommandArgs): Promise<number>;
}

export type ParsedCommandLine =
  { kind: 'help'; command?: CommandSpec } | { kind: 'run'; command: CommandSpec; args: CommandArgs };

const GLOBAL_OPTIONS: Record<string, OptionSpec> = {
  url: {
    type: 'string',
    value: 'url',
    description: 'the API (AUTOCLOUD_URL; default: the running `up`, else http://127.0.0.1:8080)',
  },
  help: { type: 'boolean', short: 'h', description: 'show this help' },
};

const JSON_OPTION: OptionSpec = { type: 'boolean', description: 'print JSON (the API’s shapes) on stdout' };

function optionsOf(command: CommandSpec): Record<string, OptionSpec> {
  return { ...command.options, ...(command.json ? { json: JSON_OPTION } : {}), ...GLOBAL_OPTIONS };
}

export function parseCommandLine(
  argv: readonly string[],
  commands: readonly CommandSpec[],
): ParsedCommandLine {
  const [first, ...rest] = argv;
  if (first === undefined) throw new UsageError('no command given', mainUsage(commands));
  if (first === '-h' || first === '--help' || first === 'help') {
    const name = first === 'help' ? rest[0] : undefined;
    if (name === undefined) return { kind: 'help' };
    return { kind: 'help', command: findCommand(name, commands) };
  }
  if (first.startsWith('-')) {
    throw new UsageError(`expected a command before ${first}`, mainUsage(commands));
  }
  const command = findCommand(first, commands);
  const usage = commandUsage(command);
  let parsed: { values: OptionValues; positionals: string[] };
  try {
    const result = parseArgs({
      args: [...rest],
      options: Object.fromEntries(
        Object.entries(optionsOf(command)).map(([name, o]) => [
          name,
          { type: o.type, ...(o.short ? { short: o.short } : {}) },
        ]),
      ),
      allowPositionals: true,
      strict: true,
    });
    parsed = { values: result.values, positionals: result.positionals };
  } catch (err) {
    throw new UsageError(parseErrorMessage(err), usage);
  }
  if (parsed.values.help === true) return { kind: 'help', command };
  const specs = command.positionals ?? [];
  const required = specs.filter((p) => p.required);
  if (parsed.positionals.length < required.length) {
    const missing = required.slice(parsed.positionals.length).map((p) => `<${p.name}>`);
    throw new UsageError(`missing ${missing.join(' ')}`, usage);
  }
  if (parsed.positionals.length > specs.length) {
    const extra = parsed.positionals.slice(specs.length);
    throw new UsageError(`unexpected argument${extra.length > 1 ? 's' : ''}: ${extra.join(' ')}`, usage);
  }
  return { kind: 'run', command, args: { values: parsed.values, positionals: parsed.positionals, usage } };
}

function findCommand(name: string, commands: readonly CommandSpec[]): CommandSpec {
  const command = commands.find((c) => c.name === name);
  if (command) return command;
  const near = commands.find((c) => editDistance(c.name, name) <= 2);
  throw new UsageError(
    `unknown command "${name}"${near ? ` (did you mean "${near.name}"?)` : ''}`,
    mainUsage(commands),
  );
}

/** parseArgs's messages name the option and add advice meant for programmers; keep the first sentence. */
function parseErrorMessage(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message
    .replace(/\. To specify a positional argument.*$/s, '')
    .replace(/^Unknown option '([^']+)'.*$/s, 'unknown option $1')
    .replace(/^Option '([^']+)' argument missing$/, 'option $1 needs a value')
    .replace(/^Option '([^']+)' does not take an argument$/, 'option $1 takes no value');
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const next = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = row[j]!;
      row[j] = next;
    }
  }
  return row[b.length]!;
}

export function commandUsage(command: CommandSpec): string {
  const positionals = (command.positionals ?? []).map((p) => (p.required ? `<${p.name}>` : `[${p.name}]`));
  const lines = [
    `usage: autocloud ${[command.name, '[options]', ...positionals].join(' ')}`,
    '',
    command.summary,
  ];
  if (command.description) lines.push('', command.description);
  const options = Object.entries(optionsOf(command)).map(([name, o]) => {
    const flag = `${o.short ? `-${o.short}, ` : ''}--${name}${o.value ? ` <${o.value}>` : ''}`;
    return [flag, o.description] as const;
  });
  const width = Math.max(...options.map(([flag]) => flag.length));
  lines.push('', 'options:', ...options.map(([flag, text]) => `  ${flag.padEnd(width)}  ${text}`));
  if (command.examples?.length) lines.push('', 'examples:', ...command.examples.map((e) => `  ${e}`));
  return lines.join('\n');
}

export function mainUsage(commands: readonly CommandSpec[]): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    'usage: autocloud <command> [options]',
    '',
    'Runs Autocloud on this machine and talks to its API.',
    '',
    'commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    '`autocloud <command> --help` shows the options of a command.',
    '',
    'environment:',
    '  AUTOCLOUD_HOME   local state: embedded database, NATS store, API token, local composes (./.autocloud)',
    '  AUTOCLOUD_URL    the API the commands talk to (the running `up`, else http://127.0.0.1:8080)',
    '  AUTOCLOUD_TOKEN  bearer token for writes (default: $AUTOCLOUD_HOME/api-token, written by `up`)',
    '  NATS_URL, DATABASE_URL, PORT, AUTOCLOUD_COMPOSE_PORT, ...: see `autocloud up --help`',
  ].join('\n');
}

// ---- reading option values ----

export function stringOption(args: CommandArgs, name: string): string | undefined {
  const value = args.values[name];
  return typeof value === 'string' ? value : undefined;
}

export function flagOption(args: CommandArgs, name: string): boolean {
  return args.values[name] === true;
}

export function intOption(
  args: CommandArgs,
  name: string,
  range: { min: number; max: number },
): number | undefined {
  const value = stringOption(args, name);
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < range.min || n > range.max) {
    throw new UsageError(`--${name}: expected a whole number from ${range.min} to ${range.max}`, args.usage);
  }
  return n;
}

export function choiceOption<const T extends readonly string[]>(
  args: CommandArgs,
  name: string,
  choices: T,
): T[number] | undefined {
  const value = stringOption(args, name);
  if (value === undefined) return undefined;
  if (!choices.includes(value)) {
    throw new UsageError(`--${name}: expected one of ${choices.join(', ')}`, args.usage);
  }
  return value;
}

/** A job id (positive integer) from the positionals. */
export function idArgument(args: CommandArgs, index: number, what: string): number {
  const value = args.positionals[index] ?? '';
  if (!/^[1-9]\d{0,15}$/.test(value)) {
    throw new UsageError(
      `<${what}>: expected a positive whole number, got ${JSON.stringify(value)}`,
      args.usage,
    );
  }
  return Number(value);
}

/** A comma-separated list option, each entry checked against `choices`. */
export function listOption(
  args: CommandArgs,
  name: string,
  choices: readonly string[],
): string[] | undefined {
  const value = stringOption(args, name);
  if (value === undefined) return undefined;
  const entries = value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  const bad = entries.filter((e) => !choices.includes(e));
  if (entries.length === 0 || bad.length > 0) {
    throw new UsageError(
      `--${name}: ${bad.length > 0 ? `unknown ${bad.join(', ')}; ` : ''}expected a comma-separated list of ${choices.join(', ')}`,
      args.usage,
    );
  }
  return entries;
}

/** A usage error found after parsing, with the command's usage. */
export function usageError(args: CommandArgs, message: string): UsageError {
  return new UsageError(message, args.usage);
}
