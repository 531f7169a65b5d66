// Live output of a job: numbered, timestamped lines published on autocloud.job.<job_id>.output in small batches, in
// order, so the UI can show a fetch or a test as it happens.
import { MAX_LINES_PER_MESSAGE, subjects, type OutputLine } from '@autocloud/schemas';
import { type Logger } from '@autocloud/telemetry';
import { type Bus } from './bus.js';

export interface OutputWriterOptions {
  /** First line number to use (lines before it were written by an earlier stage of the job). */
  firstLine?: number;
  /** How long a line may wait to be batched with others. */
  lingerMs?: number;
  log?: Logger;
}

export class OutputWriter {
  private next: number;
  private queue: OutputLine[] = [];
  private timer: NodeJS.Timeout | undefined;
  private sending: Promise<void> = Promise.resolve();
  private readonly lingerMs: number;

  constructor(
    private readonly bus: Bus,
    readonly jobId: number,
    private readonly opts: OutputWriterOptions = {},
  ) {
    this.next = opts.firstLine ?? 1;
    this.lingerMs = opts.lingerMs ?? 50;
  }

  /** The number the next line will get. */
  get nextLine(): number {
    return this.next;
  }

  /** Queues one or more lines (text is split on newlines); returns the number of the first. */
  write(text: string, fields: Pick<OutputLine, 'step' | 'stream'> = {}): number {
    const first = this.next;
    for (const line of text.replace(/\r\n?/g, '\n').split('\n')) {
      this.queue.push({ n: this.next++, ts: new Date().toISOString(), text: line, ...fields });
    }
    if (this.queue.length >= MAX_LINES_PER_MESSAGE) this.flushSoon(0);
    else this.flushSoon(this.lingerMs);
    return first;
  }

  /** Publishes everything queued; resolves when JetStream has it. */
  async flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    while (this.queue.length > 0) {
      const lines = this.queue.splice(0, MAX_LINES_PER_MESSAGE);
      this.sending = this.sending.then(() =>
        this.bus
          .publish(subjects.jobOutput(this.jobId), { job_id: this.jobId, lines })
          .then(() => undefined)
          .catch((err: unknown) =>
            this.opts.log?.warn({ err, job_id: this.jobId }, 'could not publish output'),
          ),
      );
    }
    await this.sending;
  }

  private flushSoon(delayMs: number): void {
    if (this.timer && delayMs > 0) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.flush(), delayMs);
  }
}
