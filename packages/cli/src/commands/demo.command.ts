// `autocloud demo`: the whole system on one compose. Builds (or reuses) the test image, writes a compose of its
// qcow2, Vagrant libvirt box and Vagrant VirtualBox box with real productmd metadata, submits it to the running
// system (or to one it starts for the purpose), follows every job live, and summarizes; exit 0 only if all passed.
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { flagOption, intOption, type CommandSpec } from '../args.js';
import { locationPath } from '../compose/local-compose.js';
import { type CliContext } from '../context.js';
import { CliError } from '../errors.js';
import { nextDemoRespin, writeDemoCompose } from '../demo/demo-compose.js';
import { buildTestImage, readTestImage } from '../demo/test-image.js';
import { ProgressBoard } from '../output/board.js';
import { formatLogLine } from '../output/log-line.js';
import { userCwd } from '../paths.js';
import { SERVICES } from '../up/services.js';
import { LocalSystem } from '../up/system.js';
import { apiClient } from './api.js';
import { checkServed, followAndSummarize, localServing, type LocalServing } from './submit.command.js';

export const demoCommand: CommandSpec = {
  name: 'demo',
  summary: 'Test the test image end to end: build it, submit it as a compose, follow it, summarize',
  description: [
    'Uses the system running at the API URL (started by `autocloud up`), or starts one for the demo and stops',
    'it at the end (--keep leaves it running until Ctrl-C, to browse the results). Needs root for the image',
    'build (tests/images/build.sh, cached) and libvirt for the VMs (scripts/setup.sh prepares both).',
    'Exits 0 only when every job passed.',
  ].join('\n'),
  json: true,
  options: {
    keep: {
      type: 'boolean',
      description: 'keep the system it started running after the summary, until Ctrl-C',
    },
    timeout: { type: 'string', value: 'minutes', description: 'give up after this long (default 60)' },
  },
  examples: ['pnpm autocloud demo', 'pnpm autocloud demo --keep'],
  async run(ctx, args) {
    const keep = flagOption(args, 'keep');
    const timeoutMs = (intOption(args, 'timeout', { min: 1, max: 1440 }) ?? 60) * 60_000;
    const say = (text: string) => ctx.note(text);

    say('[1/4] test image: tests/images/build.sh (cached; a first build takes a few minutes, as root)');
    const imageDir = await buildTestImage(ctx.env, (line) => say(`      ${line}`), ctx.interrupt);
    const image = readTestImage(imageDir);
    say(`      ${imageDir}`);

    let system: LocalSystem | undefined;
    let run = ctx;
    let serving: LocalServing;
    if (await apiClient(ctx).healthy()) {
      say(`[2/4] using the system running at ${ctx.apiUrl}`);
      serving = localServing(ctx);
    } else {
      if (ctx.env.AUTOCLOUD_URL) {
        throw new CliError(
          `nothing answers at AUTOCLOUD_URL ${ctx.env.AUTOCLOUD_URL}`,
          1,
          'unset it to let the demo start a system',
        );
      }
      system = await startSystem(ctx);
      run = { ...ctx, apiUrl: system.apiUrl };
      serving = { composesDir: join(ctx.home, 'composes'), composeUrl: system.composeUrl };
    }

    let code: number;
    let finished = false;
    try {
      const api = apiClient(run);
      const respin = await nextDemoRespin(
        serving.composesDir,
        image.release,
        new Date(),
        async (id) => (await api.findCompose(id)) !== undefined,
      );
      const compose = await writeDemoCompose(serving.composesDir, image, { respin });
      const location = `${serving.composeUrl}/${locationPath(compose.path)}`;
      await checkServed(location);
      say(
        `[3/4] compose ${compose.composeId}: qcow2, Vagrant libvirt box, Vagrant VirtualBox box in ${compose.topDir}`,
      );
      const reply = await api.submit(location, compose.composeId);
      say(
        `[4/4] submitted ${location} (request ${reply.request_id}); following its jobs (under TCG a boot takes a minute or more)`,
      );
      const followed = followAndSummarize(run, api, compose.composeId, {
        timeoutMs,
        noJobsHint:
          'no job was planned: the running system must use the test image rules ' +
          '(services/compose-resolver/rules/test-image.yaml; `autocloud up` does unless --rules or RULES_FILE say otherwise)',
      });
      // A service of the demo's own system that cannot run (a configuration error) ends the wait.
      const outcome = await Promise.race([
        followed.then((exitCode) => ({ exitCode })),
        ...(system ? [system.failed.then((failure) => ({ failure }))] : []),
      ]);
      if ('failure' in outcome) {
        followed.catch(() => undefined);
        throw new CliError(
          `${outcome.failure.service} cannot run (${outcome.failure.reason})`,
          1,
          `its messages are in ${join(ctx.home, 'logs', 'demo.log')}`,
        );
      }
      code = outcome.exitCode;
      finished = true;
    } finally {
      if (system) {
        if (keep && finished && !ctx.interrupt.aborted) {
          say(`the system keeps running (${system.apiUrl}); Ctrl-C stops it`);
          await new Promise<void>((resolve) => {
            ctx.interrupt.addEventListener('abort', () => resolve(), { once: true });
            void system?.failed.then(() => resolve());
          });
        }
        say('stopping the system the demo started');
        await system.stop();
        if (!keep) say('(its results stay in AUTOCLOUD_HOME: `pnpm autocloud up` shows them again)');
      }
    }
    return code;
  },
};

/** A system for the demo: service logs to $AUTOCLOUD_HOME/logs/demo.log (errors also on the terminal). */
async function startSystem(ctx: CliContext): Promise<LocalSystem> {
  const logs = join(ctx.home, 'logs');
  await mkdir(logs, { recursive: true });
  const logFile = join(logs, 'demo.log');
  const log = createWriteStream(logFile, { flags: 'a' });
  const board = new ProgressBoard(ctx.stderr);
  ctx.note(
    `[2/4] starting Autocloud on this machine (as \`autocloud up\` would); service logs in ${logFile}`,
  );
  const system = await LocalSystem.start({
    env: ctx.env,
    home: ctx.home,
    cwd: userCwd(ctx.env, ctx.cwd),
    services: SERVICES,
    onLine: (source, line) => {
      const formatted = formatLogLine(source, line, { color: false });
      log.write(`${formatted.text}\n`);
      if (formatted.level === 'error' || formatted.level === 'fatal') ctx.note(`      ${formatted.text}`);
    },
  });
  void system.failed.then((f) => ctx.note(`      ${f.service} cannot run: ${f.reason} (see ${logFile})`));
  const started = Date.now();
  board.row(
    'ready',
    () =>
      `      waiting for: ${system.notReady().join(', ')} (${Math.round((Date.now() - started) / 1000)} s)`,
  );
  try {
    await Promise.race([
      system.whenReady(SERVICES, ctx.interrupt),
      new Promise((resolve) => setTimeout(resolve, 180_000).unref()),
    ]);
  } catch (err) {
    board.close();
    await system.stop();
    throw err;
  }
  board.close();
  const waiting = system.notReady();
  if (waiting.length > 0)
    ctx.note(`      not ready after 3 min: ${waiting.join(', ')}; going on (see ${logFile})`);
  else ctx.note(`      every service is ready: ${system.apiUrl}`);
  return system;
}
