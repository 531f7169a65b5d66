// /api/v1/composes: list (filters, keyset pages), one compose by id or integer id, and submitting one by hand.
import { findComposeByComposeId, findComposeById, listComposes } from '@autocloud/db';
import {
  Accepted,
  ApiError,
  ComposeListQuery,
  ComposePage,
  ComposeParams,
  ComposeResource,
  SubmitComposeBody,
} from '@autocloud/schemas';
import { submitCompose } from '../commands/commands.js';
import { errors } from '../http/errors.js';
import { type App, type RouteContext } from '../http/context.js';
import { composeResource } from './resources.js';

const tags = ['composes'];
const errorReplies = { 400: ApiError, 404: ApiError, 503: ApiError };
const writeReplies = { 400: ApiError, 401: ApiError, 403: ApiError, 429: ApiError, 503: ApiError };

export function composeRoutes(app: App, ctx: RouteContext): void {
  const { database } = ctx.deps;

  app.get(
    '/api/v1/composes',
    {
      schema: {
        tags,
        summary: 'List composes, newest first',
        querystring: ComposeListQuery,
        response: { 200: ComposePage, ...errorReplies },
      },
    },
    async (request) => {
      const page = await listComposes(database.db, request.query);
      return { items: page.items.map(composeResource), next_cursor: page.next_cursor };
    },
  );

  app.get(
    '/api/v1/composes/:compose_id',
    {
      schema: {
        tags,
        summary: 'One compose, by compose id or integer compose_job_id',
        params: ComposeParams,
        response: { 200: ComposeResource, ...errorReplies },
      },
    },
    async (request) => {
      const { compose_id: id } = request.params;
      const compose = /^[1-9][0-9]{0,15}$/.test(id)
        ? await findComposeById(database.db, Number(id))
        : await findComposeByComposeId(database.db, id);
      if (!compose) throw errors.composeNotFound(id);
      return composeResource(compose);
    },
  );

  app.post(
    '/api/v1/composes',
    {
      config: { rateLimit: ctx.writeLimit },
      preValidation: ctx.requireToken,
      schema: {
        tags,
        summary: 'Test a compose by hand',
        description:
          'Publishes autocloud.control.submit; compose-resolver reads the compose and plans its jobs.',
        security: [{ bearer: [] }],
        body: SubmitComposeBody,
        response: { 202: Accepted, ...writeReplies },
      },
    },
    async (request, reply) => {
      const requestId = await submitCompose(ctx.deps, request.body, request.principal ?? 'unknown');
      return reply.code(202).send({ request_id: requestId, status: 'accepted' as const });
    },
  );
}
