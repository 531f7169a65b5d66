// The probe and metrics endpoint every service exposes: /healthz (alive), /readyz (ready to work), /metrics.
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Registry } from 'prom-client';

export interface ReadinessCheck {
  name: string;
  check(): Promise<void> | void;
}

export interface HealthServer {
  port: number;
  close(): Promise<void>;
}

export async function startHealthServer(opts: {
  host: string;
  port: number;
  registry: Registry;
  checks: () => ReadinessCheck[];
}): Promise<HealthServer> {
  const server: Server = createServer((req, res) => {
    void (async () => {
      const path = (req.url ?? '/').split('?')[0];
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { allow: 'GET, HEAD' }).end();
        return;
      }
      if (path === '/healthz') {
        json(res, 200, { status: 'ok' });
      } else if (path === '/readyz') {
        const failures: Record<string, string> = {};
        for (const c of opts.checks()) {
          try {
            await c.check();
          } catch (err) {
            failures[c.name] = err instanceof Error ? err.message : String(err);
          }
        }
        const ready = Object.keys(failures).length === 0;
        json(res, ready ? 200 : 503, ready ? { status: 'ready' } : { status: 'not ready', failures });
      } else if (path === '/metrics') {
        res.writeHead(200, { 'content-type': opts.registry.contentType });
        res.end(await opts.registry.metrics());
      } else {
        json(res, 404, { error: { code: 'NOT_FOUND', message: `no route ${path}` } });
      }
    })().catch((err: unknown) => {
      if (!res.headersSent) json(res, 500, { error: { code: 'INTERNAL', message: String(err) } });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}
