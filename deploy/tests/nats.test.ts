// deploy/nats/values.yaml against the NATS chart it is for (every key must be one the chart has), and against what
// the services and manifests expect of NATS: a 3-node JetStream cluster on files, the stream replicas the services
// declare, the client port and Service name, the leaf node port for the VirtualBox host, the exporter the
// autoscalers read.
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import { renderOverlay } from './lib/kustomize.js';
import { find } from './lib/objects.js';
import { codeSpans, readmeTable } from './lib/readme.js';
import { deployDir, OVERLAYS, readText } from './lib/repo.js';
import { serviceContainers, type ServiceContainer } from './lib/services.js';

type Tree = Record<string, unknown>;
const values = parse(readText(join(deployDir, 'nats', 'values.yaml'))) as Tree;
const chartDefaults = parse(
  readText(join(deployDir, 'tests', 'fixtures', 'nats-chart-2.14.2-values.yaml')),
) as Tree;

function at(tree: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((node, key) => (node as Tree | undefined)?.[key], tree);
}

/** Keys of `given` the chart does not have; under a default that is empty ({} or unset) anything goes. */
function unknownKeys(given: unknown, defaults: unknown, path = ''): string[] {
  if (given === null || typeof given !== 'object' || Array.isArray(given)) return [];
  if (defaults === null || defaults === undefined) return [];
  if (typeof defaults !== 'object' || Array.isArray(defaults))
    return [`${path} (the chart has a ${typeof defaults} here)`];
  if (Object.keys(defaults).length === 0) return [];
  return Object.entries(given).flatMap(([key, value]) =>
    key in defaults ? unknownKeys(value, (defaults as Tree)[key], `${path}${key}.`) : [`${path}${key}`],
  );
}

describe('deploy/nats/values.yaml', () => {
  test('sets only keys the NATS chart has', () => {
    expect(unknownKeys(values, chartDefaults)).toEqual([]);
    // The check itself: a misspelt key is caught.
    expect(unknownKeys({ config: { jetstream: { fileStorage: {} } } }, chartDefaults)).toEqual([
      'config.jetstream.fileStorage',
    ]);
  });

  test('a 3-node JetStream cluster on persistent file storage', () => {
    expect(at(values, 'config.cluster.enabled')).toBe(true);
    expect(at(values, 'config.cluster.replicas')).toBe(3);
    expect(at(values, 'config.jetstream.enabled')).toBe(true);
    expect(at(values, 'config.jetstream.fileStore.enabled')).toBe(true);
    expect(at(values, 'config.jetstream.fileStore.pvc.enabled')).toBe(true);
    expect(at(values, 'config.jetstream.memoryStore.enabled')).toBe(false);
    expect(at(values, 'podDisruptionBudget.enabled')).toBe(true);
  });

  test('the exporter reports per-consumer JetStream state for the autoscalers', () => {
    expect(at(values, 'promExporter.enabled')).toBe(true);
    // The chart runs the exporter with -prefix=nats and, with JetStream on, -jsz=all.
    const chartExporter = readText(join(deployDir, 'monitoring', 'prometheus-adapter-values.yaml'));
    expect(chartExporter).toContain('nats_consumer_num_pending');
    expect(chartExporter).toContain('nats_consumer_num_ack_pending');
  });

  test('leaf nodes over TLS with credentials, from Secrets deploy/README.md documents', () => {
    expect(at(values, 'config.leafnodes.enabled')).toBe(true);
    expect(at(values, 'config.leafnodes.tls.enabled')).toBe(true);
    const secrets = new Map(readmeTable('Secrets').map((row) => [codeSpans(row[0])[0], codeSpans(row[1])]));
    expect(secrets.get(at(values, 'config.leafnodes.tls.secretName') as string)).toEqual(
      expect.arrayContaining(['tls.crt', 'tls.key']),
    );
    const password = at(values, 'container.env.LEAF_PASSWORD.valueFrom.secretKeyRef') as {
      name: string;
      key: string;
    };
    expect(secrets.get(password.name)).toContain(password.key);
    expect(at(values, 'config.leafnodes.merge.authorization.password')).toBe('<< $LEAF_PASSWORD >>');
    // The VirtualBox host's leaf logs in as this user.
    const leaf = readText(join(deployDir, 'vbox-host', 'nats-leaf.conf'));
    const user = at(values, 'config.leafnodes.merge.authorization.user') as string;
    expect(leaf).toMatch(
      new RegExp(`url: "tls://${user}:[^@]+@[^:]+:${String(at(values, 'config.leafnodes.port'))}"`),
    );
    // Its clients' JetStream requests go to the cluster's JetStream domain.
    const domain = at(values, 'config.jetstream.merge.domain') as string;
    expect(domain).toMatch(/^[a-z]+$/);
    expect(leaf).toContain(`default_js_domain: { "$G": "${domain}" }`);
  });
});

describe.each(OVERLAYS)('overlay %s and NATS', (overlay) => {
  let services: ServiceContainer[];
  beforeAll(async () => {
    services = await serviceContainers(renderOverlay(overlay));
  }, 60_000);

  test("services declare streams with the replicas the cluster has, and reach the chart's Service", () => {
    const clusterSize = at(values, 'config.cluster.replicas') as number;
    const clientPort = (at(values, 'config.nats.port') ?? at(chartDefaults, 'config.nats.port')) as number;
    for (const service of services) {
      const where = `${service.ref.workload.name} ${service.ref.container.name}`;
      // Release `nats` of the chart: its client Service is `nats` in the same namespace.
      for (const url of service.value('NATS_URL')!.split(',')) {
        expect(new URL(url.trim()).hostname, where).toBe('nats');
        expect(Number(new URL(url.trim()).port || 4222), where).toBe(clientPort);
      }
      expect(Number(service.value('NATS_STREAM_REPLICAS')), where).toBe(clusterSize);
    }
  });

  test("the leaf node Service exposes the leaf port of the chart's NATS servers", () => {
    const objects = renderOverlay(overlay);
    const service = find(objects, 'Service', 'nats-leafnodes');
    const spec = service?.spec as {
      type: string;
      selector: Record<string, string>;
      ports: { port: number; targetPort: number }[];
    };
    expect(spec.type).toBe('LoadBalancer');
    expect(spec.selector).toEqual({
      'app.kubernetes.io/name': 'nats',
      'app.kubernetes.io/instance': 'nats',
      'app.kubernetes.io/component': 'nats',
    });
    expect(spec.ports.map((p) => p.targetPort)).toEqual([at(values, 'config.leafnodes.port')]);
  });
});
