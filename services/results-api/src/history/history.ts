// An image's history across composes, the image being the unit under test: where it last passed, the first
// failure after that, and which step started failing there; boot-to-SSH time per compose shows a slowing boot.
import {
  firstFailedStep,
  imageHistory,
  type DbExecutor,
  type ImageHistoryRow,
  type ImageRef,
} from '@autocloud/db';
import { type HistoryEntry, type ImageHistory } from '@autocloud/schemas';

export interface Turning<T> {
  lastGood: T | undefined;
  firstBad: T | undefined;
}

/**
 * From results newest first: the newest success, and the oldest failure newer than it (the compose where the
 * image broke). With no success in view, the oldest failure shown. Aborted jobs say nothing about the image.
 */
export function findTurningPoint<T extends { status: string }>(entries: readonly T[]): Turning<T> {
  const good = entries.findIndex((e) => e.status === 'success');
  const newer = good === -1 ? entries : entries.slice(0, good);
  let firstBad: T | undefined;
  for (const entry of newer) if (entry.status === 'failed') firstBad = entry;
  return { lastGood: good === -1 ? undefined : entries[good], firstBad };
}

export function historyEntry(row: ImageHistoryRow): HistoryEntry {
  return {
    compose_job_id: row.compose_job_id,
    compose_id: row.compose_id,
    compose_date: row.compose_date,
    job_id: row.job_id,
    image_name: row.image_name,
    status: row.status,
    reason: row.reason,
    boot_ms: row.boot_ms,
    duration_ms: row.duration_ms,
    finished_at: row.finished_at === null ? null : new Date(row.finished_at).toISOString(),
  };
}

/** The image's history, or undefined when it has no results. */
export async function loadImageHistory(
  db: DbExecutor,
  image: ImageRef,
  limit: number,
): Promise<ImageHistory | undefined> {
  const rows = await imageHistory(db, image, limit);
  if (rows.length === 0) return undefined;
  const entries = rows.map(historyEntry);
  const { lastGood, firstBad } = findTurningPoint(entries);
  const step = firstBad ? await firstFailedStep(db, firstBad.job_id) : undefined;
  return {
    image: image.image,
    arch: image.arch,
    type: image.type,
    release: image.release,
    entries,
    last_good: lastGood ?? null,
    first_bad: firstBad ?? null,
    failing_step: step
      ? {
          job_id: step.job_id,
          idx: step.idx,
          command: step.command,
          kind: step.kind,
          exit_code: step.exit_code,
          first_line: step.first_line,
        }
      : null,
  };
}
