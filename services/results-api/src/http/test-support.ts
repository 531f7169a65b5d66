// Test helpers for the HTTP server: a built app on a real database and nats-server, and seeded results.
import { createHash } from 'node:crypto';
import { Bus } from '@autocloud/bus';
import {
  insertCompose,
  insertJobs,
  insertOutputLines,
  updateComposeCounts,
  updateJob,
  upsertSteps,
  type Compose,
  type DatabaseHandle,
  type Job,
  type JobUpdate,
  type NewJob,
} from '@autocloud/db';
import { testLogger } from '@autocloud/testing';
import { Registry } from 'prom-client';
import { build, type App, type AppSettings } from './app.js';

export const TOKEN = 'test-token-0123456789';
export const TOKEN_HASH = createHash('sha256').update(TOKEN).digest('hex');
export const AUTH = { authorization: `Bearer ${TOKEN}` };

export async function buildTestApp(
  database: DatabaseHandle,
  bus: Bus,
  settings: Partial<AppSettings> = {},
  readiness = () => [
    { name: 'database', check: () => database.ping() },
    { name: 'nats', check: () => bus.ping() },
  ],
): Promise<App> {
  const app = await build({
    database,
    bus,
    log: testLogger('results-api'),
    metrics: new Registry(),
    readiness,
    settings: { tokenHashes: [TOKEN_HASH], artifactListTtlMs: 0, livePollMs: 200, ...settings },
  });
  await app.ready();
  return app;
}

export async function connectTestBus(url: string): Promise<Bus> {
  const bus = await Bus.connect({ servers: url, service: 'results-api-test', log: testLogger('bus') });
  await bus.ensureTopology();
  return bus;
}

let serial = 0;

export interface SeedCompose {
  release?: string;
  date?: string;
  type?: string;
  status?: Compose['status'];
  /** One job per entry. */
  jobs: Array<Partial<NewJob> & { key?: string; update?: Omit<JobUpdate, 'job_id'> }>;
}

/** Inserts a compose with its jobs (then applies each job's update, as the recorder would have). */
export async function seedCompose(
  database: DatabaseHandle,
  spec: SeedCompose,
): Promise<{ compose: Compose; jobs: Job[] }> {
  serial += 1;
  const release = spec.release ?? '41';
  const date = spec.date ?? `202410${String((serial % 28) + 1).padStart(2, '0')}`;
  const composeId = `Fedora-Cloud-${release}-${date}.${serial}`;
  const { compose } = await insertCompose(database.db, {
    compose_id: composeId,
    location: `https://kojipkgs.fedoraproject.org/compose/cloud/${composeId}/compose`,
    release,
    date,
    respin: serial,
    type: spec.type ?? 'nightly',
    label: null,
    pungi_status: 'FINISHED',
    status: spec.status ?? 'complete',
  });
  const rows: NewJob[] = spec.jobs.map(({ key, update: _u, ...j }) => {
    const arch = j.arch ?? 'x86_64';
    const type = j.type ?? 'qcow2';
    const imageName = `${key ?? 'Fedora-Cloud-Base-Generic'}-${release}-${date}.${serial}`;
    const path = `Cloud/${arch}/images/${imageName}.${arch}.${type}`;
    return {
      compose_job_id: compose.compose_job_id,
      compose_id: composeId,
      image_url: `${compose.location}/${path}`,
      image_path: path,
      image_name: imageName,
      sha256: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
      size: 500_000_000,
      type,
      format: type,
      variant: 'Cloud',
      arch,
      subvariant: 'Cloud_Base',
      family: 'Base',
      release,
      backend: 'libvirt',
      plan: 'fedora-cloud-base',
      ...j,
    };
  });
  const inserted = await insertJobs(database.db, rows);
  const jobs: Job[] = [];
  for (const [i, job] of inserted.entries()) {
    const update = spec.jobs[i]?.update;
    jobs.push(update ? ((await updateJob(database.db, job.job_id, update)) ?? job) : job);
  }
  const counted = await updateComposeCounts(database.db, compose.compose_job_id);
  return { compose: counted ?? compose, jobs };
}

export async function seedOutput(
  database: DatabaseHandle,
  jobId: number,
  texts: string[],
  from = 1,
): Promise<void> {
  await insertOutputLines(
    database.db,
    texts.map((text, i) => ({ job_id: jobId, n: from + i, ts: new Date(), text, stream: 'test', step: 0 })),
  );
  await updateJob(database.db, jobId, { output_lines: from + texts.length - 1 });
}

export async function seedSteps(
  database: DatabaseHandle,
  jobId: number,
  steps: Array<{
    command: string;
    passed: boolean;
    exit_code?: number;
    finished?: boolean;
    first_line?: number;
  }>,
): Promise<void> {
  const started = new Date('2024-10-20T12:00:00Z');
  await upsertSteps(
    database.db,
    steps.map((s, idx) => ({
      job_id: jobId,
      idx,
      command: s.command,
      kind: 'command' as const,
      passed: s.passed,
      exit_code: s.exit_code ?? (s.finished === false ? null : s.passed ? 0 : 1),
      started_at: started,
      finished_at: s.finished === false ? null : new Date(started.getTime() + 1500),
      duration_ms: s.finished === false ? null : 1500,
      first_line: s.first_line ?? null,
      last_line: null,
    })),
  );
}

export interface SseEvent {
  id?: string;
  event: string;
  data: string;
}

export interface SseClient {
  events: SseEvent[];
  status: number;
  headers: Headers;
  /** Resolves once an event matches (looking at those already received too). */
  waitFor(match: (e: SseEvent) => boolean, timeoutMs?: number): Promise<SseEvent>;
  /** Resolves when the server closes the stream. */
  closed: Promise<void>;
  close(): void;
}

/** A minimal EventSource over fetch, for tests: collects every event of one connection. */
export async function openSse(url: string, headers: Record<string, string> = {}): Promise<SseClient> {
  const abort = new AbortController();
  const res = await fetch(url, {
    headers: { accept: 'text/event-stream', ...headers },
    signal: abort.signal,
  });
  const events: SseEvent[] = [];
  const listeners = new Set<() => void>();
  const closed = (async () => {
    if (!res.body) return;
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of res.body) {
        buffer += decoder.decode(chunk as Uint8Array, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) !== -1) {
          const frame = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event: SseEvent = { event: 'message', data: '' };
          let hasData = false;
          for (const line of frame.split('\n')) {
            if (line.startsWith(':') || line === '') continue;
            const colon = line.indexOf(':');
            const field = colon === -1 ? line : line.slice(0, colon);
            const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
            if (field === 'id') event.id = value;
            else if (field === 'event') event.event = value;
            else if (field === 'data') {
              event.data = hasData ? `${event.data}\n${value}` : value;
              hasData = true;
            }
          }
          if (hasData) events.push(event);
          for (const l of listeners) l();
        }
      }
    } catch {
      // Aborted by close().
    } finally {
      for (const l of listeners) l();
    }
  })();
  let ended = false;
  void closed.then(() => (ended = true));
  return {
    events,
    status: res.status,
    headers: res.headers,
    closed,
    close: () => abort.abort(),
    waitFor: (match, timeoutMs = 5_000) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const found = events.find(match);
          if (found) {
            cleanup();
            resolve(found);
          } else if (ended) {
            cleanup();
            reject(new Error(`stream ended without the event; got ${JSON.stringify(events.slice(-5))}`));
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(
            new Error(`no matching event within ${timeoutMs} ms; got ${JSON.stringify(events.slice(-5))}`),
          );
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          listeners.delete(check);
        };
        listeners.add(check);
        check();
      }),
  };
}
