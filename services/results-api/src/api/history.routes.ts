// /api/v1/history: an image's results across composes, with the last good and first bad compose.
import { ApiError, HistoryQuery, ImageHistory } from '@autocloud/schemas';
import { loadImageHistory } from '../history/history.js';
import { errors } from '../http/errors.js';
import { type App, type RouteContext } from '../http/context.js';

export function historyRoutes(app: App, ctx: RouteContext): void {
  app.get(
    '/api/v1/history',
    {
      schema: {
        tags: ['history'],
        summary: "An image's results across composes",
        description:
          'The image is image (e.g. Fedora-Cloud-Base-Generic) + arch + type + release; one result per compose, ' +
          'newest first, with the last good compose, the first bad one after it and the step that started failing.',
        querystring: HistoryQuery,
        response: { 200: ImageHistory, 400: ApiError, 404: ApiError, 503: ApiError },
      },
    },
    async (request) => {
      const { limit, ...image } = request.query;
      const history = await loadImageHistory(ctx.deps.database.db, image, limit ?? 60);
      if (!history) throw errors.imageNotFound();
      return history;
    },
  );
}
