// The local compose server of `up`: serves $AUTOCLOUD_HOME/composes/ over HTTP on 127.0.0.1, so compose-resolver
// and image-fetcher read a compose on this disk as they read one on Fedora's servers. GET and HEAD, single byte
// ranges (the fetcher resumes with Range), no directory listings, nothing outside the root but the composes
// registered there (a registered compose is a symlink to the user's directory).
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type AddressInfo } from 'node:net';
import { join } from 'node:path';

export interface ComposeServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

export interface ComposeServerOptions {
  root: string;
  host?: string;
  /** 0: any free port. */
  port: number;
}

export async function startComposeServer(opts: ComposeServerOptions): Promise<ComposeServer> {
  const server: Server = createServer((req, res) => {
    handle(opts.root, req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500).end();
      else res.destroy();
    });
  });
  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** The file a URL path names under `root`, or undefined when the path is not one we serve. */
export function filePathFor(root: string, urlPath: string): string | undefined {
  const path = urlPath.split('?')[0] ?? '';
  if (!path.startsWith('/')) return undefined;
  const segments: string[] = [];
  for (const raw of path.slice(1).split('/')) {
    let segment: string;
    try {
      segment = decodeURIComponent(raw);
    } catch {
      return undefined;
    }
    // Empty segments are ignored (compose locations often contain `//`); `.`, `..`, hidden names, separators and
    // NUL never name anything here.
    if (segment === '') continue;
    if (segment.startsWith('.') || /[/\\\0]/.test(segment)) return undefined;
    segments.push(segment);
  }
  return segments.length === 0 ? undefined : join(root, ...segments);
}

type Range = { start: number; end: number } | 'unsatisfiable' | undefined;

/** A single `bytes=` range against `size`; several ranges or a malformed header are ignored (a full reply). */
export function parseRange(header: string | undefined, size: number): Range {
  if (!header) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (start >= size || end < start) return 'unsatisfiable';
  return { start, end };
}

async function handle(root: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { allow: 'GET, HEAD' }).end();
    return;
  }
  const file = filePathFor(root, req.url ?? '/');
  const info = file ? await stat(file).catch(() => undefined) : undefined;
  if (!file || !info?.isFile()) {
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    return;
  }
  const headers = {
    'accept-ranges': 'bytes',
    'content-type': file.endsWith('.json') ? 'application/json' : 'application/octet-stream',
    'last-modified': info.mtime.toUTCString(),
  };
  const range = parseRange(req.headers.range, info.size);
  if (range === 'unsatisfiable') {
    res.writeHead(416, { ...headers, 'content-range': `bytes */${info.size}` }).end();
    return;
  }
  const { start, end } = range ?? { start: 0, end: info.size - 1 };
  const length = info.size === 0 ? 0 : end - start + 1;
  res.writeHead(range ? 206 : 200, {
    ...headers,
    'content-length': String(length),
    ...(range ? { 'content-range': `bytes ${start}-${end}/${info.size}` } : {}),
  });
  if (req.method === 'HEAD' || length === 0) {
    res.end();
    return;
  }
  const stream = createReadStream(file, { start, end });
  stream.on('error', () => res.destroy());
  res.on('close', () => stream.destroy());
  stream.pipe(res);
}

/** Serves `root` on a free port of 127.0.0.1 (what `up` does on AUTOCLOUD_COMPOSE_PORT), e.g. for a test. */
export function serveComposes(
  root: string,
  opts: { host?: string; port?: number } = {},
): Promise<ComposeServer> {
  return startComposeServer({ root, port: opts.port ?? 0, ...(opts.host ? { host: opts.host } : {}) });
}
