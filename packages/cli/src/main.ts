#!/usr/bin/env node
// Entry point of `autocloud`: wires the process (arguments, environment, output, Ctrl-C) to runCli.
import { runCli } from './cli.js';

const interrupt = new AbortController();
const force = new AbortController();
const onSignal = (signal: NodeJS.Signals) => {
  if (!interrupt.signal.aborted) interrupt.abort(new Error(`received ${signal}`));
  else if (signal === 'SIGINT') force.abort(new Error('received a second SIGINT'));
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);
// Output piped into `head` and the like: stop quietly when the reader goes away.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
});

const code = await runCli(process.argv.slice(2), {
  env: process.env,
  cwd: process.cwd(),
  stdout: process.stdout,
  stderr: process.stderr,
  interrupt: interrupt.signal,
  forceInterrupt: force.signal,
});
process.exit(code);
