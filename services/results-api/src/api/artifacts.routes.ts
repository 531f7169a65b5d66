// /api/v1/jobs/{job_id}/artifacts[/{name}]: a job's artifacts from the `artifacts` object store, streamed.
import { findJob } from '@autocloud/db';
import { ApiError, ArtifactList, ArtifactParams, JobParams } from '@autocloud/schemas';
import { Type } from '@sinclair/typebox';
import { errors } from '../http/errors.js';
import { type App, type RouteContext } from '../http/context.js';

const tags = ['artifacts'];

export function artifactRoutes(app: App, ctx: RouteContext): void {
  const { database } = ctx.deps;

  app.get(
    '/api/v1/jobs/:job_id/artifacts',
    {
      schema: {
        tags,
        summary: "List a job's artifacts",
        params: JobParams,
        response: { 200: ArtifactList, 400: ApiError, 404: ApiError, 503: ApiError },
      },
    },
    async (request) => {
      const jobId = request.params.job_id;
      if (!(await findJob(database.db, jobId))) throw errors.jobNotFound(jobId);
      const items = await ctx.artifacts.list(jobId).catch((err: unknown) => {
        throw errors.natsUnavailable(err);
      });
      return {
        items: items.map((a) => ({
          name: a.name,
          size: a.size,
          modified: a.modified.toISOString(),
          url: `/api/v1/jobs/${jobId}/artifacts/${encodeURIComponent(a.name)}`,
        })),
      };
    },
  );

  app.get(
    '/api/v1/jobs/:job_id/artifacts/:name',
    {
      schema: {
        tags,
        summary: 'Download one artifact (serial console, cloud-init logs, steps.json, ...)',
        params: ArtifactParams,
        produces: ['text/plain', 'application/json', 'application/octet-stream'],
        response: {
          200: Type.String({ format: 'binary', description: 'The file' }),
          400: ApiError,
          404: ApiError,
          503: ApiError,
        },
      },
    },
    async (request, reply) => {
      const { job_id: jobId, name } = request.params;
      const artifact = await ctx.artifacts.open(jobId, name).catch((err: unknown) => {
        throw errors.natsUnavailable(err);
      });
      if (!artifact) throw errors.artifactNotFound(jobId, name);
      return (
        reply
          .type(artifact.contentType)
          .header('content-length', String(artifact.info.size))
          .header('content-disposition', `inline; filename="${name}"`)
          // An artifact is whatever the guest printed: never let a browser treat it as a page of this site.
          .header('content-security-policy', "default-src 'none'; sandbox")
          .header('cache-control', 'private, max-age=60')
          // A stream: fastify pipes it as it is, without the serializer the schema's type would pick.
          .send(artifact.body as unknown as string)
      );
    },
  );
}
