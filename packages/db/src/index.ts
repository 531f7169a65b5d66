// @autocloud/db: results-api's tables in PostgreSQL (or embedded PGlite), their migrations and repositories.
export { openDatabase, MEMORY_DATA_DIR, type DatabaseHandle, type OpenDatabaseOptions } from './database.js';
export { DatabaseError, InvalidCursorError, MigrationError } from './errors.js';
export {
  migrateDown,
  migrateToLatest,
  migrateToNone,
  migrationStatus,
  type MigrationState,
} from './migrate.js';
export {
  clampLimit,
  decodeCursor,
  encodeCursor,
  DEFAULT_PAGE_SIZE,
  MAX_PAGE_SIZE,
  type Page,
} from './pagination.js';
export type * from './schema.js';

export {
  findComposeByComposeId,
  findComposeById,
  insertCompose,
  listComposes,
  lockCompose,
  updateCompose,
  updateComposeCounts,
  type InsertComposeResult,
  type ListComposesFilter,
} from './composes/compose.repository.js';
export {
  findJob,
  insertJobs,
  listComposeJobs,
  listJobs,
  listQueuedBefore,
  lockJob,
  countOutputLines,
  updateJob,
  type ListJobsFilter,
} from './jobs/job.repository.js';
export {
  firstFailedStep,
  imageHistory,
  recentImages,
  type ImageHistoryRow,
  type ImageRef,
  type RecentImage,
} from './jobs/history.repository.js';
export { listSteps, upsertSteps } from './jobs/step.repository.js';
export { insertOutputLines, listOutputLines, MAX_OUTPUT_PAGE } from './output/output.repository.js';
export { markEventProcessed } from './events/processed-event.repository.js';
export { claimUnpublished, enqueueOutbox, markPublished } from './outbox/outbox.repository.js';
