// The handlers: a finished compose (pungi) or a hand submission in, one autocloud.compose.resolved out. Stateless:
// replicas handling the same message publish the same body under the same Nats-Msg-Id, and JetStream keeps one.
// Metadata that cannot be read is still recorded (jobs: [] and the reason), then the message is dead-lettered.
import { PermanentError, RetryableError, type Bus, type Handler, type HandlerContext } from '@autocloud/bus';
import { isTriggerStatus, type ComposeResolved, type PungiComposeStatusChange } from '@autocloud/schemas';
import { MetadataError, type ComposeMetadata, type MetadataClient } from '../metadata/metadata.client.js';
import { nothingPlanned, planImages } from '../plan/plan.js';
import { type Rules } from '../rules/rules.match.js';
import { composeFields, composeIdMismatch } from './compose-fields.js';
import { countPlan, type ResolverMetrics } from './resolver.metrics.js';

export interface ResolveDeps {
  bus: Pick<Bus, 'publish'>;
  metadata: Pick<MetadataClient, 'read'>;
  rules: Rules;
  arches: readonly string[];
  metrics: ResolverMetrics;
}

/** What to resolve, from a pungi message or a submit command. */
interface ResolveRequest {
  /** Named by the message; a submission may leave it to composeinfo.json. */
  composeId: string | undefined;
  location: string;
  pungiStatus: string;
  message?: PungiComposeStatusChange;
  requestId?: string;
}

export function pungiHandler(deps: ResolveDeps, maxDeliver: number): Handler<'pungi.compose.status.change'> {
  return async ({ body }, ctx) => {
    if (!isTriggerStatus(body.status)) {
      deps.metrics.composes.inc({ outcome: 'ignored' });
      ctx.log.debug({ compose_id: body.compose_id, status: body.status }, 'not finished; nothing to plan');
      return;
    }
    await resolve(
      deps,
      { composeId: body.compose_id, location: body.location, pungiStatus: body.status, message: body },
      ctx,
      maxDeliver,
    );
  };
}

export function submitHandler(deps: ResolveDeps, maxDeliver: number): Handler<'autocloud.control.submit'> {
  return ({ body }, ctx) =>
    resolve(
      deps,
      {
        composeId: body.compose_id,
        location: body.location,
        pungiStatus: 'FINISHED',
        requestId: body.request_id,
      },
      ctx,
      maxDeliver,
    );
}

async function resolve(
  deps: ResolveDeps,
  req: ResolveRequest,
  ctx: HandlerContext,
  maxDeliver: number,
): Promise<void> {
  let metadata: ComposeMetadata;
  try {
    metadata = await deps.metadata.read(req.location, ctx.signal);
  } catch (err) {
    if (ctx.signal.aborted || !(err instanceof MetadataError)) throw err;
    if (err.transient && ctx.deliveryCount < maxDeliver) {
      deps.metrics.composes.inc({ outcome: 'retried' });
      throw new RetryableError(err.message, { cause: err, code: err.code });
    }
    // The last delivery: record the compose as unresolvable rather than let it vanish.
    const reason = err.transient
      ? `${err.message} (gave up after ${ctx.deliveryCount} deliveries)`
      : err.message;
    return fail(deps, req, reason, ctx);
  }

  const composeId = req.composeId ?? metadata.composeinfo.payload.compose.id;
  const mismatch = composeIdMismatch(composeId, metadata);
  if (mismatch) return fail(deps, { ...req, composeId }, mismatch, ctx);

  const fields = composeFields(composeId, { message: req.message, info: metadata.composeinfo });
  const plan = planImages({
    location: req.location,
    release: fields.release,
    images: metadata.images.payload.images,
    rules: deps.rules,
    arches: deps.arches,
  });
  const body: ComposeResolved = {
    compose_id: composeId,
    location: req.location,
    pungi_status: req.pungiStatus,
    ...fields,
    ...(req.requestId ? { request_id: req.requestId } : {}),
    ...(plan.jobs.length === 0 ? { reason: nothingPlanned(plan) } : {}),
    jobs: plan.jobs,
  };
  const duplicate = await publish(deps, body);
  deps.metrics.composes.inc({ outcome: duplicate ? 'duplicate' : 'resolved' });
  if (!duplicate) countPlan(deps.metrics, plan);
  ctx.log.info(
    {
      compose_id: composeId,
      jobs: plan.jobs.length,
      skipped: plan.skipped.map((s) => `${s.path}: ${s.detail}`),
      duplicate,
    },
    duplicate ? 'compose already resolved' : 'compose resolved',
  );
}

/** Publishes the compose with no jobs and the reason, then dead-letters the message (PermanentError). */
async function fail(
  deps: ResolveDeps,
  req: ResolveRequest,
  reason: string,
  ctx: HandlerContext,
): Promise<never> {
  // A submission whose compose is unknown is named after the request, never guessed from its location: a guess
  // could take a real compose's id, and the recorder would then keep that compose as done without jobs.
  const composeId = req.composeId ?? `submission-${req.requestId ?? 'unknown'}`;
  const duplicate = await publish(deps, {
    compose_id: composeId,
    location: req.location,
    pungi_status: req.pungiStatus,
    ...composeFields(composeId, { message: req.message }),
    ...(req.requestId ? { request_id: req.requestId } : {}),
    reason,
    jobs: [],
  });
  deps.metrics.composes.inc({ outcome: duplicate ? 'duplicate' : 'failed' });
  ctx.log.warn({ compose_id: composeId, reason }, 'compose could not be resolved');
  throw new PermanentError(reason, { code: 'COMPOSE_UNRESOLVED' });
}

/**
 * A pungi message's plan has the catalogue's id, resolved.<compose_id>. A submission's also carries its
 * request_id: testing a compose again by hand must not be dropped as a duplicate of the first run, while the same
 * submission redelivered still is.
 */
async function publish(deps: ResolveDeps, body: ComposeResolved): Promise<boolean> {
  const msgId = body.request_id ? `resolved.${body.compose_id}.${body.request_id}` : undefined;
  const ack = await deps.bus.publish('autocloud.compose.resolved', body, msgId ? { msgId } : {});
  return ack.duplicate;
}
