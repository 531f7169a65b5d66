// The resolver: its two durable consumers (pungi's finished composes, hand submissions) feeding the handlers.
import { consumers, type Bus, type ConsumerHandle, type ConsumerSpec } from '@autocloud/bus';
import { type Logger } from '@autocloud/telemetry';
import { type Registry } from 'prom-client';
import { type ResolverSettings } from '../config.js';
import { MetadataClient } from '../metadata/metadata.client.js';
import { type Rules } from '../rules/rules.match.js';
import { pungiHandler, submitHandler, type ResolveDeps } from './resolve.handler.js';
import { resolverMetrics } from './resolver.metrics.js';

export interface ResolverOptions {
  bus: Bus;
  log: Logger;
  metrics: Registry;
  rules: Rules;
  settings: ResolverSettings;
  /** The topology's consumers unless a test wants others (fewer deliveries, say). */
  consumers?: {
    pungi: ConsumerSpec<'pungi.compose.status.change'>;
    submit: ConsumerSpec<'autocloud.control.submit'>;
  };
  /** Redelivery backoff after a transient failure (the bus's default unless set). */
  backoff?: { baseMs: number; maxMs: number };
}

export class ComposeResolver {
  private handles: ConsumerHandle[] = [];

  constructor(private readonly opts: ResolverOptions) {}

  async start(): Promise<void> {
    const { bus, log, settings } = this.opts;
    const deps: ResolveDeps = {
      bus,
      metadata: new MetadataClient({ ...settings.metadata, allow: settings.allow, log }),
      rules: this.opts.rules,
      arches: settings.arches,
      metrics: resolverMetrics(this.opts.metrics),
    };
    const specs = this.opts.consumers ?? {
      pungi: consumers.composeResolver,
      submit: consumers.composeSubmit,
    };
    const options = {
      concurrency: settings.concurrency,
      metrics: this.opts.metrics,
      ...(this.opts.backoff ? { backoff: this.opts.backoff } : {}),
    };
    this.handles.push(await bus.consume(specs.pungi, pungiHandler(deps, specs.pungi.maxDeliver), options));
    this.handles.push(await bus.consume(specs.submit, submitHandler(deps, specs.submit.maxDeliver), options));
  }

  /** Stops pulling and waits for the composes in hand (then aborts them: they are redelivered elsewhere). */
  async stop(timeoutMs?: number): Promise<void> {
    const handles = this.handles;
    this.handles = [];
    await Promise.all(handles.map((h) => h.close(timeoutMs)));
  }
}
