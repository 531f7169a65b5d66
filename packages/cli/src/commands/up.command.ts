// `autocloud up`: every service on this machine with embedded defaults, their logs one line each, until Ctrl-C.
import { listOption, stringOption, type CommandArgs, type CommandSpec } from '../args.js';
import { type CliContext } from '../context.js';
import { formatLogLine } from '../output/log-line.js';
import { userCwd } from '../paths.js';
import { SERVICES, type ServiceName } from '../up/services.js';
import { LocalSystem } from '../up/system.js';

/** The services `--only` and `--skip` leave. */
export function selectedServices(args: CommandArgs): ServiceName[] {
  const only = listOption(args, 'only', SERVICES);
  const skip = listOption(args, 'skip', SERVICES) ?? [];
  return SERVICES.filter((s) => (only ? only.includes(s) : true) && !skip.includes(s));
}

const WIDTH = Math.max(...SERVICES.map((s) => s.length), 'nats-server'.length);

/** Prints log lines one each, nats-server's start-up banner left out (its warnings and errors are kept). */
export function logPrinter(
  write: (line: string) => void,
  color: boolean,
): (source: string, line: string) => void {
  let natsStarted = false;
  return (source, line) => {
    const formatted = formatLogLine(source, line, { color, serviceWidth: WIDTH });
    if (source === 'nats-server' && !natsStarted) {
      if (line.includes('Server is ready')) natsStarted = true;
      else if (formatted.level === 'info') return;
    }
    write(formatted.text);
  };
}

export const upCommand: CommandSpec = {
  name: 'up',
  summary: 'Run every service on this machine (embedded defaults) until Ctrl-C',
  description: [
    'Starts the seven services as child processes, each restarted if it crashes, with:',
    '  - NATS at NATS_URL (nats://127.0.0.1:4222); when none answers there, nats-server -js with its store in',
    '    $AUTOCLOUD_HOME/nats (the Debian package nats-server);',
    '  - PostgreSQL at DATABASE_URL, or else embedded PGlite in $AUTOCLOUD_HOME/db;',
    '  - the API and UI on http://127.0.0.1:8080 (PORT, HOST);',
    '  - local composes (`autocloud submit <dir>`) served from $AUTOCLOUD_HOME/composes on 127.0.0.1:8081',
    '    (AUTOCLOUD_COMPOSE_PORT);',
    '  - an API token in $AUTOCLOUD_HOME/api-token for the write commands;',
    "  - Fedora's composes from fedora-messaging when FEDORA_MESSAGING_URL (and its certificate files) are set,",
    '    else it waits for `autocloud submit`. The notifier publishes only to NOTIFIER_FEDORA_MESSAGING_URL.',
    'Every other setting of the services (README, Configuration) is passed through.',
  ].join('\n'),
  options: {
    only: { type: 'string', value: 'services', description: 'run only these (comma-separated)' },
    skip: { type: 'string', value: 'services', description: 'run all but these (comma-separated)' },
    rules: {
      type: 'string',
      value: 'rules',
      description: 'image rules: combined (default: default + test-image), default, test-image or a file',
    },
  },
  examples: ['autocloud up', 'autocloud up --skip vbox-runner', 'PORT=9090 autocloud up --rules default'],
  async run(ctx, args) {
    return runUp(ctx, selectedServices(args), stringOption(args, 'rules'));
  },
};

async function runUp(ctx: CliContext, services: ServiceName[], rules: string | undefined): Promise<number> {
  const color = ctx.stdout.isTTY === true;
  const print = logPrinter((line) => ctx.out(line), color);
  const system = await LocalSystem.start({
    env: ctx.env,
    home: ctx.home,
    cwd: userCwd(ctx.env, ctx.cwd),
    ...(rules ? { rules } : {}),
    services,
    onLine: print,
  });
  const up = (text: string, level = 'info') => print('up', JSON.stringify({ level, msg: text }));
  const onForce = () => {
    up('stopping now (SIGKILL)', 'warn');
    system.kill();
  };
  ctx.forceInterrupt.addEventListener('abort', onForce, { once: true });

  const ready = system.whenReady(services, ctx.interrupt).then(
    () =>
      up(
        `Autocloud is up: UI and API ${system.apiUrl}; test a compose with \`pnpm autocloud submit <url or directory>\` ` +
          'or `pnpm autocloud demo`; Ctrl-C stops it',
      ),
    () => undefined,
  );
  const slow = setTimeout(() => {
    const waiting = system.notReady();
    if (waiting.length > 0)
      up(`still not ready after 2 min: ${waiting.join(', ')} (see their messages)`, 'warn');
  }, 120_000);

  const interrupted = new Promise<'interrupted'>((resolve) => {
    if (ctx.interrupt.aborted) resolve('interrupted');
    ctx.interrupt.addEventListener('abort', () => resolve('interrupted'), { once: true });
  });
  const outcome = await Promise.race([interrupted, system.failed]);
  clearTimeout(slow);
  up(outcome === 'interrupted' ? 'stopping every service' : `stopping: ${outcome.service} cannot run`);
  const clean = await system.stop();
  await ready;
  ctx.forceInterrupt.removeEventListener('abort', onForce);
  up(clean ? 'stopped' : 'stopped (some had to be killed, or exited with an error)', clean ? 'info' : 'warn');
  if (outcome !== 'interrupted') return outcome.code === 2 ? 2 : 1;
  return clean ? 0 : 1;
}
