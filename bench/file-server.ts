// A static file server with Range support, run as its own process so it does not share an event loop with what is
// measured. Usage: file-server <file> ; prints the port.
import { createReadStream, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { type AddressInfo } from 'node:net';

const file = process.argv[2];
if (!file) throw new Error('usage: file-server <file>');
const size = statSync(file).size;
const server = createServer((req, res) => {
  const match = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
  const start = match ? Number(match[1]) : 0;
  res.writeHead(match ? 206 : 200, {
    'content-length': String(size - start),
    'accept-ranges': 'bytes',
    ...(match ? { 'content-range': `bytes ${start}-${size - 1}/${size}` } : {}),
  });
  createReadStream(file, { start, highWaterMark: 1024 * 1024 }).pipe(res);
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${(server.address() as AddressInfo).port}\n`);
});
