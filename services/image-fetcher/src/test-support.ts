// A local HTTP server that serves an image and can misbehave in the ways real mirrors do, and work items for it.
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type AddressInfo, type Socket } from 'node:net';
import { type FetchWorkItem } from '@autocloud/schemas';

export type Mode =
  | { kind: 'normal' }
  | { kind: 'drop-once'; at: number }
  | { kind: 'no-range-drop-once'; at: number }
  | { kind: 'stall'; at: number }
  | { kind: 'endless' }
  | { kind: 'slow'; bytesPerSecond: number }
  | { kind: 'status'; status: number }
  | { kind: 'redirect'; location: string };

export interface ImageServer {
  url: string;
  port: number;
  data: Buffer;
  sha256: string;
  mode: Mode;
  /** Requests to the image, with their Range header. */
  requests: { range: string | undefined }[];
  bytesServed: number;
  close(): Promise<void>;
}

export async function startImageServer(size = 24 * 1024 * 1024): Promise<ImageServer> {
  const data = randomBytes(size);
  const state: ImageServer = {
    url: '',
    port: 0,
    data,
    sha256: createHash('sha256').update(data).digest('hex'),
    mode: { kind: 'normal' },
    requests: [],
    bytesServed: 0,
    close: () => Promise.resolve(),
  };
  let dropped = false;
  const sockets = new Set<Socket>();
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    state.requests.push({ range: req.headers.range });
    const mode = state.mode;
    if (mode.kind === 'status') return void res.writeHead(mode.status).end('nope');
    if (mode.kind === 'redirect') return void res.writeHead(302, { location: mode.location }).end();
    const honourRange = mode.kind !== 'no-range-drop-once';
    const match = honourRange ? /^bytes=(\d+)-$/.exec(req.headers.range ?? '') : null;
    const start = match ? Number(match[1]) : 0;
    if (mode.kind === 'endless') {
      res.writeHead(200);
      const pump = () => {
        while (res.write(Buffer.alloc(64 * 1024, 1))) state.bytesServed += 64 * 1024;
      };
      res.on('drain', pump);
      pump();
      return;
    }
    res.writeHead(match ? 206 : 200, {
      'content-length': String(data.length - start),
      ...(match ? { 'content-range': `bytes ${start}-${data.length - 1}/${data.length}` } : {}),
      'accept-ranges': honourRange ? 'bytes' : 'none',
    });
    res.flushHeaders();
    const body = data.subarray(start);
    const cut =
      (mode.kind === 'drop-once' || mode.kind === 'no-range-drop-once') && !dropped
        ? mode.at - start
        : undefined;
    const stallAt = mode.kind === 'stall' ? mode.at : undefined;
    let sent = 0;
    const step = 256 * 1024;
    const send = () => {
      while (sent < body.length) {
        if (cut !== undefined && sent >= cut) {
          dropped = true;
          req.socket.destroy();
          return;
        }
        if (stallAt !== undefined && start + sent >= stallAt) return; // hold the connection open, send nothing more
        const end = Math.min(
          body.length,
          sent + step,
          cut ?? Infinity,
          stallAt !== undefined ? Math.max(stallAt - start, sent + 1) : Infinity,
        );
        const chunk = body.subarray(sent, end);
        sent = end;
        state.bytesServed += chunk.length;
        if (mode.kind === 'slow') {
          res.write(chunk);
          setTimeout(send, (chunk.length / mode.bytesPerSecond) * 1000);
          return;
        }
        if (!res.write(chunk)) return void res.once('drain', send);
      }
      res.end();
    };
    send();
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.port = (server.address() as AddressInfo).port;
  state.url = `http://127.0.0.1:${state.port}/compose/Fedora-Test/images/debian-test-image.x86_64.qcow2`;
  state.close = () =>
    new Promise((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    });
  return state;
}

export function workItem(
  server: { url: string; sha256: string; data: Buffer },
  jobId: number,
  over: Partial<FetchWorkItem['image']> = {},
): FetchWorkItem {
  return {
    job_id: jobId,
    compose_job_id: 1,
    compose_id: 'Fedora-Test-20261124.0',
    attempt: 1,
    backend: 'libvirt',
    plan: 'debian-test-image',
    image: {
      url: server.url,
      sha256: server.sha256,
      size: server.data.length,
      type: 'qcow2',
      format: 'qcow2',
      arch: 'x86_64',
      variant: 'Cloud',
      subvariant: 'Cloud_Base',
      family: 'Base',
      image_name: 'debian-test-image',
      release: '12',
      ...over,
    },
  };
}
