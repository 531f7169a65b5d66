// The resolver's Prometheus metrics. Counted per handling: a replica whose publish JetStream recognised as a
// duplicate counts `duplicate`, so resolved + failed count each compose once however many replicas ran.
import { Counter, type Registry } from 'prom-client';
import { type SkipReason } from '../plan/plan.js';

export type ComposeOutcome = 'resolved' | 'failed' | 'ignored' | 'retried' | 'duplicate';

export interface ResolverMetrics {
  composes: Counter<'outcome'>;
  planned: Counter<'backend' | 'arch'>;
  skipped: Counter<'reason'>;
}

export function resolverMetrics(registry: Registry): ResolverMetrics {
  return {
    composes: new Counter({
      name: 'autocloud_resolver_composes_total',
      help: 'Compose messages handled, per outcome (resolved, failed, ignored, retried, duplicate)',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    planned: new Counter({
      name: 'autocloud_resolver_images_planned_total',
      help: 'Images planned for testing, per backend and architecture',
      labelNames: ['backend', 'arch'],
      registers: [registry],
    }),
    skipped: new Counter({
      name: 'autocloud_resolver_images_skipped_total',
      help: 'Images not planned, per reason (arch, no_rule, skip_rule, duplicate)',
      labelNames: ['reason'],
      registers: [registry],
    }),
  };
}

export function countPlan(
  metrics: ResolverMetrics,
  plan: { jobs: { backend: string; arch: string }[]; skipped: { reason: SkipReason }[] },
): void {
  for (const job of plan.jobs) metrics.planned.inc({ backend: job.backend, arch: job.arch });
  for (const s of plan.skipped) metrics.skipped.inc({ reason: s.reason });
}
