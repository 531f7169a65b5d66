// The results-api HTTP server, built but not listening (tests drive it with inject()): security headers, rate limits
// on writes, OpenAPI, the REST API under /api/v1, live output over SSE, the web UI, probes and metrics.
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { type IncomingMessage, type ServerResponse } from 'node:http';
import Fastify, { LogController, type FastifyBaseLogger, type RawServerDefault } from 'fastify';
import { Gauge, Histogram, type Registry } from 'prom-client';
import { ArtifactStore } from '../artifacts/artifact.store.js';
import { artifactRoutes } from '../api/artifacts.routes.js';
import { composeRoutes } from '../api/composes.routes.js';
import { historyRoutes } from '../api/history.routes.js';
import { jobRoutes } from '../api/jobs.routes.js';
import { outputStreamRoute } from '../api/output.stream.js';
import { JobEndWatcher } from '../live/job-end-watcher.js';
import { uiRoutes } from '../ui/ui.routes.js';
import { errorPage } from '../ui/misc.page.js';
import { TokenVerifier } from './auth.js';
import { LiveStreams, type App, type AppDeps, type RouteContext } from './context.js';
import { errors, sendError, toHttpError, wantsHtml } from './errors.js';
import { healthRoutes } from './health.routes.js';
import { securityHeaders } from './security-headers.js';
import { staticRoutes } from './static.js';

export type { App, AppDeps, AppSettings } from './context.js';

export async function build(deps: AppDeps): Promise<App> {
  const { settings } = deps;
  const app: App = Fastify<RawServerDefault, IncomingMessage, ServerResponse, FastifyBaseLogger>({
    loggerInstance: deps.log,
    logController: new LogController({ disableRequestLogging: true }),
    trustProxy: settings.trustProxy ?? false,
    bodyLimit: 64 * 1024,
    // Probes and API calls only; a long-lived SSE stream is ended by the preClose hook.
    forceCloseConnections: 'idle',
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 200 },
    ajv: {
      customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true, allErrors: true },
    },
  }).withTypeProvider<TypeBoxTypeProvider>();

  const tokens = new TokenVerifier(settings.tokenHashes);
  const endWatcher = new JobEndWatcher(deps.bus, deps.log);
  const streams = new LiveStreams(settings.sseMaxClients ?? 1000);
  endWatcher.start();

  securityHeaders(app);
  await app.register(rateLimit, {
    global: false,
    errorResponseBuilder: (_request, context) => errors.rateLimited(context.after),
  });
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Autocloud results API',
        description:
          "Results of Fedora cloud image tests: composes, jobs, their steps, output and artifacts, and each image's " +
          'history. Reads are open; writes need `Authorization: Bearer <token>`.',
        version: '1',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      tags: [
        { name: 'composes', description: 'Composes under test' },
        { name: 'jobs', description: 'One image of a compose, tested' },
        { name: 'output', description: "A job's output, in pages or live" },
        { name: 'artifacts', description: 'Serial console, cloud-init logs and other files of a job' },
        { name: 'history', description: "An image's results across composes" },
      ],
    },
    hideUntagged: true,
  });
  await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true });

  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string', bodyLimit: 16 * 1024 },
    (_request, body, done) => done(null, Object.fromEntries(new URLSearchParams(body as string))),
  );

  installMetrics(app, deps.metrics, streams);

  const assets = await staticRoutes(app);
  const ctx: RouteContext = {
    deps,
    tokens,
    artifacts: new ArtifactStore(deps.bus, settings.artifactListTtlMs),
    endWatcher,
    streams,
    assets,
    writeLimit: { max: settings.writeRateLimit ?? 30, timeWindow: 60_000 },
    requireToken: (request, _reply, done) => {
      try {
        request.principal = tokens.requireBearer(request);
        // The body is optional on rerun and cancel: a POST without one is checked as an empty object.
        request.body ??= {};
        done();
      } catch (err) {
        done(err as Error);
      }
    },
  };

  app.setErrorHandler((err, request, reply) => {
    const { error, unexpected } = toHttpError(err);
    if (unexpected) request.log.error({ err, url: request.url }, 'request failed');
    else if (error.statusCode >= 500) request.log.warn({ err, url: request.url }, error.message);
    if (!wantsHtml(request)) return sendError(reply, error);
    return reply
      .code(error.statusCode)
      .headers(error.headers)
      .type('text/html; charset=utf-8')
      .send(
        errorPage(
          { session: tokens.session(request), url: request.url, assets, writesEnabled: tokens.enabled },
          error.statusCode,
          error.code,
          error.message,
        ).value,
      );
  });
  app.setNotFoundHandler((request, reply) => {
    const error = errors.routeNotFound(request.method, request.url);
    if (!wantsHtml(request)) return sendError(reply, error);
    return reply
      .code(404)
      .type('text/html; charset=utf-8')
      .send(
        errorPage(
          { session: tokens.session(request), url: request.url, assets, writesEnabled: tokens.enabled },
          404,
          error.code,
          error.message,
        ).value,
      );
  });

  app.get('/openapi.json', { schema: { hide: true } }, () => app.swagger());
  healthRoutes(app, ctx);
  composeRoutes(app, ctx);
  jobRoutes(app, ctx);
  outputStreamRoute(app, ctx);
  artifactRoutes(app, ctx);
  historyRoutes(app, ctx);
  uiRoutes(app, ctx);

  app.addHook('preClose', (done) => {
    streams.closeAll();
    endWatcher.stop();
    // Requests in flight get a second to finish; a connection still open after that (a client holding a socket it
    // never sends on) must not hold up the shutdown.
    setTimeout(() => app.server.closeAllConnections(), 1_000).unref();
    done();
  });
  return app;
}

/** Request durations by route and status, and the open live streams, in the service's registry. */
function installMetrics(app: App, registry: Registry, streams: LiveStreams): void {
  const name = 'autocloud_http_request_duration_seconds';
  const duration =
    (registry.getSingleMetric(name) as Histogram<'method' | 'route' | 'status_code'> | undefined) ??
    new Histogram({
      name,
      help: 'HTTP request duration by method, route and status code',
      labelNames: ['method', 'route', 'status_code'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 1, 5],
      registers: [registry],
    });
  if (!registry.getSingleMetric('autocloud_live_output_streams')) {
    new Gauge({
      name: 'autocloud_live_output_streams',
      help: 'Open live output (SSE) streams',
      registers: [registry],
      collect() {
        this.set(streams.size);
      },
    });
  }
  app.addHook('onResponse', (request, reply, done) => {
    duration.observe(
      {
        method: request.method,
        route: request.routeOptions.url ?? 'unmatched',
        status_code: String(reply.statusCode),
      },
      reply.elapsedTime / 1000,
    );
    done();
  });
}
