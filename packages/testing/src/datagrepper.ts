// A local stand-in for Fedora's datagrepper: serves envelopes from /raw with its query parameters and page shape.
import { createServer, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';

export interface Envelope {
  topic: string;
  msg_id: string;
  timestamp: number;
  msg: Record<string, unknown>;
  i?: number;
  [k: string]: unknown;
}

export interface DatagrepperStub {
  url: string;
  /** Messages datagrepper knows about, in any order. */
  messages: Envelope[];
  /** Requests seen, for assertions. */
  requests: URL[];
  /** The next `n` requests answer 503. */
  failNext(n: number): void;
  close(): Promise<void>;
}

export async function startDatagrepperStub(): Promise<DatagrepperStub> {
  const messages: Envelope[] = [];
  const requests: URL[] = [];
  let failures = 0;
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://stub');
    requests.push(url);
    if (failures > 0) {
      failures -= 1;
      res.writeHead(503).end('busy');
      return;
    }
    if (url.pathname !== '/raw') {
      res.writeHead(404).end();
      return;
    }
    const q = url.searchParams;
    const topics = q.getAll('topic');
    const now = Date.now() / 1000;
    const start = q.has('start') ? Number(q.get('start')) : q.has('delta') ? now - Number(q.get('delta')) : 0;
    const end = q.has('end') ? Number(q.get('end')) : Infinity;
    const perPage = Math.min(Number(q.get('rows_per_page') ?? 20), 100);
    const page = Number(q.get('page') ?? 1);
    const order = q.get('order') ?? 'desc';
    const matching = messages
      .filter(
        (m) =>
          (topics.length === 0 || topics.includes(m.topic)) && m.timestamp >= start && m.timestamp <= end,
      )
      .sort((a, b) => (order === 'asc' ? a.timestamp - b.timestamp : b.timestamp - a.timestamp));
    const pages = Math.max(1, Math.ceil(matching.length / perPage));
    const raw = matching.slice((page - 1) * perPage, page * perPage);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        arguments: Object.fromEntries(q),
        count: raw.length,
        pages,
        total: matching.length,
        raw_messages: raw,
      }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    messages,
    requests,
    failNext: (n) => void (failures = n),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
