// /healthz (the process answers), /readyz (PostgreSQL and NATS answer now: 503 while either is unreachable, 200
// again as soon as they are back, since the pool and the NATS client reconnect by themselves), /metrics.
import { type App, type RouteContext } from './context.js';

const hidden = { hide: true } as const;

export function healthRoutes(app: App, ctx: RouteContext): void {
  const { readiness, metrics, settings } = ctx.deps;
  const timeoutMs = settings.readinessTimeoutMs ?? 2_000;

  app.get('/healthz', { schema: hidden }, () => ({ status: 'ok' }));

  app.get('/readyz', { schema: hidden }, async (_request, reply) => {
    const failures: Record<string, string> = {};
    await Promise.all(
      readiness().map(async (c) => {
        let timer: NodeJS.Timeout | undefined;
        try {
          await Promise.race([
            Promise.resolve().then(() => c.check()),
            new Promise((_, reject) => {
              timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
            }),
          ]);
        } catch (err) {
          failures[c.name] = err instanceof Error ? err.message : String(err);
        } finally {
          clearTimeout(timer);
        }
      }),
    );
    const ready = Object.keys(failures).length === 0;
    return reply
      .code(ready ? 200 : 503)
      .header('cache-control', 'no-store')
      .send(ready ? { status: 'ready' } : { status: 'not ready', failures });
  });

  app.get('/metrics', { schema: hidden }, async (_request, reply) =>
    reply
      .type(metrics.contentType)
      .header('cache-control', 'no-store')
      .send(await metrics.metrics()),
  );
}
