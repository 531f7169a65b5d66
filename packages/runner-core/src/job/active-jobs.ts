// The jobs this runner holds, and the cancel requests for them (core NATS requests on autocloud.job.<id>.cancel).
// Every runner listens; only the one holding the job answers, so a request nobody answers means "not running".
import { type Bus } from '@autocloud/bus';
import { CancelRequest, validator, type CancelReply } from '@autocloud/schemas';
import { type Logger } from '@autocloud/telemetry';
import { type Subscription } from '@nats-io/nats-core';
import { JobAbort } from './outcome.js';

const cancelRequest = validator(CancelRequest);

export class ActiveJobs {
  private readonly jobs = new Map<number, AbortController>();
  private sub: Subscription | undefined;

  get size(): number {
    return this.jobs.size;
  }

  ids(): number[] {
    return [...this.jobs.keys()];
  }

  add(jobId: number, cancel: AbortController): void {
    this.jobs.set(jobId, cancel);
  }

  delete(jobId: number): void {
    this.jobs.delete(jobId);
  }

  /** Aborts the job with reason `cancelled`; false when this runner does not hold it. */
  cancel(jobId: number, why: string): boolean {
    const job = this.jobs.get(jobId);
    if (!job) return false;
    job.abort(new JobAbort('cancelled', why));
    return true;
  }

  /** Answers cancel requests for the jobs held here. */
  listen(bus: Bus, log: Logger): void {
    this.sub = bus.nc.subscribe('autocloud.job.*.cancel', {
      callback: (err, msg) => {
        if (err) return;
        const jobId = Number(msg.subject.split('.')[2]);
        if (!this.jobs.has(jobId)) return;
        let body: unknown;
        try {
          body = msg.json();
        } catch {
          body = undefined;
        }
        const request = cancelRequest.check(body) ? body : undefined;
        const reply: CancelReply = request
          ? { accepted: true }
          : { accepted: false, message: 'the request is not a CancelRequest' };
        if (request) {
          const by = request.requested_by ? ` by ${request.requested_by}` : '';
          this.cancel(jobId, `cancelled${by}${request.reason ? `: ${request.reason}` : ''}`);
          log.info({ job_id: jobId, requested_by: request.requested_by }, 'job cancelled');
        }
        msg.respond(JSON.stringify(reply));
      },
    });
  }

  close(): void {
    this.sub?.unsubscribe();
  }
}
