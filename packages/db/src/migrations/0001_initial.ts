// The first schema: composes, jobs, job steps, output lines, processed event ids and the outbox (DESIGN §4).
// Frozen in time: this file never imports app code, and it is never edited once released; change it by adding 0002.
import { sql, type ColumnDefinitionBuilder, type Kysely } from 'kysely';

const notNull = (c: ColumnDefinitionBuilder) => c.notNull();
const now = sql`now()`;

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a frozen migration must not depend on today's types
export async function up(db: Kysely<any>): Promise<void> {
  // Identities are "by default" so that history from the original Autocloud can be imported with its job ids
  // (old messages link to /jobs/<id>/output); such an import must setval() the sequence afterwards.
  await db.schema
    .createTable('composes')
    .addColumn('compose_job_id', 'bigint', (c) => c.generatedByDefaultAsIdentity().primaryKey())
    .addColumn('compose_id', 'text', (c) => c.notNull().unique())
    .addColumn('location', 'text', notNull)
    .addColumn('release', 'text', notNull)
    .addColumn('date', 'text', notNull)
    .addColumn('respin', 'integer', notNull)
    .addColumn('type', 'text', notNull)
    .addColumn('label', 'text')
    .addColumn('pungi_status', 'text', notNull)
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('queued'))
    .addColumn('reason', 'text')
    .addColumn('job_count', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('passed', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('failed', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('aborted', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('trace_id', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addColumn('started_at', 'timestamptz')
    .addColumn('completed_at', 'timestamptz')
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addCheckConstraint('composes_status_check', sql`status in ('queued', 'running', 'complete')`)
    .addCheckConstraint(
      'composes_counts_check',
      sql`job_count >= 0 and passed >= 0 and failed >= 0 and aborted >= 0`,
    )
    .execute();

  await db.schema
    .createTable('jobs')
    .addColumn('job_id', 'bigint', (c) => c.generatedByDefaultAsIdentity().primaryKey())
    .addColumn('compose_job_id', 'bigint', (c) =>
      c.notNull().references('composes.compose_job_id').onDelete('cascade'),
    )
    .addColumn('compose_id', 'text', notNull)
    .addColumn('image_url', 'text', notNull)
    .addColumn('image_path', 'text', notNull)
    .addColumn('image_name', 'text', notNull)
    .addColumn('sha256', 'text', notNull)
    .addColumn('size', 'bigint', notNull)
    .addColumn('type', 'text', notNull)
    .addColumn('format', 'text', notNull)
    .addColumn('variant', 'text', notNull)
    .addColumn('arch', 'text', notNull)
    .addColumn('subvariant', 'text', notNull)
    .addColumn('family', 'text', notNull)
    .addColumn('release', 'text', notNull)
    .addColumn('backend', 'text', notNull)
    .addColumn('plan', 'text', notNull)
    .addColumn('limits', 'jsonb')
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('queued'))
    .addColumn('reason', 'text')
    .addColumn('reason_code', 'text')
    .addColumn('attempt', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('rerun_of', 'bigint', (c) => c.references('jobs.job_id').onDelete('set null'))
    .addColumn('superseded', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('hypervisor', 'text')
    .addColumn('runner', 'text')
    .addColumn('trace_id', 'text')
    .addColumn('summary', 'jsonb')
    .addColumn('boot_ms', 'integer')
    .addColumn('duration_ms', 'integer')
    .addColumn('output_lines', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('queued_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addColumn('started_at', 'timestamptz')
    .addColumn('finished_at', 'timestamptz')
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addCheckConstraint(
      'jobs_status_check',
      sql`status in ('queued', 'running', 'success', 'failed', 'aborted')`,
    )
    .addCheckConstraint('jobs_backend_check', sql`backend in ('libvirt', 'vbox')`)
    .addCheckConstraint(
      'jobs_reason_code_check',
      sql`reason_code in ('download', 'checksum', 'boot', 'ssh', 'cloud-init', 'test', 'timeout', 'cancelled', 'infrastructure')`,
    )
    .addCheckConstraint('jobs_attempt_check', sql`attempt >= 1`)
    .addCheckConstraint('jobs_size_check', sql`size >= 0`)
    .execute();

  await db.schema
    .createTable('job_steps')
    .addColumn('job_id', 'bigint', (c) => c.notNull().references('jobs.job_id').onDelete('cascade'))
    .addColumn('idx', 'integer', notNull)
    .addColumn('command', 'text', notNull)
    .addColumn('kind', 'text', notNull)
    .addColumn('exit_code', 'integer')
    .addColumn('passed', 'boolean', notNull)
    .addColumn('started_at', 'timestamptz', notNull)
    .addColumn('finished_at', 'timestamptz')
    .addColumn('duration_ms', 'integer')
    .addColumn('first_line', 'integer')
    .addColumn('last_line', 'integer')
    .addPrimaryKeyConstraint('job_steps_pkey', ['job_id', 'idx'])
    .addCheckConstraint(
      'job_steps_kind_check',
      sql`kind in ('command', 'non-gating', 'expected-fail', 'sleep', 'poll', 'host-command', 'host-test')`,
    )
    .execute();

  await db.schema
    .createTable('output_lines')
    .addColumn('job_id', 'bigint', (c) => c.notNull().references('jobs.job_id').onDelete('cascade'))
    .addColumn('n', 'integer', notNull)
    .addColumn('ts', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addColumn('text', 'text', notNull)
    .addColumn('step', 'integer')
    .addColumn('stream', 'text')
    .addPrimaryKeyConstraint('output_lines_pkey', ['job_id', 'n'])
    .execute();

  await db.schema
    .createTable('processed_events')
    .addColumn('event_id', 'text', (c) => c.primaryKey())
    .addColumn('subject', 'text', notNull)
    .addColumn('processed_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .execute();

  await db.schema
    .createTable('outbox')
    .addColumn('id', 'bigint', (c) => c.generatedByDefaultAsIdentity().primaryKey())
    .addColumn('subject', 'text', notNull)
    .addColumn('msg_id', 'text', (c) => c.notNull().unique())
    .addColumn('body', 'jsonb', notNull)
    .addColumn('headers', 'jsonb')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addColumn('published_at', 'timestamptz')
    .execute();

  // The API's filters, each followed by the keyset order (newest first).
  const jobIndexes: Record<string, string[]> = {
    jobs_compose_job_id_idx: ['compose_job_id', 'job_id desc'],
    jobs_compose_id_idx: ['compose_id', 'job_id desc'],
    jobs_status_idx: ['status', 'job_id desc'],
    jobs_arch_idx: ['arch', 'job_id desc'],
    jobs_family_idx: ['family', 'job_id desc'],
    jobs_type_idx: ['type', 'job_id desc'],
    jobs_backend_idx: ['backend', 'job_id desc'],
    jobs_release_idx: ['release', 'job_id desc'],
    // An image's history across composes.
    jobs_history_idx: ['image_name', 'arch', 'type', 'job_id desc'],
  };
  for (const [name, columns] of Object.entries(jobIndexes)) {
    await db.schema.createIndex(name).on('jobs').columns(columns).execute();
  }
  await db.schema
    .createIndex('jobs_rerun_of_idx')
    .on('jobs')
    .column('rerun_of')
    .where('rerun_of', 'is not', null)
    .execute();

  const composeIndexes: Record<string, string[]> = {
    composes_status_idx: ['status', 'compose_job_id desc'],
    composes_release_idx: ['release', 'compose_job_id desc'],
    composes_type_idx: ['type', 'compose_job_id desc'],
  };
  for (const [name, columns] of Object.entries(composeIndexes)) {
    await db.schema.createIndex(name).on('composes').columns(columns).execute();
  }

  // The relay only ever looks for what is still unpublished: keep that index as small as the backlog.
  await db.schema
    .createIndex('outbox_unpublished_idx')
    .on('outbox')
    .column('id')
    .where(sql.ref('published_at'), 'is', null)
    .execute();
  // For pruning old idempotency records.
  await db.schema
    .createIndex('processed_events_processed_at_idx')
    .on('processed_events')
    .column('processed_at')
    .execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a frozen migration must not depend on today's types
export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['outbox', 'processed_events', 'output_lines', 'job_steps', 'jobs', 'composes']) {
    await db.schema.dropTable(table).execute();
  }
}
