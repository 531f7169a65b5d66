// A runner service's start-up, shared by the libvirt and vbox runners: reap what a crashed predecessor left, then
// take run items for each architecture this host boots, RUNNER_SLOTS at a time, and answer cancel requests.
import { join, resolve } from 'node:path';
import { consumers, type Bus } from '@autocloud/bus';
import { type Backend as BackendName } from '@autocloud/schemas';
import { connectServiceBus, list, type CommonConfig, type ServiceContext } from '@autocloud/service';
import { ImageCache } from './cache/image-cache.js';
import { type RunnerSettings } from './config.js';
import { ActiveJobs } from './job/active-jobs.js';
import { JobRunner } from './job/job-runner.js';
import { type Backend } from './machine/machine.js';

export type RunnerBackendFactory = (workRoot: string, cacheDir: string) => Promise<Backend> | Backend;

export interface RunnerHandle {
  bus: Bus;
  backend: Backend;
  active: ActiveJobs;
}

export async function startRunner(
  ctx: ServiceContext<CommonConfig & RunnerSettings>,
  backendName: BackendName,
  createBackend: RunnerBackendFactory,
): Promise<RunnerHandle> {
  const { config, log } = ctx;
  const home = resolve(config.AUTOCLOUD_HOME);
  const cacheDir = join(home, 'runner-cache');
  const workRoot = join(home, 'runner', `${backendName}-${config.RUNNER_NAME}`);
  const backend = await createBackend(workRoot, cacheDir);
  const reaped = await backend.reap();
  if (reaped.length > 0)
    log.warn({ reaped }, 'removed VMs and files a previous run of this runner left behind');

  const bus = await connectServiceBus(ctx);
  const cache = new ImageCache({
    dir: cacheDir,
    maxBytes: config.RUNNER_CACHE_MAX_GIB * 1024 ** 3,
    store: () => bus.objectStore('images'),
  });
  const active = new ActiveJobs();
  active.listen(bus, log);
  const runner = new JobRunner({
    bus,
    backend,
    cache,
    plansDir: resolve(config.PLANS_DIR),
    workRoot,
    runner: config.RUNNER_NAME,
    timeouts: {
      bootS: config.BOOT_TIMEOUT_S,
      sshGraceS: config.SSH_GRACE_S,
      cloudInitS: config.CLOUD_INIT_TIMEOUT_S,
    },
    memoryMiB: config.RUNNER_MEMORY_MIB,
    cpus: config.RUNNER_CPUS,
    active,
    log,
  });
  const handles: { close(timeoutMs?: number): Promise<void> }[] = [];
  for (const arch of list(config.RUNNER_ARCHES)) {
    handles.push(
      await bus.consume(consumers.runner(backendName, arch), (d, c) => runner.handle(d.body, c), {
        // Slots are per host; with several architectures each gets the full count (rare: one host, one arch).
        concurrency: config.RUNNER_SLOTS,
        metrics: ctx.metrics,
      }),
    );
  }
  // Runs before the bus closes (shutdown steps run last-registered first): a VM job cannot finish in a shutdown's
  // time, so in-flight jobs are aborted at once, their VMs destroyed, and the items handed back to the queue.
  ctx.onShutdown('jobs', async () => {
    active.close();
    await Promise.all(handles.map((h) => h.close(1_000)));
  });
  return { bus, backend, active };
}
