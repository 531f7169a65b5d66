// The messages the recorder derives from its rows: public events in the original Autocloud shapes, and work items.
import { type Compose, type Job } from '@autocloud/db';
import {
  type ComposeCompleteEvent,
  type ComposeEvent,
  type FetchWorkItem,
  type ImageEvent,
} from '@autocloud/schemas';

export function imageEvent(job: Job, status: ImageEvent['status'], at: Date): ImageEvent {
  const event: ImageEvent = {
    compose_id: job.compose_id,
    // The original's name for the absolute image URL; consumers of the old messages read it.
    compose_url: job.image_url,
    image_name: job.image_name,
    status,
    job_id: job.job_id,
    release: job.release,
    family: job.family,
    type: job.type,
    image_url: job.image_url,
    arch: job.arch,
    subvariant: job.subvariant,
    format: job.format,
    variant: job.variant,
    backend: job.backend,
    attempt: job.attempt,
    compose_job_id: job.compose_job_id,
    at: at.toISOString(),
  };
  if (job.rerun_of !== null) event.rerun_of = job.rerun_of;
  if (job.trace_id) event.trace_id = job.trace_id;
  if (job.reason) event.reason = job.reason;
  if (job.reason_code) event.reason_code = job.reason_code;
  if (job.duration_ms !== null) event.duration_ms = job.duration_ms;
  if (job.summary) event.summary = job.summary;
  if (job.hypervisor) event.hypervisor = job.hypervisor;
  if (job.runner) event.runner = job.runner;
  if (job.boot_ms !== null) event.boot_ms = job.boot_ms;
  return event;
}

export function composeEvent(compose: Compose, status: 'queued' | 'running', at: Date): ComposeEvent {
  return {
    id: compose.compose_id,
    date: compose.date,
    respin: compose.respin,
    type: compose.type,
    release: compose.release,
    status,
    compose_job_id: compose.compose_job_id,
    location: compose.location,
    ...(compose.label ? { label: compose.label } : {}),
    job_count: compose.job_count,
    at: at.toISOString(),
  };
}

/** compose.complete as the original sent it: aborted jobs count as failed, with an added aborted count. */
export function composeComplete(compose: Compose, jobs: readonly Job[], at: Date): ComposeCompleteEvent {
  const counted = jobs.filter((j) => !j.superseded);
  const artifacts: ComposeCompleteEvent['results']['artifacts'] = {};
  for (const job of counted) {
    if (job.status !== 'success' && job.status !== 'failed' && job.status !== 'aborted') continue;
    artifacts[job.job_id] = {
      architecture: job.arch,
      family: job.family,
      image_url: job.image_url,
      release: job.release,
      subvariant: job.subvariant,
      format: job.format,
      type: job.type,
      name: job.image_name,
      status: job.status,
    };
  }
  const count = (status: Job['status']) => counted.filter((j) => j.status === status).length;
  return {
    id: compose.compose_id,
    date: compose.date,
    respin: compose.respin,
    type: compose.type,
    release: compose.release,
    status: 'completed',
    compose_job_id: compose.compose_job_id,
    location: compose.location,
    ...(compose.label ? { label: compose.label } : {}),
    ...(compose.reason ? { reason: compose.reason } : {}),
    job_count: counted.length,
    at: at.toISOString(),
    results: {
      success: count('success'),
      failed: count('failed') + count('aborted'),
      aborted: count('aborted'),
      artifacts,
    },
  };
}

export function fetchWorkItem(job: Job): FetchWorkItem {
  const item: FetchWorkItem = {
    job_id: job.job_id,
    compose_job_id: job.compose_job_id,
    compose_id: job.compose_id,
    attempt: job.attempt,
    image: {
      url: job.image_url,
      sha256: job.sha256,
      size: job.size,
      type: job.type,
      format: job.format,
      arch: job.arch,
      variant: job.variant,
      subvariant: job.subvariant,
      family: job.family,
      image_name: job.image_name,
      release: job.release,
    },
    backend: job.backend,
    plan: job.plan,
  };
  if (job.limits) item.limits = job.limits;
  return item;
}
