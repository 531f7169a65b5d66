import { appendFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, test } from 'vitest';
import { cleanLine } from '../ssh/ssh-session.js';
import { ConsoleWatcher } from './console-watcher.js';

let dir: string | undefined;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

test('follows the log as it grows and notes kernel, login prompt and fatal lines', async () => {
  dir = await mkdtemp(join(tmpdir(), 'console-'));
  const path = join(dir, 'serial.log');
  const lines: string[] = [];
  const watcher = new ConsoleWatcher(path, (l) => lines.push(l), 20);
  watcher.start();
  await writeFile(path, 'SeaBIOS (version 1.16)\r\n');
  await new Promise((r) => setTimeout(r, 100));
  expect(watcher.state).toMatchObject({ sawOutput: true, sawKernel: false });
  await appendFile(path, '[    0.000000] Linux version 6.1.0\r\ndebian login: ');
  await new Promise((r) => setTimeout(r, 100));
  expect(watcher.state.sawKernel).toBe(true);
  expect(watcher.state.loginPromptAt).toBeDefined();
  watcher.rebooting();
  expect(watcher.state.loginPromptAt).toBeUndefined();
  await appendFile(path, '\r\n[   3.1] Kernel panic - not syncing: VFS: Unable to mount root fs\r\n');
  await watcher.stop();
  expect(watcher.state.fatal).toBe('Kernel panic - not syncing: VFS: Unable to mount root fs');
  expect(lines).toContain('SeaBIOS (version 1.16)');
});

test('cleanLine drops terminal escapes and carriage returns', () => {
  expect(cleanLine('\x1b[0;32m OK \x1b[0m Started\r')).toBe(' OK  Started');
  expect(cleanLine('progress 10%\rprogress 100%')).toBe('progress 100%');
});
