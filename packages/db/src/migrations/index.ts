// Every migration, listed by hand rather than found by scanning a folder, so they ship inside dist and bundles.
import type { Migration } from 'kysely';
import * as m0001 from './0001_initial.js';
import * as m0002 from './0002_image_history.js';

/** Migration name → migration; kysely runs them in name order. Append only. */
export const migrations: Record<string, Migration> = {
  '0001_initial': m0001,
  '0002_image_history': m0002,
};
