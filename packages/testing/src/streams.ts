// Reading what a stream holds, oldest first, for assertions.
import type { JetStreamManager, StoredMsg } from '@nats-io/jetstream';

export async function streamMessages(
  jsm: JetStreamManager,
  stream: string,
  subject?: string,
): Promise<StoredMsg[]> {
  const { state } = await jsm.streams.info(stream);
  const out: StoredMsg[] = [];
  if (state.messages === 0) return out;
  for (let seq = state.first_seq; seq <= state.last_seq; seq++) {
    const m = await jsm.streams.getMessage(stream, { seq }).catch(() => null);
    if (m && (!subject || m.subject === subject)) out.push(m);
  }
  return out;
}

export function bodyOf<T = Record<string, unknown>>(m: StoredMsg): T {
  return JSON.parse(new TextDecoder().decode(m.data)) as T;
}
