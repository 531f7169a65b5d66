// An image's results across composes: the image (image_key, arch, type, release) is the unit under test.
import { sql } from 'kysely';
import type { DbExecutor, JobStatus, JobStep } from '../schema.js';

export interface ImageRef {
  /** The generated image_key, e.g. Fedora-Cloud-Base-Generic. */
  image: string;
  arch: string;
  type: string;
  release: string;
}

export interface ImageHistoryRow {
  compose_job_id: number;
  compose_id: string;
  compose_date: string;
  job_id: number;
  image_name: string;
  status: JobStatus;
  reason: string | null;
  boot_ms: number | null;
  duration_ms: number | null;
  finished_at: Date | null;
}

/**
 * The counted job of each compose for one image, newest compose first (superseded attempts are left out, so a
 * rerun replaces the result it reran).
 */
export function imageHistory(db: DbExecutor, image: ImageRef, limit: number): Promise<ImageHistoryRow[]> {
  return db
    .selectFrom('jobs')
    .innerJoin('composes', 'composes.compose_job_id', 'jobs.compose_job_id')
    .select([
      'jobs.compose_job_id',
      'jobs.compose_id',
      'composes.date as compose_date',
      'jobs.job_id',
      'jobs.image_name',
      'jobs.status',
      'jobs.reason',
      'jobs.boot_ms',
      'jobs.duration_ms',
      'jobs.finished_at',
    ])
    .where('jobs.image_key', '=', image.image)
    .where('jobs.arch', '=', image.arch)
    .where('jobs.type', '=', image.type)
    .where('jobs.release', '=', image.release)
    .where('jobs.superseded', '=', false)
    .orderBy('jobs.compose_job_id', 'desc')
    .orderBy('jobs.job_id', 'desc')
    .limit(Math.min(Math.max(Math.trunc(limit), 1), 500))
    .execute();
}

/** The first step of a job that ended without passing (a failing gating step stops the plan), if any. */
export function firstFailedStep(db: DbExecutor, jobId: number): Promise<JobStep | undefined> {
  return db
    .selectFrom('job_steps')
    .selectAll()
    .where('job_id', '=', jobId)
    .where('passed', '=', false)
    .where('finished_at', 'is not', null)
    .where('kind', 'not in', ['non-gating'])
    .orderBy('idx', 'asc')
    .limit(1)
    .executeTakeFirst();
}

export interface RecentImage extends ImageRef {
  last_job_id: number;
  last_status: JobStatus;
}

/**
 * The images tested among the newest `window` jobs, each with its latest result: the index of the history pages.
 * Bounded by the window so it stays cheap on a long history.
 */
export async function recentImages(db: DbExecutor, window = 5000): Promise<RecentImage[]> {
  const recent = db
    .selectFrom('jobs')
    .select(['job_id', 'image_key', 'arch', 'type', 'release', 'status'])
    .where('superseded', '=', false)
    .orderBy('job_id', 'desc')
    .limit(window)
    .as('recent');
  const rows = await db
    .selectFrom(recent)
    .select([
      'recent.image_key as image',
      'recent.arch',
      'recent.type',
      'recent.release',
      sql<number>`max(recent.job_id)`.as('last_job_id'),
      sql<JobStatus>`(array_agg(recent.status order by recent.job_id desc))[1]`.as('last_status'),
    ])
    .groupBy(['recent.image_key', 'recent.arch', 'recent.type', 'recent.release'])
    .orderBy('recent.release', 'desc')
    .orderBy('recent.image_key')
    .orderBy('recent.arch')
    .orderBy('recent.type')
    .execute();
  return rows;
}
