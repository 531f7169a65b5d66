// What a running `up` tells the other commands ($AUTOCLOUD_HOME/up.json): its API, compose server and NATS, and the
// processes it supervises. Removed when it stops; ignored when its process is gone.
import { readFileSync } from 'node:fs';
import { rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export const STATE_FILE = 'up.json';

export interface UpState {
  pid: number;
  home: string;
  api_url: string;
  compose_url: string;
  composes_dir: string;
  nats_url: string;
  /** The nats-server `up` started, if it started one. */
  nats_pid: number | null;
  rules_file: string;
  /** Service name -> pid of its current process. */
  services: Record<string, number | null>;
  started_at: string;
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The state of the `up` running with this home, or undefined. */
export function readUpState(home: string): UpState | undefined {
  let state: UpState;
  try {
    state = JSON.parse(readFileSync(join(home, STATE_FILE), 'utf8')) as UpState;
  } catch {
    return undefined;
  }
  return typeof state.pid === 'number' && isAutocloudProcess(state.pid) ? state : undefined;
}

/** Alive and, where /proc tells, an autocloud CLI (a stale file's pid may have been reused). */
function isAutocloudProcess(pid: number): boolean {
  if (!processAlive(pid)) return false;
  let cmdline: string;
  try {
    cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return true;
  }
  return /autocloud|packages\/cli/.test(cmdline);
}

export async function writeUpState(home: string, state: UpState): Promise<void> {
  const file = join(home, STATE_FILE);
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(state, null, 2)}\n`);
  await rename(tmp, file);
}

export async function removeUpState(home: string): Promise<void> {
  await rm(join(home, STATE_FILE), { force: true });
}
