// Entry point of `pnpm --filter @autocloud/results-api migrate`: applies pending migrations, then exits.
import { runMigrations } from './migrate.js';

process.exit(await runMigrations());
