import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { migrationStatus, openDatabase } from '@autocloud/db';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { runMigrations } from './migrate.js';

let home: string;
beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), 'results-api-migrate-'));
});
afterEach(async () => {
  await rm(home, { recursive: true, force: true });
});

test('applies every migration once, then finds nothing to do', { timeout: 60_000 }, async () => {
  const env = { AUTOCLOUD_HOME: home, LOG_LEVEL: 'silent' };
  expect(await runMigrations({ env })).toBe(0);
  expect(await runMigrations({ env })).toBe(0);

  const database = await openDatabase({ dataDir: join(home, 'db') });
  try {
    const states = await migrationStatus(database.db);
    expect(states.length).toBeGreaterThan(0);
    expect(states.every((s) => s.executedAt !== undefined)).toBe(true);
  } finally {
    await database.close();
  }
});

test('a bad setting exits 2 and names it without echoing the secret', async () => {
  const lines: string[] = [];
  const code = await runMigrations({
    env: { AUTOCLOUD_HOME: home, DATABASE_URL: 'mysql://user:s3cret@db/x' },
    stderr: (line) => lines.push(line),
  });
  expect(code).toBe(2);
  expect(lines.join('\n')).toMatch(/DATABASE_URL/);
  expect(lines.join('\n')).not.toMatch(/s3cret/);
});

test('an unreachable database fails with exit code 1', { timeout: 30_000 }, async () => {
  const code = await runMigrations({
    env: { AUTOCLOUD_HOME: home, DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none', LOG_LEVEL: 'silent' },
  });
  expect(code).toBe(1);
});
