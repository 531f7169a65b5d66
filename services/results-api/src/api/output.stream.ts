// GET /api/v1/jobs/{job_id}/output/stream: Server-Sent Events. The lines so far, then each new line as the runner
// writes it (`line`, with the line number as the event id, so Last-Event-ID resumes), step records as they change
// (`step`), and `end` with the final status once the job has ended and every line is sent.
import { findJob } from '@autocloud/db';
import { ApiError, JobParams, StreamQuery } from '@autocloud/schemas';
import { type ServerResponse } from 'node:http';
import { errors } from '../http/errors.js';
import { type App, type RouteContext } from '../http/context.js';
import { streamJobOutput, type OutputSink } from '../live/live-output.js';

/** The line number to resume after: Last-Event-ID (set by EventSource on reconnect) wins over ?after=. */
export function resumeAfter(lastEventId: string | string[] | undefined, after: number | undefined): number {
  const header = Array.isArray(lastEventId) ? lastEventId[0] : lastEventId;
  if (header !== undefined && /^\d{1,10}$/.test(header.trim())) return Number(header.trim());
  return after ?? 0;
}

/** Writes SSE frames; resolves when the socket can take more (back-pressure). */
function sseSink(res: ServerResponse): OutputSink & { comment(text: string): void } {
  const write = (frame: string): Promise<void> | void => {
    if (res.destroyed) return;
    if (!res.write(frame)) return new Promise((resolve) => res.once('drain', resolve).once('close', resolve));
  };
  return {
    line: (line) => write(`id: ${line.n}\nevent: line\ndata: ${JSON.stringify(line)}\n\n`),
    step: (step) => write(`event: step\ndata: ${JSON.stringify(step)}\n\n`),
    end: (status) => write(`event: end\ndata: ${JSON.stringify({ status })}\n\n`),
    comment: (text) => void write(`: ${text}\n\n`),
  };
}

export function outputStreamRoute(app: App, ctx: RouteContext): void {
  const { database, bus, log, settings } = ctx.deps;
  app.get(
    '/api/v1/jobs/:job_id/output/stream',
    {
      schema: {
        tags: ['output'],
        summary: "Follow the job's output live (Server-Sent Events)",
        description:
          'Events: `line` (id = line number, data = a line), `step` (a step record), `end` (data = {status}), ' +
          'after which the server closes the stream. Resume with Last-Event-ID or ?after=<line number>.',
        params: JobParams,
        querystring: StreamQuery,
        produces: ['text/event-stream'],
        response: { 400: ApiError, 404: ApiError, 503: ApiError },
      },
    },
    async (request, reply) => {
      const jobId = request.params.job_id;
      const job = await findJob(database.db, jobId);
      if (!job) throw errors.jobNotFound(jobId);
      const controller = ctx.streams.add();
      if (!controller) throw errors.tooManyStreams();
      const after = resumeAfter(request.headers['last-event-id'], request.query.after);

      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        // Not reused once the stream ends (EventSource opens a new one), so a closing server need not wait for it.
        connection: 'close',
        // nginx and other proxies must not buffer a live stream.
        'x-accel-buffering': 'no',
      });
      res.flushHeaders();
      const sink = sseSink(res);
      res.write('retry: 3000\n\n');
      const onClose = () => controller.abort(new Error('client went away'));
      request.raw.socket.on('close', onClose);
      res.on('close', onClose);
      const heartbeat = setInterval(() => sink.comment('keep-alive'), settings.sseHeartbeatMs ?? 15_000);
      try {
        await streamJobOutput(
          {
            database,
            bus,
            endWatcher: ctx.endWatcher,
            log,
            ...(settings.livePollMs ? { pollMs: settings.livePollMs } : {}),
          },
          jobId,
          after,
          sink,
          controller.signal,
        );
      } catch (err) {
        if (!controller.signal.aborted) {
          log.warn({ err, job_id: jobId }, 'live output stream failed');
          // The client reconnects (with Last-Event-ID) after the retry interval.
          if (!res.destroyed)
            res.write(`event: error\ndata: ${JSON.stringify({ message: 'stream interrupted' })}\n\n`);
        }
      } finally {
        clearInterval(heartbeat);
        request.raw.socket.off('close', onClose);
        ctx.streams.remove(controller);
        // The socket is closed, not kept for another request: a client that went away would otherwise leave it
        // half open, and a closing server would wait for it.
        const socket = request.raw.socket;
        if (res.destroyed) socket.destroy();
        else res.end(() => socket.destroy());
      }
    },
  );
}
