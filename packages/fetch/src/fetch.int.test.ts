// fetchChecked, readBodyCapped, fetchJson and withRetries against real HTTP servers on 127.0.0.1.
import { type IncomingMessage, type ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { HostAllowList } from './allow-list.js';
import { fetchJson, readBodyCapped } from './body.js';
import {
  FetchNetworkError,
  FetchTimeoutError,
  HostNotAllowedError,
  HttpStatusError,
  InvalidJsonError,
  TooLargeError,
  TooManyRedirectsError,
} from './errors.js';
import { fetchChecked } from './fetch-checked.js';
import { withRetries } from './retry.js';
import { startTestServer, type TestServer } from './test-server.js';

type Route = (req: IncomingMessage, res: ServerResponse) => void;

describe('safe HTTP against local servers', () => {
  let a: TestServer;
  let b: TestServer;
  let allowA: HostAllowList;
  const routes = new Map<string, Route>();
  const bHits: string[] = [];
  let hugeBytesWritten = 0;
  let hugeFinished = false;

  const redirect = (to: string) => (_req: IncomingMessage, res: ServerResponse) =>
    void res.writeHead(302, { location: to }).end();

  beforeAll(async () => {
    a = await startTestServer((req, res) => {
      const route = routes.get(new URL(req.url ?? '/', 'http://x').pathname);
      if (route) route(req, res);
      else res.writeHead(404).end('not here');
    });
    b = await startTestServer((req, res) => {
      bHits.push(req.url ?? '');
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ from: 'b' }));
    });
    allowA = HostAllowList.parse(`127.0.0.1:${a.port}`);

    routes.set('/ok.json', (_req, res) => void res.writeHead(200).end('{"ok":true}'));
    routes.set('/echo-headers', (req, res) => void res.writeHead(200).end(JSON.stringify(req.headers)));
    routes.set('/to-ok', redirect('/ok.json'));
    routes.set('/to-b-allowed', redirect(`http://127.0.0.1:${b.port}/b.json`));
    routes.set('/to-localhost', redirect(`http://localhost:${b.port}/secret.json?token=hunter2`));
    routes.set('/to-other-port', redirect(`http://127.0.0.1:${b.port}/secret.json?token=hunter2`));
    routes.set('/to-metadata', redirect('http://169.254.169.254/latest/meta-data/'));
    routes.set('/to-file', redirect('file:///etc/passwd'));
    routes.set('/loop-a', redirect('/loop-b'));
    routes.set('/loop-b', redirect('/loop-a'));
    for (let i = 0; i < 10; i++) routes.set(`/chain/${i}`, redirect(`/chain/${i + 1}`));
    routes.set('/chain/10', (_req, res) => void res.writeHead(200).end('"end"'));
    routes.set('/no-location', (_req, res) => void res.writeHead(301).end());
    routes.set('/missing', (_req, res) => void res.writeHead(404).end('gone'));
    routes.set('/busy', (_req, res) => void res.writeHead(503, { 'retry-after': '1' }).end());
    let flaky = 0;
    routes.set('/flaky', (_req, res) => {
      flaky += 1;
      if (flaky === 1) res.writeHead(500).end('oops');
      else res.writeHead(200).end(JSON.stringify({ attempt: flaky }));
    });
    routes.set('/declared-big', (_req, res) => {
      res.writeHead(200, { 'content-length': String(50 * 1024 * 1024) });
      res.write('{"a":1');
      // never sends the rest: the client must refuse on the header alone
    });
    routes.set('/huge', (_req, res) => {
      // 50 MB of JSON, chunked (no Content-Length), written only as fast as the client reads.
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('[');
      const pump = () => {
        while (hugeBytesWritten < 50 * 1024 * 1024) {
          hugeBytesWritten += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        hugeFinished = true;
        res.end(']');
      };
      res.on('close', () => res.removeAllListeners('drain'));
      pump();
    });
    routes.set('/stall', () => undefined); // accepts, never answers
    routes.set('/stall-body', (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"images": [');
    });
    routes.set('/truncated.json', (_req, res) => void res.writeHead(200).end('{"header": {"type": "produ'));
    routes.set('/html', (_req, res) => void res.writeHead(200).end('<html><body>Index of /</body></html>'));
    routes.set('/latin1', (_req, res) => void res.writeHead(200).end(Buffer.from([0x22, 0xe9, 0x22])));
    routes.set('/cut', (req, res) => {
      res.writeHead(200, { 'content-length': '1000' });
      res.write('{"partial": "');
      setTimeout(() => req.socket.destroy(), 20);
    });
    routes.set('/range', (req, res) => {
      const body = Buffer.from('0123456789');
      const start = Number(/bytes=(\d+)-/.exec(req.headers.range ?? '')?.[1] ?? 0);
      res.writeHead(start ? 206 : 200).end(body.subarray(start));
    });
  });

  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
  });

  const url = (path: string) => `${a.origin}${path}`;
  const json = (path: string, extra: Partial<Parameters<typeof fetchJson>[1]> = {}) =>
    fetchJson(url(path), { allow: allowA, maxBytes: 1024 * 1024, ...extra });

  test('follows redirects within allowed hosts', async () => {
    expect(await json('/to-ok')).toEqual({ ok: true });
    const both = HostAllowList.parse(`127.0.0.1:${a.port},127.0.0.1:${b.port}`);
    expect(await fetchJson(url('/to-b-allowed'), { allow: both, maxBytes: 1024 })).toEqual({ from: 'b' });
  });

  test('refuses a redirect to a host that is not allowed, without contacting it', async () => {
    const hitsBefore = bHits.length;
    for (const [path, host] of [
      ['/to-localhost', `localhost:${b.port}`],
      ['/to-other-port', `127.0.0.1:${b.port}`],
      ['/to-metadata', '169.254.169.254'],
    ] as const) {
      const err = await json(path).catch((e: unknown) => e);
      expect(err, path).toBeInstanceOf(HostNotAllowedError);
      expect(err).toMatchObject({ code: 'HOST_NOT_ALLOWED', retryable: false, host });
      expect((err as Error).message).toContain(`host ${host} is not allowed`);
      expect((err as Error).message).toContain(`redirect from ${a.origin}${path}`);
      expect((err as Error).message).not.toContain('hunter2');
    }
    expect(bHits.length).toBe(hitsBefore);
    await expect(json('/to-file')).rejects.toThrow(/scheme file: is not allowed/);
    await expect(
      fetchJson(`http://localhost:${a.port}/ok.json`, { allow: allowA, maxBytes: 1024 }),
    ).rejects.toBeInstanceOf(HostNotAllowedError);
  });

  test('stops redirect loops and long chains', async () => {
    await expect(json('/loop-a')).rejects.toThrow(TooManyRedirectsError);
    await expect(json('/loop-a')).rejects.toThrow(/redirect loop/);
    const long = await json('/chain/0').catch((e: unknown) => e);
    expect(long).toBeInstanceOf(TooManyRedirectsError);
    expect(long).toMatchObject({ code: 'TOO_MANY_REDIRECTS', retryable: false });
    expect((long as Error).message).toMatch(/more than 5 redirects/);
    expect(await json('/chain/0', { maxRedirects: 10 })).toBe('end');
    await expect(json('/no-location')).rejects.toThrow(/HTTP 301 .*redirect without a usable Location/);
  });

  test('drops credentials on a redirect to another origin, keeps them on the same one', async () => {
    routes.set('/to-echo', redirect('/echo-headers'));
    const same = (await json('/to-echo', {
      headers: { authorization: 'Bearer x', range: 'bytes=0-' },
    })) as Record<string, string>;
    expect(same.authorization).toBe('Bearer x');
    const both = HostAllowList.parse(`127.0.0.1:${a.port},localhost:${a.port}`);
    routes.set('/to-echo-other', redirect(`http://localhost:${a.port}/echo-headers`));
    const other = (await fetchJson(url('/to-echo-other'), {
      allow: both,
      maxBytes: 4096,
      headers: { authorization: 'Bearer x', range: 'bytes=0-' },
    })) as Record<string, string>;
    expect(other.authorization).toBeUndefined();
    expect(other.range).toBe('bytes=0-');
  });

  test('4xx is permanent, 5xx retryable; retries turn a 500 into the 200 that follows', async () => {
    const missing = await json('/missing').catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(HttpStatusError);
    expect(missing).toMatchObject({ status: 404, retryable: false, url: url('/missing') });
    const busy = await json('/busy?sig=secret').catch((e: unknown) => e);
    expect(busy).toMatchObject({ status: 503, retryable: true, retryAfterMs: 1000 });
    expect((busy as Error).message).not.toContain('secret');

    const before = a.requests.filter((r) => r === '/flaky').length;
    const result = await withRetries(() => json('/flaky'), { attempts: 3, baseMs: 10, maxMs: 50 });
    expect(result).toEqual({ attempt: 2 });
    expect(a.requests.filter((r) => r === '/flaky').length - before).toBe(2);
  });

  test('a body over the cap is refused while streaming, never buffered whole', async () => {
    const declared = await json('/declared-big').catch((e: unknown) => e);
    expect(declared).toBeInstanceOf(TooLargeError);
    expect(declared).toMatchObject({ code: 'TOO_LARGE', retryable: false, maxBytes: 1024 * 1024 });

    const huge = await json('/huge').catch((e: unknown) => e);
    expect(huge).toBeInstanceOf(TooLargeError);
    expect((huge as Error).message).toMatch(/body of .*\/huge is over the 1048576-byte limit/);
    // The client hung up early: the server never got to write the 50 MB.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(hugeFinished).toBe(false);
    expect(hugeBytesWritten).toBeLessThan(25 * 1024 * 1024);
  });

  test('a stalled server times out: no headers, or a body that never ends', async () => {
    const started = Date.now();
    const noHeaders = await json('/stall', { connectTimeoutMs: 100, headersTimeoutMs: 200 }).catch(
      (e: unknown) => e,
    );
    expect(noHeaders).toBeInstanceOf(FetchTimeoutError);
    expect(noHeaders).toMatchObject({ code: 'FETCH_TIMEOUT', retryable: true });
    expect((noHeaders as Error).message).toMatch(/no response headers from 127\.0\.0\.1:\d+ within 300 ms/);
    expect(Date.now() - started).toBeLessThan(5_000);

    const noEnd = await json('/stall-body', { timeoutMs: 300 }).catch((e: unknown) => e);
    expect(noEnd).toBeInstanceOf(FetchTimeoutError);
    expect((noEnd as Error).message).toMatch(/stall-body not received within 300 ms/);
  });

  test('bodies that are not JSON, or truncated, are InvalidJsonError; a cut connection is a network error', async () => {
    for (const path of ['/truncated.json', '/html', '/latin1']) {
      const err = await json(path).catch((e: unknown) => e);
      expect(err, path).toBeInstanceOf(InvalidJsonError);
      expect(err).toMatchObject({ code: 'INVALID_JSON', retryable: false });
    }
    await expect(json('/truncated.json')).rejects.toThrow(
      /truncated\.json is not JSON: .*(end|Unterminated)/i,
    );
    const cut = await json('/cut').catch((e: unknown) => e);
    expect(cut).toBeInstanceOf(FetchNetworkError);
    expect(cut).toMatchObject({ code: 'FETCH_NETWORK', retryable: true });
  });

  test('connection refused is a retryable network error', async () => {
    const closed = await startTestServer(() => undefined);
    await closed.close();
    const allow = HostAllowList.parse(`127.0.0.1:${closed.port}`);
    const err = await fetchChecked(`${closed.origin}/x`, { allow }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FetchNetworkError);
    expect((err as Error).message).toMatch(/ECONNREFUSED/);
  });

  test('fetchChecked leaves the body unread for streaming, Range included; the caller can abort', async () => {
    const res = await fetchChecked(url('/range'), { allow: allowA, headers: { range: 'bytes=4-' } });
    expect(res.status).toBe(206);
    expect(new TextDecoder().decode(await readBodyCapped(res, 100))).toBe('456789');

    const abort = new AbortController();
    const pending = fetchChecked(url('/stall'), { allow: allowA, signal: abort.signal });
    abort.abort(new Error('shutting down'));
    await expect(pending).rejects.toThrow('shutting down');
  });
});
