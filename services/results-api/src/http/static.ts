// The UI's stylesheet, script and icon, read once from the package's assets/ and served with their content hash
// in the URL, so browsers cache them for good and a new release is fetched at once.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { type App } from './context.js';

const ASSETS_DIR = new URL('../../assets/', import.meta.url);
const TYPES: Record<string, string> = {
  'app.css': 'text/css; charset=utf-8',
  'app.js': 'text/javascript; charset=utf-8',
  'favicon.svg': 'image/svg+xml',
};

export interface Assets {
  css: string;
  js: string;
}

export async function staticRoutes(app: App): Promise<Assets> {
  const files = new Map<string, { body: Buffer; hash: string }>();
  for (const name of Object.keys(TYPES)) {
    const body = await readFile(new URL(name, ASSETS_DIR));
    files.set(name, { body, hash: createHash('sha256').update(body).digest('hex').slice(0, 12) });
  }
  const serve = (name: string) => {
    const file = files.get(name);
    const type = TYPES[name];
    if (!file || !type) throw new Error(`no asset ${name}`);
    return file;
  };
  app.get('/static/:file', { schema: { hide: true } }, (request, reply) => {
    const name = (request.params as { file: string }).file;
    const file = files.get(name);
    if (!file) return reply.callNotFound();
    const versioned = (request.query as Record<string, unknown>).v === file.hash;
    return reply
      .type(TYPES[name] ?? 'application/octet-stream')
      .header('cache-control', versioned ? 'public, max-age=31536000, immutable' : 'public, max-age=300')
      .header('etag', `"${file.hash}"`)
      .send(file.body);
  });
  for (const path of ['/favicon.svg', '/favicon.ico']) {
    app.get(path, { schema: { hide: true } }, (_request, reply) =>
      reply
        .type(TYPES['favicon.svg'] ?? 'image/svg+xml')
        .header('cache-control', 'public, max-age=86400')
        .send(serve('favicon.svg').body),
    );
  }
  return {
    css: `/static/app.css?v=${serve('app.css').hash}`,
    js: `/static/app.js?v=${serve('app.js').hash}`,
  };
}
