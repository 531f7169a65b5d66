import { expect, test } from 'vitest';
import { readSse, type SseEvent } from './sse.js';

async function collect(chunks: string[]): Promise<SseEvent[]> {
  const body = (async function* () {
    for (const c of chunks) {
      await Promise.resolve();
      yield new TextEncoder().encode(c);
    }
  })();
  const events: SseEvent[] = [];
  for await (const e of readSse(body)) events.push(e);
  return events;
}

test('events split across chunks, comments and retry skipped, multi-line data joined', async () => {
  const events = await collect([
    'retry: 3000\n\n: keep-alive\n\nid: 1\nev',
    'ent: line\ndata: {"n":1,"text":"a"}\n',
    '\nevent: step\ndata: one\ndata: two\n\n',
    'event: end\r\ndata: {"status":"success"}\r\n\r\n',
  ]);
  expect(events).toEqual([
    { event: 'line', data: '{"n":1,"text":"a"}', id: '1' },
    { event: 'step', data: 'one\ntwo', id: '1' },
    { event: 'end', data: '{"status":"success"}', id: '1' },
  ]);
});

test('events without data, and one cut off by the end of the stream, are not delivered', async () => {
  expect(await collect(['event: ping\n\n', 'data: x\n\n', 'data: cut'])).toEqual([
    { event: 'message', data: 'x', id: undefined },
  ]);
});
