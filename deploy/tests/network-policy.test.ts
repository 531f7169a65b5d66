// Every connection a service makes, derived from its settings (NATS_URL, DATABASE_URL, the Fedora bus URLs,
// ALLOWED_HOSTS, the OTLP endpoint, LIBVIRT_URI, ...), must be allowed by the NetworkPolicies of the overlay, and so
// must the infrastructure's own traffic (NATS routes and leaf nodes, database replication, Prometheus); a few
// connections nothing needs must be refused, so the policies are not simply open.
import { beforeAll, describe, expect, test } from 'vitest';
import { renderOverlay } from './lib/kustomize.js';
import { NetworkModel, type Endpoint, type PodEndpoint } from './lib/network.js';
import { find, type K8sObject, matchesSelector, workloads } from './lib/objects.js';
import { OVERLAYS, serviceNames } from './lib/repo.js';
import { serviceConfig } from './lib/service-config.js';
import { containerPort, serviceContainers, type ServiceContainer } from './lib/services.js';

const NAMESPACES: Record<string, string> = { staging: 'autocloud-staging', production: 'autocloud' };

/** Settings whose value is something the service connects to, and how to read it. */
const CONNECTION_SETTINGS: Record<string, 'url' | 'urls' | 'hosts'> = {
  NATS_URL: 'urls',
  DATABASE_URL: 'url',
  FEDORA_MESSAGING_URL: 'url',
  FEDMSG_ENDPOINTS: 'urls',
  DATAGREPPER_URL: 'url',
  ALLOWED_HOSTS: 'hosts',
  WEBHOOK_URLS: 'urls',
  OTEL_EXPORTER_OTLP_ENDPOINT: 'url',
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'url',
  LIBVIRT_URI: 'url',
};
/** Address-like settings that are not connections (links shown to people, or a socket the service binds). */
const NOT_CONNECTIONS = new Set(['PUBLIC_URL', 'TRACING_URL_TEMPLATE', 'FEDMSG_PUBLISH_ENDPOINT']);
const ADDRESS_LIKE = /(_URL|_URLS|_URI|_ENDPOINT|_ENDPOINTS|_HOSTS|_HOST_?PORT)$/;

const DEFAULT_PORTS: Record<string, number> = {
  'nats:': 4222,
  'tls:': 4222,
  'http:': 80,
  'https:': 443,
  'amqp:': 5672,
  'amqps:': 5671,
  'postgres:': 5432,
  'postgresql:': 5432,
  'qemu+tls:': 16514,
  'qemu+tcp:': 16509,
  'qemu+ssh:': 22,
};

const internet: Endpoint = { kind: 'ip', name: 'a host on the internet', ip: '203.0.113.10' };
const privateHost: Endpoint = { kind: 'ip', name: 'a host on the private network', ip: '10.1.2.3' };

function outside(namespace: string, name: string, labels: Record<string, string> = {}): Endpoint {
  return { kind: 'pod', name: `${namespace}/${name}`, namespace, labels };
}

