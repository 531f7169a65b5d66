// A job's output as it grows: the lines PostgreSQL has (after the client's last line), then the OUTPUT stream from
// JetStream for what the recorder has not stored yet and for every new line and step record, until the job ends and
// the stream has given everything the runner wrote before its final event.
import { type Bus } from '@autocloud/bus';
import { findJob, listOutputLines, listSteps, type DatabaseHandle, type JobStatus } from '@autocloud/db';
import { JetStreamApiError, type ConsumerMessages, type JsMsg } from '@nats-io/jetstream';
import {
  JobSteps,
  OutputLines,
  parseJson,
  subjects,
  validator,
  type OutputLineResource,
  type StepResource,
} from '@autocloud/schemas';
import { type Logger } from '@autocloud/telemetry';
import { isTerminal, outputLineResource, stepResource, stepState } from '../api/resources.js';
import { type JobEndWatcher } from './job-end-watcher.js';

export interface OutputSink {
  line(line: OutputLineResource): Promise<void> | void;
  step(step: StepResource): Promise<void> | void;
  end(status: JobStatus): Promise<void> | void;
}

export interface LiveOutputDeps {
  database: DatabaseHandle;
  bus: Bus;
  endWatcher: JobEndWatcher;
  log: Logger;
  /** How often the job's state is read from PostgreSQL in case its end event was missed (2 s). */
  pollMs?: number;
  /** How long to wait for the last lines once the job ended (3 s). */
  drainTimeoutMs?: number;
}

const PAGE = 1000;
const outputLines = validator(OutputLines);
const jobSteps = validator(JobSteps);

/** Streams the job's output after line `after` into `sink` until the job ends (or `signal` aborts). */
export async function streamJobOutput(
  deps: LiveOutputDeps,
  jobId: number,
  after: number,
  sink: OutputSink,
  signal: AbortSignal,
): Promise<void> {
  await new OutputFollower(deps, jobId, sink, signal).run(after);
}

class OutputFollower {
  private lastLine = 0;
  /** Per followed subject (output, steps): the newest stream sequence delivered, and the one to reach. */
  private readonly lastSeq = [0, 0];
  private targets: number[] | undefined;
  private readonly subjects: readonly string[];
  private consumers: ConsumerMessages[] = [];
  private following = false;
  private ended: JobStatus | undefined;
  private drainTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly deps: LiveOutputDeps,
    private readonly jobId: number,
    private readonly sink: OutputSink,
    private readonly signal: AbortSignal,
  ) {
    this.subjects = [subjects.jobOutput(jobId), subjects.jobSteps(jobId)];
  }

  async run(after: number): Promise<void> {
    this.lastLine = after;
    const unwatch = this.deps.endWatcher.watch(this.jobId, (status) => this.markEnded(status));
    let poll: NodeJS.Timeout | undefined;
    try {
      await this.sendStored();
      const job = await findJob(this.deps.database.db, this.jobId);
      if (!job || this.signal.aborted) return;
      if (isTerminal(job.status)) {
        this.ended = job.status;
        // Ended: JetStream matters only if it holds lines the recorder has not stored yet.
        if ((await lastStreamedLine(this.deps.bus, this.jobId)) > this.lastLine) await this.follow();
      } else {
        // The end event is the fast path; this catches one that came before the subscription did.
        poll = setInterval(() => {
          findJob(this.deps.database.db, this.jobId)
            .then((j) => {
              if (j && isTerminal(j.status)) this.markEnded(j.status);
            })
            .catch(() => undefined);
        }, this.deps.pollMs ?? 2_000);
        await this.follow();
      }
      if (!this.signal.aborted && this.ended !== undefined) await this.sink.end(this.ended);
    } finally {
      unwatch();
      clearInterval(poll);
      clearTimeout(this.drainTimer);
    }
  }

  /** What PostgreSQL has: lines after the client's last one, and the steps so far. */
  private async sendStored(): Promise<void> {
    const { db } = this.deps.database;
    for (;;) {
      const rows = await listOutputLines(db, this.jobId, this.lastLine + 1, PAGE);
      for (const row of rows) {
        if (this.signal.aborted) return;
        await this.sink.line(outputLineResource(row));
        this.lastLine = row.n;
      }
      if (rows.length < PAGE) break;
    }
    for (const step of await listSteps(db, this.jobId)) await this.sink.step(stepResource(step));
  }

  /**
   * Follows the job's output and step subjects in the OUTPUT stream from their start, skipping lines already sent:
   * one ordered consumer per subject (nats-server 2.9 has no multi-subject filters, and a `job.<id>.*` filter is
   * not a subset of either stream subject).
   */
  private async follow(): Promise<void> {
    const js = this.deps.bus.js;
    this.consumers = await Promise.all(
      this.subjects.map(async (subject) =>
        (await js.consumers.get('OUTPUT', { filter_subjects: subject })).consume({ max_messages: 100 }),
      ),
    );
    this.following = true;
    const stop = () => this.stop();
    this.signal.addEventListener('abort', stop, { once: true });
    try {
      // Aborted while the consumers were being created: the listener came too late to hear it.
      if (this.signal.aborted) stop();
      else if (this.ended !== undefined) this.stopOnceDrained();
      await Promise.all(
        this.consumers.map(async (messages, i) => {
          for await (const msg of messages) {
            this.lastSeq[i] = msg.seq;
            this.lastLine = await deliver(msg, this.lastLine, this.sink);
            if (this.drained()) return this.stop();
          }
        }),
      );
    } finally {
      this.signal.removeEventListener('abort', stop);
      this.stop();
    }
  }

  private stop(): void {
    for (const messages of this.consumers) void messages.stop();
  }

  private drained(): boolean {
    return this.targets !== undefined && this.targets.every((target, i) => (this.lastSeq[i] ?? 0) >= target);
  }

  private markEnded(status: JobStatus): void {
    if (this.ended !== undefined) return;
    this.ended = status;
    if (this.following) this.stopOnceDrained();
  }

  /** Runners publish their output before their final event: stop once the stream's newest messages are delivered. */
  private stopOnceDrained(): void {
    Promise.all(this.subjects.map((subject) => lastSeqOf(this.deps.bus, subject)))
      .then((targets) => {
        this.targets = targets;
        if (this.drained()) return this.stop();
        this.drainTimer = setTimeout(() => this.stop(), this.deps.drainTimeoutMs ?? 3_000);
      })
      .catch(() => this.stop());
  }
}

