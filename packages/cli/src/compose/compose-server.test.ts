import { request } from 'node:http';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { filePathFor, parseRange, startComposeServer, type ComposeServer } from './compose-server.js';

let dir: string;
let server: ComposeServer;
const body = Buffer.from(Array.from({ length: 1000 }, (_, i) => i % 251));

/** A raw request: fetch() would normalise `..` out of the path before sending it. */
function get(path: string, headers: Record<string, string> = {}, method = 'GET') {
  return new Promise<{ status: number; headers: Record<string, unknown>; body: Buffer }>(
    (resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: server.port, path, method, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
        );
      });
      req.on('error', reject);
      req.end();
    },
  );
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'autocloud-compose-server-'));
  const root = join(dir, 'composes');
  const outside = join(dir, 'elsewhere', 'C-1');
  await mkdir(join(outside, 'compose', 'metadata'), { recursive: true });
  await mkdir(root, { recursive: true });
  await writeFile(join(outside, 'compose', 'image.qcow2'), body);
  await writeFile(join(outside, 'compose', 'metadata', 'images.json'), '{"header":{}}');
  await writeFile(join(root, '.hidden'), 'no');
  await writeFile(join(dir, 'secret'), 'secret');
  // A registered compose: a symlink to the user's directory.
  await symlink(outside, join(root, 'C-1'));
  server = await startComposeServer({ root, port: 0 });
});
afterAll(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

describe('GET and HEAD', () => {
  test('a whole file, through a registered compose, with its length and Range support announced', async () => {
    const res = await get('/C-1/compose/image.qcow2');
    expect(res.status).toBe(200);
    expect(res.headers['content-length']).toBe('1000');
    expect(res.headers['accept-ranges']).toBe('bytes');
    expect(res.body.equals(body)).toBe(true);
    const json = await get('/C-1//compose/metadata/images.json');
    expect(json.status).toBe(200);
    expect(json.headers['content-type']).toBe('application/json');
  });

  test('HEAD: headers only', async () => {
    const res = await get('/C-1/compose/image.qcow2', {}, 'HEAD');
    expect(res.status).toBe(200);
    expect(res.headers['content-length']).toBe('1000');
    expect(res.body.length).toBe(0);
  });

  test('missing files and directories are 404; other methods 405', async () => {
    expect((await get('/C-1/compose/nothing')).status).toBe(404);
    expect((await get('/C-1/compose')).status).toBe(404);
    expect((await get('/')).status).toBe(404);
    expect((await get('/C-1/compose/image.qcow2', {}, 'POST')).status).toBe(405);
  });
});

describe('Range', () => {
  test('a range, an open range and a suffix', async () => {
    const mid = await get('/C-1/compose/image.qcow2', { range: 'bytes=10-19' });
    expect(mid.status).toBe(206);
    expect(mid.headers['content-range']).toBe('bytes 10-19/1000');
    expect(mid.body.equals(body.subarray(10, 20))).toBe(true);

    // What the fetcher sends to resume a broken download.
    const rest = await get('/C-1/compose/image.qcow2', { range: 'bytes=990-' });
    expect(rest.status).toBe(206);
    expect(rest.headers['content-range']).toBe('bytes 990-999/1000');
    expect(rest.body.equals(body.subarray(990))).toBe(true);

    const suffix = await get('/C-1/compose/image.qcow2', { range: 'bytes=-5' });
    expect(suffix.body.equals(body.subarray(995))).toBe(true);
  });

  test('a range past the end is 416 with the size; several ranges get the whole file', async () => {
    const past = await get('/C-1/compose/image.qcow2', { range: 'bytes=1000-' });
    expect(past.status).toBe(416);
    expect(past.headers['content-range']).toBe('bytes */1000');
    const several = await get('/C-1/compose/image.qcow2', { range: 'bytes=0-1,5-6' });
    expect(several.status).toBe(200);
    expect(several.body.length).toBe(1000);
  });

  test('parseRange', () => {
    expect(parseRange(undefined, 10)).toBeUndefined();
    expect(parseRange('bytes=2-100', 10)).toEqual({ start: 2, end: 9 });
    expect(parseRange('bytes=5-2', 10)).toBe('unsatisfiable');
    expect(parseRange('bytes=-0', 10)).toBe('unsatisfiable');
    expect(parseRange('items=1-2', 10)).toBeUndefined();
  });
});

describe('nothing outside the root', () => {
  test.each([
    '/../secret',
    '/C-1/../../secret',
    '/%2e%2e/secret',
    '/C-1/..%2f..%2fsecret',
    '/C-1%2f..%2f..%2fsecret',
    '/.hidden',
    '/C-1/compose/image.qcow2%00',
    '/%E0%A4%A',
  ])('%s is refused', async (path) => {
    const res = await get(path);
    expect(res.status).toBe(404);
    expect(res.body.toString()).not.toContain('secret');
  });

  test('filePathFor', () => {
    expect(filePathFor('/r', '/a//b/c?x=1')).toBe('/r/a/b/c');
    expect(filePathFor('/r', '/a/%2e%2e/b')).toBeUndefined();
    expect(filePathFor('/r', 'a/b')).toBeUndefined();
  });
});
