// compose.resolved: the compose and its jobs become rows, and their queued events and fetch work go to the outbox,
// all in one transaction. The same compose resolved again (redelivery, a second resolver, another bus) adds nothing.
import { insertCompose, insertJobs, updateCompose, type Database, type NewJob } from '@autocloud/db';
import { type ComposeResolved } from '@autocloud/schemas';
import { type Transaction } from 'kysely';
import { completeIfDone } from './completion.js';
import { composeEvent, fetchWorkItem, imageEvent } from './events.js';
import { type OutboxBatch } from './outbox.js';

export async function recordResolved(
  trx: Transaction<Database>,
  event: ComposeResolved,
  at: Date,
  outbox: OutboxBatch,
  traceId: string | undefined,
): Promise<'created' | 'exists'> {
  const { compose, created } = await insertCompose(trx, {
    compose_id: event.compose_id,
    location: event.location,
    release: event.release,
    date: event.date,
    respin: event.respin,
    type: event.type,
    label: event.label,
    pungi_status: event.pungi_status,
    reason: event.reason ?? null,
    job_count: event.jobs.length,
    trace_id: traceId ?? null,
    created_at: at,
  });
  if (!created) return 'exists';

  const jobs = await insertJobs(
    trx,
    event.jobs.map((j): NewJob => ({
      compose_job_id: compose.compose_job_id,
      compose_id: compose.compose_id,
      image_url: j.image_url,
      image_path: j.path,
      image_name: j.image_name,
      sha256: j.sha256,
      size: j.size,
      type: j.type,
      format: j.format,
      variant: j.variant,
      arch: j.arch,
      subvariant: j.subvariant,
      family: j.family,
      release: event.release,
      backend: j.backend,
      plan: j.plan,
      limits: j.limits ?? null,
      trace_id: traceId ?? null,
      queued_at: at,
    })),
  );

  outbox.add('autocloud.compose.queued', composeEvent(compose, 'queued', at));
  for (const job of jobs) {
    outbox.add('autocloud.image.queued', imageEvent(job, 'queued', at));
    outbox.add('autocloud.work.fetch', fetchWorkItem(job));
  }
  if (jobs.length === 0) {
    // Nothing to test (no image selected, or the metadata could not be read): the compose is done at once.
    const running = await updateCompose(trx, compose.compose_job_id, { status: 'running', started_at: at });
    if (running) await completeIfDone(trx, running, at, outbox);
  }
  return 'created';
}