/** Sends what one stored message holds; returns the last line number sent. */
async function deliver(msg: JsMsg, lastLine: number, sink: OutputSink): Promise<number> {
  const parsed = parseJson(msg.data);
  if (!parsed.ok) return lastLine;
  if (msg.subject.endsWith('.output') && outputLines.check(parsed.value)) {
    for (const line of parsed.value.lines) {
      if (line.n <= lastLine) continue;
      await sink.line({
        n: line.n,
        ts: line.ts,
        text: line.text,
        step: line.step ?? null,
        stream: line.stream ?? null,
      });
      lastLine = line.n;
    }
  } else if (msg.subject.endsWith('.steps') && jobSteps.check(parsed.value)) {
    for (const s of parsed.value.steps) {
      const finished = s.finished_at ?? null;
      await sink.step({
        idx: s.idx,
        command: s.command,
        kind: s.kind,
        state: stepState({ finished_at: finished, passed: s.passed }),
        exit_code: s.exit_code ?? null,
        passed: s.passed,
        started_at: s.started_at,
        finished_at: finished,
        duration_ms: s.duration_ms ?? null,
        first_line: s.first_line ?? null,
        last_line: s.last_line ?? null,
      });
    }
  }
  return lastLine;
}

/** Stream sequence of the newest message on a subject (0: none). */
async function lastSeqOf(bus: Bus, subject: string): Promise<number> {
  try {
    const m = await bus.jsm.streams.getMessage('OUTPUT', { last_by_subj: subject });
    return m?.seq ?? 0;
  } catch (err) {
    // No message on the subject: nothing to wait for.
    if (err instanceof JetStreamApiError && err.code === 10037) return 0;
    throw err;
  }
}

/** Number of the last line the OUTPUT stream holds for the job (0: none, or NATS unreachable). */
async function lastStreamedLine(bus: Bus, jobId: number): Promise<number> {
  try {
    const m = await bus.jsm.streams.getMessage('OUTPUT', { last_by_subj: subjects.jobOutput(jobId) });
    const parsed = m ? parseJson(m.data) : undefined;
    if (!parsed?.ok || !outputLines.check(parsed.value)) return 0;
    return parsed.value.lines.at(-1)?.n ?? 0;
  } catch {
    return 0;
  }
}