describe.each(OVERLAYS)('overlay %s', (overlay) => {
  const namespace = NAMESPACES[overlay]!;
  let objects: K8sObject[];
  let network: NetworkModel;
  let services: ServiceContainer[];
  let pods: Map<string, Endpoint>;

  // Pods that charts and operators run in the namespace, with the labels they give them.
  const natsServer: PodEndpoint = {
    kind: 'pod',
    name: 'nats-0',
    namespace,
    labels: {
      'app.kubernetes.io/name': 'nats',
      'app.kubernetes.io/instance': 'nats',
      'app.kubernetes.io/component': 'nats',
    },
  };
  const natsBox: PodEndpoint = {
    kind: 'pod',
    name: 'nats-box',
    namespace,
    labels: {
      'app.kubernetes.io/name': 'nats',
      'app.kubernetes.io/instance': 'nats',
      'app.kubernetes.io/component': 'nats-box',
    },
  };
  const postgres = (cluster: string): PodEndpoint => ({
    kind: 'pod',
    name: `${cluster}-1`,
    namespace,
    labels: { 'cnpg.io/cluster': cluster, 'cnpg.io/podRole': 'instance', 'cnpg.io/instanceRole': 'primary' },
  });

  beforeAll(async () => {
    objects = renderOverlay(overlay);
    network = new NetworkModel(objects, namespace);
    services = await serviceContainers(objects);
    pods = new Map(
      workloads(objects).map((w) => [
        w.name,
        {
          kind: 'pod',
          name: w.name,
          namespace,
          labels: w.podLabels,
          hostNetwork: w.pod.hostNetwork === true,
          ports: Object.fromEntries(
            w.pod.containers.flatMap((c) =>
              (c.ports ?? []).filter((p) => p.name).map((p) => [p.name!, p.containerPort]),
            ),
          ),
        } satisfies Endpoint,
      ]),
    );
  }, 60_000);

  /** The endpoint and pod port behind host:port, as a connection from inside the namespace reaches it. */
  function resolve(host: string, port: number): { endpoint: Endpoint; port: number } {
    const parts = host.split('.');
    const inCluster = parts.length === 1 || /\.svc(\.cluster\.local)?$/.test(host);
    if (!inCluster) return { endpoint: internet, port };
    const [name, serviceNamespace = namespace] = parts;
    if (serviceNamespace !== namespace) return { endpoint: outside(serviceNamespace, name!), port };
    if (name === 'nats') return { endpoint: natsServer, port };
    const cnpg = /^(.+)-(rw|ro|r)$/.exec(name!);
    if (cnpg && find(objects, 'Cluster', cnpg[1]!)) return { endpoint: postgres(cnpg[1]!), port };
    const service = find(objects, 'Service', name!);
    if (!service)
      throw new Error(`${host} is no Service of this overlay, nor one a chart or operator creates`);
    const spec = service.spec as {
      selector: Record<string, string>;
      ports: { port: number; targetPort?: number | string }[];
    };
    const backend = workloads(objects).find((w) =>
      matchesSelector({ matchLabels: spec.selector }, w.podLabels),
    );
    const servicePort = spec.ports.find((p) => p.port === port);
    if (!backend || !servicePort) throw new Error(`Service ${name} has no pods or no port ${port}`);
    const target = servicePort.targetPort ?? port;
    const podPort = backend.pod.containers.map((c) => containerPort(c, target)).find((p) => p !== undefined);
    return { endpoint: pods.get(backend.name)!, port: podPort ?? port };
  }

  /** host:port pairs a setting makes the service connect to. */
  function destinations(
    key: string,
    value: string,
    from: ServiceContainer,
  ): { host: string; port: number }[] {
    const kind = CONNECTION_SETTINGS[key]!;
    const entries =
      kind === 'url'
        ? [value]
        : value
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean);
    return entries.flatMap((entry) => {
      if (kind === 'hosts') {
        const [host, port] = entry.split(':');
        return [{ host: host!, port: port ? Number(port) : 443 }];
      }
      const url = new URL(entry);
      if (url.hostname === '') return []; // qemu:///system: a local socket
      const port = url.port ? Number(url.port) : DEFAULT_PORTS[url.protocol];
      if (port === undefined) throw new Error(`${from.service} ${key}: no port for ${entry}`);
      return [{ host: url.hostname, port }];
    });
  }

  /** DATABASE_URL from the app Secret CloudNativePG makes for a Cluster points at the Cluster's -rw Service. */
  function secretValue(key: string, from: ServiceContainer): string | undefined {
    const source = from.env.get(key);
    if (source?.from !== 'secret') return undefined;
    const cluster = /^(.+)-app$/.exec(source.secret)?.[1];
    if (key === 'DATABASE_URL' && source.key === 'uri' && cluster && find(objects, 'Cluster', cluster)) {
      return `postgresql://app@${cluster}-rw:5432/app`;
    }
    if (source.optional) return undefined;
    throw new Error(`${from.service}: cannot tell where ${key} from Secret ${source.secret} points`);
  }

  test('every address-like setting of every service is known as a connection or as not one', async () => {
    const unknown: string[] = [];
    for (const service of serviceNames()) {
      for (const key of Object.keys((await serviceConfig(service)).properties)) {
        if (ADDRESS_LIKE.test(key) && !(key in CONNECTION_SETTINGS) && !NOT_CONNECTIONS.has(key))
          unknown.push(`${service} ${key}`);
      }
    }
    expect(unknown).toEqual([]);
  });

  test('every service may open every connection its settings name, and resolve names', () => {
    const problems: string[] = [];
    let checked = 0;
    for (const container of services) {
      const source = pods.get(container.ref.workload.name)!;
      for (const key of Object.keys(CONNECTION_SETTINGS)) {
        if (!(key in container.config.properties) && !container.env.has(key)) continue;
        const value = secretValue(key, container) ?? container.value(key);
        if (value === undefined || value === '') continue;
        for (const { host, port } of destinations(key, value, container)) {
          const target = resolve(host, port);
          const verdict = network.check(source, target.endpoint, target.port);
          checked++;
          if (!verdict.allowed)
            problems.push(`${container.ref.workload.name} ${key} ${host}:${port}: ${verdict.why}`);
        }
      }
      const dns = network.check(
        source,
        outside('kube-system', 'coredns', { 'k8s-app': 'kube-dns' }),
        53,
        'UDP',
      );
      if (!dns.allowed) problems.push(`${container.ref.workload.name} DNS: ${dns.why}`);
    }
    expect(checked).toBeGreaterThan(services.length);
    expect(problems).toEqual([]);
  });

  test('Prometheus reaches every scrape port; the API is open to the ingress; nothing else from outside', () => {
    const prometheus = outside('monitoring', 'prometheus', { 'app.kubernetes.io/name': 'prometheus' });
    const router = outside('ingress-nginx', 'controller', { 'app.kubernetes.io/name': 'ingress-nginx' });
    const problems: string[] = [];
    for (const workload of workloads(objects)) {
      const port = Number(workload.podAnnotations['prometheus.io/port']);
      if (!port || workload.pod.hostNetwork) continue; // host-network pods: the node's firewall decides
      const pod = pods.get(workload.name)!;
      const scrape = network.check(prometheus, pod, port);
      if (!scrape.allowed) problems.push(`Prometheus -> ${workload.name}:${port}: ${scrape.why}`);
      if (
        workload.podLabels['app.kubernetes.io/component'] !== 'serve' &&
        network.check(internet, pod, port).allowed
      ) {
        problems.push(`${workload.name}:${port} is open to the internet`);
      }
    }
    const serve = services.find((s) => s.ref.workload.name === 'results-api-serve')!;
    const http = network.check(router, pods.get('results-api-serve')!, serve.healthPort());
    if (!http.allowed) problems.push(`ingress -> results-api serve: ${http.why}`);
    expect(problems).toEqual([]);
  });

  test('NATS, PostgreSQL and the collector can do their own work', () => {
    const nats2: PodEndpoint = { ...natsServer, name: 'nats-1' };
    const cluster = objects.find((o) => o.kind === 'Cluster')!.metadata.name;
    const primary = postgres(cluster);
    const replica: PodEndpoint = {
      ...primary,
      name: `${cluster}-2`,
      labels: { ...primary.labels, 'cnpg.io/instanceRole': 'replica' },
    };
    const operator = outside('cnpg-system', 'cnpg-controller-manager', {
      'app.kubernetes.io/name': 'cloudnative-pg',
    });
    const prometheus = outside('monitoring', 'prometheus');
    const collector = pods.get('otel-collector')!;
    const vboxLeaf: Endpoint = { kind: 'ip', name: 'the VirtualBox host', ip: '198.51.100.20' };
    const expectations: [string, Endpoint, Endpoint, number][] = [
      ['NATS cluster routes', nats2, natsServer, 6222],
      ['nats-box', natsBox, natsServer, 4222],
      ['leaf node of the VirtualBox host', vboxLeaf, natsServer, 7422],
      ['NATS exporter', prometheus, natsServer, 7777],
      ['PostgreSQL replication', replica, primary, 5432],
      ['CloudNativePG operator, status', operator, primary, 8000],
      ['CloudNativePG operator, SQL', operator, primary, 5432],
      [
        'instance manager -> Kubernetes API',
        primary,
        { kind: 'ip', name: 'kube-apiserver', ip: '10.96.0.1' },
        443,
      ],
      ['PostgreSQL exporter', prometheus, primary, 9187],
      ['collector -> tracing backend', collector, outside('monitoring', 'tempo-distributor'), 4317],
      ['collector metrics', prometheus, collector, 8888],
    ];
    const problems = expectations
      .map(([what, from, to, port]) => [what, network.check(from, to, port)] as const)
      .filter(([, verdict]) => !verdict.allowed)
      .map(([what, verdict]) => `${what}: ${verdict.why}`);
    for (const endpoint of [natsServer, natsBox, primary, collector]) {
      const dns = network.check(endpoint, outside('kube-system', 'coredns'), 53, 'UDP');
      if (!dns.allowed) problems.push(`${endpoint.name} DNS: ${dns.why}`);
    }
    expect(problems).toEqual([]);
  });

  test('connections no setting asks for are refused', () => {
    const cluster = objects.find((o) => o.kind === 'Cluster')!.metadata.name;
    const problems: string[] = [];
    for (const container of services) {
      const pod = pods.get(container.ref.workload.name)!;
      if (pod.kind !== 'pod' || pod.hostNetwork) continue;
      const name = container.ref.workload.name;
      const usesDatabase = container.env.has('DATABASE_URL');
      if (!usesDatabase && network.check(pod, postgres(cluster), 5432).allowed)
        problems.push(`${name} may reach PostgreSQL`);
      if (network.check(pod, privateHost, 443).allowed) problems.push(`${name} may reach private addresses`);
      if (network.check(pod, internet, 22).allowed) problems.push(`${name} may open SSH to the internet`);
      if (network.check(pod, natsServer, 6222).allowed) problems.push(`${name} may join the NATS cluster`);
    }
    if (network.check(internet, natsServer, 4222).allowed)
      problems.push('NATS clients may connect from the internet');
    if (network.check(internet, postgres(cluster), 5432).allowed)
      problems.push('PostgreSQL is open to the internet');
    expect(problems).toEqual([]);
  });
});
