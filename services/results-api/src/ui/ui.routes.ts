// The web UI's routes, server-rendered: the original Autocloud routes (/compose, /jobs, /jobs/{compose_job_id},
// /jobs/{job_id}/output), image history, sign-in, and the rerun/cancel forms. Filters are plain GET forms, so every
// view is a URL; empty form fields are dropped before the same schemas as the API's validate them.
import {
  findComposeById,
  findJob,
  listComposes,
  listJobs,
  listOutputLines,
  listSteps,
  recentImages,
  type DbExecutor,
} from '@autocloud/db';
import { ComposeListQuery, HistoryQuery, JobListQuery } from '@autocloud/schemas';
import { Type } from '@sinclair/typebox';
import { type FastifyReply, type FastifyRequest } from 'fastify';
import { sql } from 'kysely';
import { requestCancel, requestRerun } from '../commands/commands.js';
import { loadImageHistory } from '../history/history.js';
import { checkCsrf, clearSessionCookie, setSessionCookie } from '../http/auth.js';
import { type App, type RouteContext } from '../http/context.js';
import { errors } from '../http/errors.js';
import { type SafeHtml } from './html.js';
import { composesPage } from './composes.page.js';
import { historyIndexPage, historyPage } from './history.page.js';
import { jobPage } from './job.page.js';
import { jobsPage, type Facets } from './jobs.page.js';
import { type PageContext } from './layout.js';
import { loginPage } from './misc.page.js';

const OUTPUT_PAGE = 5000;
const FACETS_TTL_MS = 60_000;

const IdParams = Type.Object({ id: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }) });
const JobOutputQuery = Type.Object(
  {
    from: Type.Optional(Type.Integer({ minimum: 1, maximum: 2_147_483_647 })),
    notice: Type.Optional(Type.String({ enum: ['rerun', 'cancel'] })),
  },
  { additionalProperties: false },
);
const UiJobListQuery = Type.Omit(JobListQuery, ['compose_job_id']);
const FormBody = Type.Record(Type.String(), Type.String());
const hidden = { hide: true } as const;

/** Empty form fields mean "any": drop them so the schemas see only what was chosen. */
function dropEmptyQuery(request: FastifyRequest, _reply: FastifyReply, done: () => void): void {
  const query = request.query as Record<string, unknown> | undefined;
  for (const [key, value] of Object.entries(query ?? {})) if (value === '') delete query?.[key];
  done();
}

function localPath(next: unknown): string {
  return typeof next === 'string' && next.startsWith('/') && !next.startsWith('//') && !next.includes('\\')
    ? next
    : '/compose';
}

