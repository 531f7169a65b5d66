// How jobs are shown: the one-line description of a job and the summary table of a compose's jobs.
import { type JobResource } from '@autocloud/schemas';
import { formatDuration } from '../output/format.js';
import { renderTable, type Column } from '../output/table.js';

export function jobLabel(job: Pick<JobResource, 'job_id' | 'type' | 'backend'>): string {
  return `job ${job.job_id} (${job.type}, ${job.backend})`;
}

export const SUMMARY_COLUMNS: Column<JobResource>[] = [
  { header: 'JOB', value: (j) => String(j.job_id), right: true },
  { header: 'IMAGE TYPE', value: (j) => j.type },
  { header: 'BACKEND', value: (j) => j.backend },
  { header: 'HYPERVISOR', value: (j) => j.hypervisor ?? '-' },
  { header: 'STATUS', value: (j) => j.status },
  { header: 'DURATION', value: (j) => formatDuration(j.duration_ms), right: true },
  { header: 'BOOT', value: (j) => formatDuration(j.boot_ms), right: true },
];

/** The jobs that count: the latest attempt of each image (a superseded attempt was retried). */
export function currentJobs(jobs: readonly JobResource[]): JobResource[] {
  return jobs.filter((j) => !j.superseded).sort((a, b) => a.job_id - b.job_id);
}

export function summaryLines(jobs: readonly JobResource[]): string[] {
  const current = currentJobs(jobs);
  const lines = renderTable(SUMMARY_COLUMNS, current);
  for (const job of current) {
    if (job.status !== 'success' && job.reason) lines.push(`  job ${job.job_id}: ${job.reason}`);
  }
  return lines;
}

/** Every job that counts passed (and there is at least one). */
export function allPassed(jobs: readonly JobResource[]): boolean {
  const current = currentJobs(jobs);
  return current.length > 0 && current.every((j) => j.status === 'success');
}
