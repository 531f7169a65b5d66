// A local HTTP server for the tests: 127.0.0.1, an ephemeral port, and a close() that also drops stalled sockets.
import { createServer, type RequestListener } from 'node:http';
import { type AddressInfo } from 'node:net';

export interface TestServer {
  port: number;
  /** http://127.0.0.1:<port> */
  origin: string;
  /** Request paths (with query) in arrival order. */
  requests: string[];
  close(): Promise<void>;
}

export async function startTestServer(handler: RequestListener): Promise<TestServer> {
  const requests: string[] = [];
  const server = createServer((req, res) => {
    requests.push(req.url ?? '');
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    origin: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