export function uiRoutes(app: App, ctx: RouteContext): void {
  const { database, settings } = ctx.deps;
  const db = database.db;
  let facets: { at: number; value: Promise<Facets> } | undefined;

  const pageContext = (request: FastifyRequest): PageContext => ({
    session: ctx.tokens.session(request),
    url: request.url,
    assets: ctx.assets,
    writesEnabled: ctx.tokens.enabled,
  });
  const send = (reply: FastifyReply, body: SafeHtml, status = 200) =>
    reply.code(status).type('text/html; charset=utf-8').header('cache-control', 'no-store').send(body.value);
  const currentFacets = (): Promise<Facets> => {
    if (!facets || Date.now() - facets.at > FACETS_TTL_MS) {
      const value = loadFacets(db);
      facets = { at: Date.now(), value };
      value.catch(() => (facets = undefined));
    }
    return facets.value;
  };

  app.get('/', { schema: hidden }, (_request, reply) => reply.redirect('/compose'));

  for (const path of ['/compose', '/composes']) {
    app.get(
      path,
      { schema: { ...hidden, querystring: ComposeListQuery }, preValidation: dropEmptyQuery },
      async (request, reply) => {
        const result = await listComposes(db, request.query);
        return send(
          reply,
          composesPage(pageContext(request), path, request.query, result.items, result.next_cursor),
        );
      },
    );
  }

  app.get(
    '/jobs',
    { schema: { ...hidden, querystring: UiJobListQuery }, preValidation: dropEmptyQuery },
    async (request, reply) => {
      const { image, ...filters } = request.query;
      const [result, f] = await Promise.all([
        listJobs(db, { ...filters, ...(image ? { image_key: image } : {}) }),
        currentFacets(),
      ]);
      return send(
        reply,
        jobsPage(pageContext(request), {
          path: '/jobs',
          query: request.query,
          jobs: result.items,
          nextCursor: result.next_cursor,
          facets: f,
        }),
      );
    },
  );

  app.get(
    '/jobs/:id',
    {
      schema: { ...hidden, params: IdParams, querystring: Type.Omit(UiJobListQuery, ['compose_id']) },
      preValidation: dropEmptyQuery,
    },
    async (request, reply) => {
      const composeJobId = request.params.id;
      const compose = await findComposeById(db, composeJobId);
      if (!compose) throw errors.composeNotFound(String(composeJobId));
      const { image, ...filters } = request.query;
      const [result, f] = await Promise.all([
        listJobs(db, { ...filters, compose_job_id: composeJobId, ...(image ? { image_key: image } : {}) }),
        currentFacets(),
      ]);
      return send(
        reply,
        jobsPage(pageContext(request), {
          path: `/jobs/${composeJobId}`,
          query: request.query,
          jobs: result.items,
          nextCursor: result.next_cursor,
          facets: f,
          compose,
        }),
      );
    },
  );

  app.get(
    '/jobs/:id/output',
    { schema: { ...hidden, params: IdParams, querystring: JobOutputQuery }, preValidation: dropEmptyQuery },
    async (request, reply) => {
      const jobId = request.params.id;
      const from = request.query.from ?? 1;
      const [job, steps, lines, artifacts] = await Promise.all([
        findJob(db, jobId),
        listSteps(db, jobId),
        listOutputLines(db, jobId, from, OUTPUT_PAGE),
        // The page is still useful without NATS: the artifacts say so instead.
        ctx.artifacts.list(jobId).catch(() => null),
      ]);
      if (!job) throw errors.jobNotFound(jobId);
      const template = settings.tracingUrlTemplate;
      return send(
        reply,
        jobPage(pageContext(request), {
          job,
          steps,
          lines,
          from,
          pageSize: OUTPUT_PAGE,
          artifacts,
          tracingUrl: template && job.trace_id ? template.replaceAll('{trace_id}', job.trace_id) : undefined,
          notice: request.query.notice,
        }),
      );
    },
  );

  app.get(
    '/history',
    {
      schema: { ...hidden, querystring: Type.Partial(HistoryQuery, { additionalProperties: false }) },
      preValidation: dropEmptyQuery,
    },
    async (request, reply) => {
      const { image, arch, type, release, limit } = request.query;
      if (image && arch && type && release) {
        const history = await loadImageHistory(db, { image, arch, type, release }, limit ?? 60);
        if (!history) throw errors.imageNotFound();
        return send(reply, historyPage(pageContext(request), history));
      }
      return send(reply, historyIndexPage(pageContext(request), await recentImages(db)));
    },
  );

  // ---- signing in, and the forms of signed-in users ----

  app.get('/login', { schema: hidden }, (request, reply) => {
    const next = localPath((request.query as Record<string, unknown>).next);
    return send(reply, loginPage(pageContext(request), next, false));
  });

  app.post(
    '/login',
    { schema: { ...hidden, body: FormBody }, config: { rateLimit: ctx.writeLimit } },
    async (request, reply) => {
      const next = localPath(request.body.next);
      if (!ctx.tokens.enabled) throw errors.writesDisabled();
      const token = request.body.token ?? '';
      if (!ctx.tokens.verify(token)) return send(reply, loginPage(pageContext(request), next, true), 401);
      setSessionCookie(reply, request, token);
      return reply.redirect(next, 303);
    },
  );

  app.post('/logout', { schema: { ...hidden, body: FormBody } }, async (request, reply) => {
    const session = ctx.tokens.session(request);
    if (session && !checkCsrf(session, request.body.csrf))
      throw errors.forbidden('the form has expired; reload it');
    clearSessionCookie(reply);
    return reply.redirect('/compose', 303);
  });

  for (const action of ['rerun', 'cancel'] as const) {
    app.post(
      `/jobs/:id/${action}`,
      { schema: { ...hidden, params: IdParams, body: FormBody }, config: { rateLimit: ctx.writeLimit } },
      async (request, reply) => {
        const jobId = request.params.id;
        const back = `/jobs/${jobId}/output`;
        if (!ctx.tokens.enabled) throw errors.writesDisabled();
        const session = ctx.tokens.session(request);
        if (!session) return reply.redirect(`/login?next=${encodeURIComponent(back)}`, 303);
        if (!checkCsrf(session, request.body.csrf))
          throw errors.forbidden('the form has expired; reload the page');
        if (action === 'rerun') await requestRerun(ctx.deps, jobId, session.who);
        else
          await requestCancel({ ...ctx.deps, cancelTimeoutMs: settings.cancelTimeoutMs }, jobId, session.who);
        return reply.redirect(`${back}?notice=${action}`, 303);
      },
    );
  }
}

/** Values seen among the newest jobs, offered as suggestions in the filter fields. */
async function loadFacets(db: DbExecutor): Promise<Facets> {
  const recent = db
    .selectFrom('jobs')
    .select(['arch', 'family', 'type', 'release'])
    .orderBy('job_id', 'desc')
    .limit(5000);
  const distinct = async (column: 'arch' | 'family' | 'type' | 'release') => {
    const rows = await db
      .selectFrom(recent.as('r'))
      .select(sql<string>`distinct ${sql.ref(`r.${column}`)}`.as('value'))
      .orderBy('value')
      .execute();
    return rows.map((r) => r.value);
  };
  const [arch, family, image_type, release] = await Promise.all([
    distinct('arch'),
    distinct('family'),
    distinct('type'),
    distinct('release'),
  ]);
  return { arch, family, image_type, release };
}
