// A job's output lines, keyed by line number so a redelivered line is stored once.
import { clampLimit } from '../pagination.js';
import type { DbExecutor, NewOutputLine, OutputLine } from '../schema.js';

/** Lines are short and read in long runs, so an output page may be larger than a list page. */
export const MAX_OUTPUT_PAGE = 5000;
/** Rows per INSERT, well under PostgreSQL's 65535 bind parameters. */
const INSERT_BATCH = 1000;

/** Stores the lines, skipping any already stored; returns how many were new. */
export async function insertOutputLines(db: DbExecutor, lines: readonly NewOutputLine[]): Promise<number> {
  let added = 0;
  for (let start = 0; start < lines.length; start += INSERT_BATCH) {
    const rows = await db
      .insertInto('output_lines')
      .values(lines.slice(start, start + INSERT_BATCH))
      .onConflict((oc) => oc.columns(['job_id', 'n']).doNothing())
      .returning('n')
      .execute();
    added += rows.length;
  }
  return added;
}

/** Lines numbered `from` and up, in order; `limit` is clamped to 1..MAX_OUTPUT_PAGE. */
export function listOutputLines(
  db: DbExecutor,
  jobId: number,
  from: number,
  limit?: number,
): Promise<OutputLine[]> {
  return db
    .selectFrom('output_lines')
    .selectAll()
    .where('job_id', '=', jobId)
    .where('n', '>=', from)
    .orderBy('n', 'asc')
    .limit(clampLimit(limit, MAX_OUTPUT_PAGE))
    .execute();
}
