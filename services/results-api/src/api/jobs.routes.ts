// /api/v1/jobs: list (every filter, keyset pages), one job with its steps, its output in pages, rerun and cancel.
import { findJob, listJobs, listOutputLines, listSteps } from '@autocloud/db';
import {
  Accepted,
  ApiError,
  CancelBody,
  CancelResult,
  JobDetail,
  JobListQuery,
  JobPage,
  JobParams,
  OutputPage,
  OutputQuery,
  RerunBody,
} from '@autocloud/schemas';
import { requestCancel, requestRerun } from '../commands/commands.js';
import { errors } from '../http/errors.js';
import { type App, type RouteContext } from '../http/context.js';
import { isTerminal, jobResource, outputLineResource, stepResource } from './resources.js';

const tags = ['jobs'];
const errorReplies = { 400: ApiError, 404: ApiError, 503: ApiError };
const writeReplies = {
  400: ApiError,
  401: ApiError,
  403: ApiError,
  404: ApiError,
  409: ApiError,
  429: ApiError,
  502: ApiError,
  503: ApiError,
};

export function jobRoutes(app: App, ctx: RouteContext): void {
  const { database } = ctx.deps;

  app.get(
    '/api/v1/jobs',
    {
      schema: {
        tags,
        summary: 'List jobs, newest first, filtered',
        querystring: JobListQuery,
        response: { 200: JobPage, ...errorReplies },
      },
    },
    async (request) => {
      const { image, ...filters } = request.query;
      const page = await listJobs(database.db, { ...filters, ...(image ? { image_key: image } : {}) });
      return { items: page.items.map(jobResource), next_cursor: page.next_cursor };
    },
  );

  app.get(
    '/api/v1/jobs/:job_id',
    {
      schema: {
        tags,
        summary: 'One job, with its steps',
        params: JobParams,
        response: { 200: JobDetail, ...errorReplies },
      },
    },
    async (request) => {
      const { job_id: jobId } = request.params;
      const [job, steps] = await Promise.all([findJob(database.db, jobId), listSteps(database.db, jobId)]);
      if (!job) throw errors.jobNotFound(jobId);
      return { ...jobResource(job), steps: steps.map(stepResource) };
    },
  );

  app.get(
    '/api/v1/jobs/:job_id/output',
    {
      schema: {
        tags: ['output'],
        summary: "A page of the job's output lines",
        description: 'Lines numbered from `from`; poll with next_from, or follow /output/stream.',
        params: JobParams,
        querystring: OutputQuery,
        response: { 200: OutputPage, ...errorReplies },
      },
    },
    async (request) => {
      const { job_id: jobId } = request.params;
      const { from, limit } = request.query;
      const [job, lines] = await Promise.all([
        findJob(database.db, jobId),
        listOutputLines(database.db, jobId, from, limit),
      ]);
      if (!job) throw errors.jobNotFound(jobId);
      const last = lines.at(-1)?.n ?? from - 1;
      return {
        job_id: jobId,
        lines: lines.map(outputLineResource),
        next_from: last + 1,
        complete: isTerminal(job.status) && last >= job.output_lines,
      };
    },
  );

  app.post(
    '/api/v1/jobs/:job_id/rerun',
    {
      config: { rateLimit: ctx.writeLimit },
      preValidation: ctx.requireToken,
      schema: {
        tags,
        summary: 'Rerun a finished job',
        description: 'Publishes autocloud.control.rerun; the recorder creates the next attempt.',
        security: [{ bearer: [] }],
        params: JobParams,
        body: RerunBody,
        response: { 202: Accepted, ...writeReplies },
      },
    },
    async (request, reply) => {
      const requestId = await requestRerun(
        ctx.deps,
        request.params.job_id,
        request.principal ?? 'unknown',
        request.body?.request_id,
      );
      return reply.code(202).send({ request_id: requestId, status: 'accepted' as const });
    },
  );

  app.post(
    '/api/v1/jobs/:job_id/cancel',
    {
      config: { rateLimit: ctx.writeLimit },
      preValidation: ctx.requireToken,
      schema: {
        tags,
        summary: 'Cancel a queued or running job',
        description:
          'Asks the runner holding the job (core NATS request autocloud.job.<id>.cancel); 409 when none holds it.',
        security: [{ bearer: [] }],
        params: JobParams,
        body: CancelBody,
        response: { 202: CancelResult, ...writeReplies },
      },
    },
    async (request, reply) => {
      const result = await requestCancel(
        { ...ctx.deps, cancelTimeoutMs: ctx.deps.settings.cancelTimeoutMs },
        request.params.job_id,
        request.principal ?? 'unknown',
        request.body?.reason,
      );
      return reply.code(202).send(result);
    },
  );
}
