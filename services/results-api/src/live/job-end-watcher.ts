// Tells live output streams when their job ends: one core NATS subscription to the terminal image events for the
// whole server, fanned out to the streams waiting on each job.
import { type Bus } from '@autocloud/bus';
import { type Subscription } from '@nats-io/nats-core';
import { parseJson } from '@autocloud/schemas';
import { type Logger } from '@autocloud/telemetry';

export type EndStatus = 'success' | 'failed' | 'aborted';
const TERMINAL = new Set<string>(['success', 'failed', 'aborted']);

export class JobEndWatcher {
  private readonly waiting = new Map<number, Set<(status: EndStatus) => void>>();
  private subscription: Subscription | undefined;

  constructor(
    private readonly bus: Bus,
    private readonly log: Logger,
  ) {}

  start(): void {
    if (this.subscription) return;
    this.subscription = this.bus.nc.subscribe('autocloud.image.*', {
      callback: (err, msg) => {
        if (err) return this.log.warn({ err }, 'job end subscription failed');
        const status = msg.subject.split('.')[2] ?? '';
        if (!TERMINAL.has(status)) return;
        const parsed = parseJson(msg.data);
        const jobId = parsed.ok ? (parsed.value as { job_id?: unknown }).job_id : undefined;
        if (typeof jobId !== 'number') return;
        for (const notify of this.waiting.get(jobId) ?? []) notify(status as EndStatus);
      },
    });
  }

  stop(): void {
    this.subscription?.unsubscribe();
    this.subscription = undefined;
  }

  /** Calls `onEnd` when the job's terminal event is seen; returns the function that stops waiting. */
  watch(jobId: number, onEnd: (status: EndStatus) => void): () => void {
    let set = this.waiting.get(jobId);
    if (!set) this.waiting.set(jobId, (set = new Set()));
    set.add(onEnd);
    return () => {
      set.delete(onEnd);
      if (set.size === 0) this.waiting.delete(jobId);
    };
  }

  get watchers(): number {
    let n = 0;
    for (const set of this.waiting.values()) n += set.size;
    return n;
  }
}
