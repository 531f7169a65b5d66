// Renders every overlay with kustomize and holds the result to the Kubernetes schemas and to the rules of
// deploy/README.md: probes and resources everywhere, unprivileged pods (or a documented exception), images and
// commands that exist in deploy/Dockerfile, every setting a service needs, budgets that let nodes drain,
// autoscalers on real consumers, and secrets an operator knows to create.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { consumers } from '@autocloud/bus';
import { beforeAll, describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import { finalStages, imageConfig, parseDockerfile } from './lib/dockerfile.js';
import { parseYamlDocuments, renderOverlay } from './lib/kustomize.js';
import {
  autocloudTarget,
  containersOf,
  find,
  type K8sObject,
  matchesSelector,
  workloads,
} from './lib/objects.js';
import { unknownFieldProblems, validateObject } from './lib/openapi.js';
import { codeSpans, readmeTable } from './lib/readme.js';
import { deployDir, kustomizeDir, OVERLAYS, readText, repoRoot } from './lib/repo.js';
import { isProcessVariable, valueProblem } from './lib/service-config.js';
import { containerPort, serviceContainers, type ServiceContainer } from './lib/services.js';

const EXCEPTION_ANNOTATION = 'autocloud.fedoraproject.org/security-exception';
const dockerfile = parseDockerfile(readText(join(deployDir, 'Dockerfile')));
const targets = new Set(finalStages(dockerfile).map((s) => s.name));
const NAMESPACES: Record<string, string> = { staging: 'autocloud-staging', production: 'autocloud' };

/** Operators create these Secrets; the table in deploy/README.md names each with its keys. */
function documentedSecrets(): Map<string, Set<string>> {
  const secrets = new Map<string, Set<string>>();
  for (const row of readmeTable('Secrets')) {
    for (const name of codeSpans(row[0])) secrets.set(name, new Set(codeSpans(row[1])));
  }
  return secrets;
}

describe.each(OVERLAYS)('overlay %s', (overlay) => {
  let objects: K8sObject[];
  let services: ServiceContainer[];
  beforeAll(async () => {
    objects = renderOverlay(overlay);
    services = await serviceContainers(objects);
  }, 60_000);

  test('renders, every object in the namespace of the overlay', () => {
    expect(objects.length).toBeGreaterThan(20);
    const namespace = NAMESPACES[overlay]!;
    expect(find(objects, 'Namespace', namespace)).toBeDefined();
    const elsewhere = objects
      .filter((o) => o.kind !== 'Namespace' && o.metadata.namespace !== namespace)
      .map((o) => `${o.kind}/${o.metadata.name}`);
    expect(elsewhere).toEqual([]);
    // Every service runs somewhere in the cluster, except where deploy/vbox-host/ runs it outside.
    const running = new Set(services.map((s) => s.service));
    const expected = [
      'fedmsg-bridge',
      'compose-resolver',
      'image-fetcher',
      'libvirt-runner',
      'results-api',
      'notifier',
    ];
    expect(expected.filter((s) => !running.has(s))).toEqual([]);
  });

  test('kubectl kustomize (a newer kustomize) renders the same objects, where kubectl is installed', (ctx) => {
    const kubectl = spawnSync('kubectl', ['kustomize', join(kustomizeDir, 'overlays', overlay)], {
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    });
    if (kubectl.error) ctx.skip();
    expect(kubectl.stderr).toBe('');
    expect(parseYamlDocuments(kubectl.stdout, `kubectl kustomize ${overlay}`)).toEqual(objects);
  });

  test('every object is valid against the Kubernetes OpenAPI schemas, with no unknown field', async () => {
    const problems: string[] = [];
    for (const object of objects) problems.push(...(await validateObject(object)));
    problems.push(...unknownFieldProblems(objects));
    expect(problems).toEqual([]);
  }, 60_000);

  test('every long-running container has liveness and readiness probes, requests and limits', () => {
    const problems: string[] = [];
    for (const workload of workloads(objects)) {
      for (const { container, init } of containersOf(workload)) {
        const where = `${workload.kind}/${workload.name} ${container.name}`;
        const runsOn = workload.kind !== 'Job' && !init;
        if (runsOn && !container.livenessProbe) problems.push(`${where}: no livenessProbe`);
        if (runsOn && !container.readinessProbe) problems.push(`${where}: no readinessProbe`);
        for (const kind of ['requests', 'limits'] as const) {
          for (const resource of ['cpu', 'memory']) {
            if (container.resources?.[kind]?.[resource] === undefined)
              problems.push(`${where}: no ${kind}.${resource}`);
          }
        }
      }
    }
    expect(problems).toEqual([]);
  });

  test('every pod runs unprivileged, read-only and non-root, unless deploy/README.md documents why not', () => {
    const documented = new Map(
      readmeTable('Security exceptions').map((row) => [codeSpans(row[0])[0], codeSpans(row[1])]),
    );
    const problems: string[] = [];
    for (const workload of workloads(objects)) {
      const where = `${workload.kind}/${workload.name}`;
      const exception = workload.podAnnotations[EXCEPTION_ANNOTATION];
      const allowed = documented.get(workload.name);
      if (exception && !allowed)
        problems.push(`${where}: has a security exception deploy/README.md does not list`);
      const pod = workload.pod;
      const hostAccess = [
        pod.hostNetwork && 'hostNetwork',
        pod.hostPID && 'hostPID',
        pod.hostIPC && 'hostIPC',
        ...(pod.volumes ?? []).filter((v) => v.hostPath).map((v) => `hostPath ${v.hostPath!.path}`),
      ].filter(Boolean);
      if (hostAccess.length > 0 && !(exception && allowed)) {
        problems.push(`${where}: ${hostAccess.join(', ')} without a documented exception`);
      }
      if (pod.securityContext?.runAsNonRoot !== true) problems.push(`${where}: pod runAsNonRoot is not true`);
      if (pod.securityContext?.seccompProfile?.type !== 'RuntimeDefault')
        problems.push(`${where}: no RuntimeDefault seccomp`);
      if (pod.automountServiceAccountToken !== false)
        problems.push(`${where}: mounts a service account token it does not use`);
      for (const { container } of containersOf(workload)) {
        const sc = container.securityContext ?? {};
        const privileged = sc.privileged === true || sc.runAsUser === 0 || sc.runAsNonRoot === false;
        if (privileged) {
          if (!(exception && allowed?.includes(container.name))) {
            problems.push(`${where} ${container.name}: privileged or root without a documented exception`);
          }
          continue;
        }
        if (sc.allowPrivilegeEscalation !== false)
          problems.push(`${where} ${container.name}: allowPrivilegeEscalation`);
        if (sc.readOnlyRootFilesystem !== true)
          problems.push(`${where} ${container.name}: writable root file system`);
        if (!sc.capabilities?.drop?.includes('ALL'))
          problems.push(`${where} ${container.name}: capabilities not dropped`);
        if ((sc.capabilities?.add ?? []).length > 0)
          problems.push(`${where} ${container.name}: adds capabilities`);
        const target = autocloudTarget(container.image);
        if (target && targets.has(target)) {
          // runAsNonRoot can only be checked against a numeric USER in the image.
          const user = imageConfig(dockerfile, target).user ?? '';
          if (!/^[1-9][0-9]*(:[0-9]+)?$/.test(user))
            problems.push(`${where} ${container.name}: image USER ${user} is not a numeric non-root user`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  test('every Autocloud image is a target of deploy/Dockerfile, and its arguments start a file of the service', async () => {
    const problems: string[] = [];
    for (const workload of workloads(objects)) {
      for (const { container } of containersOf(workload)) {
        const where = `${workload.kind}/${workload.name} ${container.name}`;
        const image = container.image ?? '';
        const target = autocloudTarget(image);
        const tag = /:([^/:@]+)$/.exec(image)?.[1];
        if (!tag && !image.includes('@sha256:'))
          problems.push(`${where}: image ${image} is not pinned to a tag or digest`);
        if (tag === 'latest') problems.push(`${where}: image ${image} uses the latest tag`);
        if (target === undefined) continue;
        if (!targets.has(target)) {
          problems.push(`${where}: no target ${target} in deploy/Dockerfile`);
          continue;
        }
        if (container.command)
          problems.push(`${where}: overrides the image's entrypoint (tini, node and its flags)`);
        const args = container.args ?? imageConfig(dockerfile, target).cmd;
        if (!existsSync(join(repoRoot, 'services', target))) continue; // not a Node service (the libvirtd sidecar)
        const [script, ...rest] = args;
        const source = /^(?:\.\/)?dist\/(.+)\.js$/.exec(script ?? '');
        if (!source || !existsSync(join(repoRoot, 'services', target, 'src', `${source[1]}.ts`))) {
          problems.push(`${where}: ${script} is not a compiled file of services/${target}/src`);
          continue;
        }
        if (rest.length > 0) {
          // A role argument (results-api serve|record) must be one the service accepts.
          const config = (await import(
            pathToFileURL(join(repoRoot, 'services', target, 'src', 'config.ts')).href
          )) as {
            parseRole?: (argv: string[]) => unknown;
          };
          if (!config.parseRole || config.parseRole(rest) instanceof Error) {
            problems.push(`${where}: services/${target} does not accept the arguments ${rest.join(' ')}`);
          }
        }
        if (overlay === 'production' && !/^quay\.io\/fedora\//.test(image))
          problems.push(`${where}: ${image} is not a release image`);
      }
    }
    expect(problems).toEqual([]);
  });

  test('every setting a service needs is set; every one set exists and has a valid value', () => {
    const problems: string[] = [];
    for (const { ref, service, config, env } of services) {
      const where = `${ref.workload.kind}/${ref.workload.name} ${ref.container.name} (${service})`;
      for (const key of config.mandatory)
        if (!env.has(key)) problems.push(`${where}: ${key} is required and not set`);
      for (const [key, source] of env) {
        const property = config.properties[key];
        if (!property) {
          if (!isProcessVariable(key)) problems.push(`${where}: ${key} is not a setting of ${service}`);
          continue;
        }
        if (source.from === 'literal' || source.from === 'configMap') {
          const problem = valueProblem(property, source.value);
          if (problem) problems.push(`${where}: ${key}=${source.value}: ${problem}`);
        }
      }
    }
    expect(services.length).toBeGreaterThan(0);
    expect(problems).toEqual([]);
  });

  test('the file system a service writes to and the files it reads are mounted', () => {
    const problems: string[] = [];
    for (const { ref, service, config, value } of services) {
      const where = `${ref.workload.kind}/${ref.workload.name} ${ref.container.name}`;
      const mounts = ref.container.volumeMounts ?? [];
      const writable = (path: string) => mounts.some((m) => m.mountPath === path && m.readOnly !== true);
      const home = value('AUTOCLOUD_HOME');
      if (!home || !home.startsWith('/') || !writable(home))
        problems.push(`${where}: AUTOCLOUD_HOME ${home} is not a writable volume`);
      if (!writable('/tmp')) problems.push(`${where}: /tmp is not a writable volume`);
      for (const key of Object.keys(config.properties).filter((k) => k.endsWith('_FILE'))) {
        const path = value(key);
        if (path === undefined) continue;
        if (!mounts.some((m) => path.startsWith(`${m.mountPath}/`)))
          problems.push(`${where}: ${key} ${path} is on no volume of ${service}`);
      }
    }
    expect(problems).toEqual([]);
  });

  test('probes, container ports and Prometheus annotations use the port each service listens on', () => {
    const problems: string[] = [];
    for (const { ref, value, healthPort } of services) {
      const { container, workload } = ref;
      if (workload.kind === 'Job') continue;
      const where = `${workload.kind}/${workload.name} ${container.name}`;
      const port = healthPort();
      if (!(port > 0)) {
        problems.push(`${where}: health endpoint turned off (${value('HEALTH_PORT')})`);
        continue;
      }
      for (const probe of ['livenessProbe', 'readinessProbe', 'startupProbe'] as const) {
        const get = container[probe]?.httpGet;
        if (!get) {
          if (probe !== 'startupProbe') problems.push(`${where}: ${probe} is not an HTTP GET`);
          continue;
        }
        if (containerPort(container, get.port) !== port)
          problems.push(`${where}: ${probe} is not on port ${port}`);
        const wanted = probe === 'readinessProbe' ? '/readyz' : '/healthz';
        if (get.path !== wanted) problems.push(`${where}: ${probe} asks ${get.path}, not ${wanted}`);
      }
      const annotations = workload.podAnnotations;
      if (
        annotations['prometheus.io/scrape'] !== 'true' ||
        annotations['prometheus.io/port'] !== String(port) ||
        annotations['prometheus.io/path'] !== '/metrics'
      ) {
        problems.push(`${where}: Prometheus scrape annotations do not name port ${port} and /metrics`);
      }
    }
    expect(problems).toEqual([]);
  });

  test('every Deployment has a PodDisruptionBudget that still lets a node drain', () => {
    const problems: string[] = [];
    const budgets = objects.filter((o) => o.kind === 'PodDisruptionBudget');
    const autoscalers = objects.filter((o) => o.kind === 'HorizontalPodAutoscaler');
    for (const workload of workloads(objects).filter((w) => w.kind === 'Deployment')) {
      const matching = budgets.filter((b) =>
        matchesSelector((b.spec as { selector: object }).selector, workload.podLabels),
      );
      if (matching.length !== 1) {
        problems.push(`Deployment/${workload.name}: ${matching.length} PodDisruptionBudgets select its pods`);
        continue;
      }
      const hpa = autoscalers.find(
        (h) => (h.spec as { scaleTargetRef: { name: string } }).scaleTargetRef.name === workload.name,
      );
      const replicas = hpa ? ((hpa.spec as { minReplicas?: number }).minReplicas ?? 1) : workload.replicas!;
      const spec = matching[0]!.spec as { minAvailable?: number | string; maxUnavailable?: number | string };
      if (typeof spec.minAvailable === 'number' && spec.minAvailable >= replicas) {
        problems.push(
          `Deployment/${workload.name}: minAvailable ${spec.minAvailable} of ${replicas} replicas blocks every drain`,
        );
      }
      if (spec.maxUnavailable === 0 || spec.maxUnavailable === '0%')
        problems.push(`Deployment/${workload.name}: maxUnavailable 0 blocks every drain`);
    }
    expect(problems).toEqual([]);
  });

  test('autoscalers scale real workloads on the backlog of a real consumer, one replica per slot', () => {
    const adapter = parse(readText(join(deployDir, 'monitoring', 'prometheus-adapter-values.yaml'))) as {
      rules: { external: { name: { as: string }; metricsQuery: string }[] };
    };
    const exported = new Set(adapter.rules.external.map((r) => r.name.as));
    const problems: string[] = [];
    const hpas = objects.filter((o) => o.kind === 'HorizontalPodAutoscaler');
    expect(hpas.map((h) => h.metadata.name)).toContain('image-fetcher');
    for (const hpa of hpas) {
      const spec = hpa.spec as {
        scaleTargetRef: { kind: string; name: string };
        minReplicas?: number;
        maxReplicas: number;
        metrics: {
          type: string;
          external?: {
            metric: { name: string; selector?: { matchLabels?: Record<string, string> } };
            target: { averageValue?: string };
          };
        }[];
      };
      const where = `HorizontalPodAutoscaler/${hpa.metadata.name}`;
      const target = services.find(
        (s) =>
          s.ref.workload.kind === spec.scaleTargetRef.kind &&
          s.ref.workload.name === spec.scaleTargetRef.name,
      );
      if (!target) {
        problems.push(
          `${where}: targets ${spec.scaleTargetRef.kind}/${spec.scaleTargetRef.name}, which runs no service`,
        );
        continue;
      }
      const backend = target.service.replace(/-runner$/, '');
      const durables = new Set<string>([
        ...Object.values(consumers).flatMap((c) => (typeof c === 'function' ? [] : [c.durable])),
        ...(target.value('RUNNER_ARCHES') ?? '')
          .split(',')
          .filter(Boolean)
          .map((arch) => consumers.runner(backend as 'libvirt' | 'vbox', arch.trim()).durable),
      ]);
      const perReplica = target.value('RUNNER_SLOTS') ?? target.value('FETCH_CONCURRENCY');
      for (const metric of spec.metrics) {
        if (metric.type !== 'External' || !metric.external) continue;
        const { name, selector } = metric.external.metric;
        if (!exported.has(name))
          problems.push(
            `${where}: metric ${name} is not exported by deploy/monitoring/prometheus-adapter-values.yaml`,
          );
        const consumer = selector?.matchLabels?.consumer_name;
        if (!consumer || !durables.has(consumer))
          problems.push(`${where}: consumer ${consumer} is not a durable consumer ${target.service} uses`);
        if (metric.external.target.averageValue !== perReplica) {
          problems.push(
            `${where}: ${metric.external.target.averageValue} per replica, but each replica takes ${perReplica}`,
          );
        }
      }
    }
    expect(problems).toEqual([]);
  });

  test('Services, Ingresses and volumes refer to pods, ports and ConfigMaps that exist', () => {
    const problems: string[] = [];
    const pods = workloads(objects);
    for (const service of objects.filter((o) => o.kind === 'Service')) {
      const spec = service.spec as {
        selector: Record<string, string>;
        ports: { name?: string; port: number; targetPort?: number | string }[];
      };
      const backends = pods.filter((w) => matchesSelector({ matchLabels: spec.selector }, w.podLabels));
      // Services for pods a chart or operator runs (NATS): their selectors are checked in network-policy.test.ts.
      if (backends.length === 0) {
        if (!spec.selector['app.kubernetes.io/name']?.startsWith('nats'))
          problems.push(`Service/${service.metadata.name}: selects no pod`);
        continue;
      }
      for (const port of spec.ports) {
        const target = port.targetPort ?? port.port;
        const served = backends.every((w) =>
          w.pod.containers.some(
            (c) =>
              containerPort(c, target) !== undefined &&
              (typeof target === 'string' || c.ports?.some((p) => p.containerPort === target)),
          ),
        );
        if (!served)
          problems.push(
            `Service/${service.metadata.name}: targetPort ${target} is no container port of its pods`,
          );
      }
    }
    for (const ingress of objects.filter((o) => o.kind === 'Ingress')) {
      const rules = (
        ingress.spec as {
          rules: {
            http: {
              paths: { backend: { service: { name: string; port: { name?: string; number?: number } } } }[];
            };
          }[];
        }
      ).rules;
      for (const path of rules.flatMap((r) => r.http.paths)) {
        const service = find(objects, 'Service', path.backend.service.name);
        const ports =
          (service?.spec as { ports: { name?: string; port: number }[] } | undefined)?.ports ?? [];
        if (
          !ports.some(
            (p) => p.name === path.backend.service.port.name || p.port === path.backend.service.port.number,
          )
        ) {
          problems.push(
            `Ingress/${ingress.metadata.name}: no Service port ${JSON.stringify(path.backend.service)}`,
          );
        }
      }
    }
    for (const workload of pods) {
      for (const volume of workload.pod.volumes ?? []) {
        if (volume.configMap && !find(objects, 'ConfigMap', volume.configMap.name!)) {
          problems.push(
            `${workload.kind}/${workload.name}: volume ${volume.name} from missing ConfigMap ${volume.configMap.name}`,
          );
        }
      }
    }
    expect(problems).toEqual([]);
  });

  test('every Secret the workloads read is documented in deploy/README.md with the keys they read', () => {
    const secrets = documentedSecrets();
    const problems: string[] = [];
    const need = (secret: string, key: string | undefined, where: string) => {
      const keys = secrets.get(secret);
      if (!keys) problems.push(`${where}: Secret ${secret} is not in the Secrets table of deploy/README.md`);
      else if (key !== undefined && !keys.has(key))
        problems.push(`${where}: key ${key} of Secret ${secret} is not documented`);
    };
    for (const workload of workloads(objects)) {
      for (const { container } of containersOf(workload)) {
        for (const entry of container.env ?? []) {
          const ref = entry.valueFrom?.secretKeyRef;
          if (ref) need(ref.name!, ref.key, `${workload.name} ${entry.name}`);
        }
      }
      for (const volume of workload.pod.volumes ?? []) {
        if (volume.secret)
          need(volume.secret.secretName!, undefined, `${workload.name} volume ${volume.name}`);
      }
    }
    // Files a service reads from a mounted Secret are keys of that Secret.
    for (const { ref, config, value } of services) {
      for (const key of Object.keys(config.properties).filter((k) => k.endsWith('_FILE'))) {
        const path = value(key);
        const mount = (ref.container.volumeMounts ?? []).find((m) => path?.startsWith(`${m.mountPath}/`));
        const volume = ref.workload.pod.volumes?.find((v) => v.name === mount?.name);
        if (path && mount && volume?.secret)
          need(
            volume.secret.secretName!,
            path.slice(mount.mountPath.length + 1),
            `${ref.workload.name} ${key}`,
          );
      }
    }
    for (const ingress of objects.filter((o) => o.kind === 'Ingress')) {
      for (const tls of (ingress.spec as { tls?: { secretName: string }[] }).tls ?? [])
        need(tls.secretName, undefined, `Ingress/${ingress.metadata.name}`);
    }
    expect(problems).toEqual([]);
  });
});
