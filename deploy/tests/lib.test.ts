// The helpers the deployment checks rely on, on small inputs whose answers are known.
import { Type } from '@sinclair/typebox';
import { describe, expect, test } from 'vitest';
import { aptPackages, imageConfig, parseDockerfile } from './lib/dockerfile.js';
import { inCidr, NetworkModel, NODE_IP, type Endpoint } from './lib/network.js';
import { autocloudTarget, containerEnv, type K8sObject, matchesSelector } from './lib/objects.js';
import { parseStartScript } from './lib/repo.js';
import { describeConfig, effectiveValue, valueProblem } from './lib/service-config.js';

describe('service configuration', () => {
  const config = describeConfig(
    'example',
    Type.Object({
      NATS_URL: Type.String({ default: 'nats://127.0.0.1:4222' }),
      TOKEN: Type.String(),
      SLOTS: Type.Integer({ minimum: 1, default: 2 }),
      HOOK: Type.Optional(Type.String()),
      MODE: Type.Union([Type.Literal('a'), Type.Literal('b')], { default: 'a' }),
    }),
  );

  test('a required setting without a default is mandatory; optional or defaulted ones are not', () => {
    expect(config.mandatory).toEqual(['TOKEN']);
  });

  test('values are converted as the service converts them, then checked', () => {
    expect(valueProblem(config.properties.SLOTS!, '3')).toBeUndefined();
    expect(valueProblem(config.properties.SLOTS!, '0')).toBeDefined();
    expect(valueProblem(config.properties.SLOTS!, 'many')).toBeDefined();
    expect(valueProblem(config.properties.MODE!, 'c')).toBeDefined();
    expect(effectiveValue(config, 'SLOTS', undefined)).toBe('2');
    expect(effectiveValue(config, 'SLOTS', '')).toBe('2');
    expect(effectiveValue(config, 'HOOK', undefined)).toBeUndefined();
  });
});

test('start scripts split into variables with their defaults and the command', () => {
  expect(parseStartScript('A=${A-http,pg} B=1 node --flag ./dist/main.js')).toEqual({
    env: { A: 'http,pg', B: '1' },
    argv: ['node', '--flag', './dist/main.js'],
  });
});

test('a Dockerfile: stages, inheritance, exec and shell forms, apt packages', () => {
  const file = parseDockerfile(
    [
      'ARG BASE=debian:bookworm-slim',
      'FROM ${BASE} AS one',
      'ENV A=1 B="two words"',
      'RUN apt-get update \\',
      ' && apt-get install -y --no-install-recommends tini curl \\',
      ' && rm -rf /var/lib/apt/lists/*',
      'USER 10001:10001',
      'ENTRYPOINT ["tini", "--"]',
      'FROM one AS two',
      '# a comment',
      'CMD ["node", "x.js"]',
      'HEALTHCHECK --interval=5s CMD ["true"]',
    ].join('\n'),
  );
  expect(file.stages.map((s) => [s.name, s.base])).toEqual([
    ['one', 'debian:bookworm-slim'],
    ['two', 'one'],
  ]);
  const two = imageConfig(file, 'two');
  expect([...two.entrypoint, ...two.cmd]).toEqual(['tini', '--', 'node', 'x.js']);
  expect(two.env).toEqual({ A: '1', B: 'two words' });
  expect(two.user).toBe('10001:10001');
  expect(two.healthcheck).toEqual(['true']);
  expect(aptPackages(file.stages[0]!.instructions[1]!.args)).toEqual(['tini', 'curl']);
});

test('images map to Dockerfile targets by name', () => {
  expect(autocloudTarget('quay.io/fedora/autocloud-results-api:0.1.0')).toBe('results-api');
  expect(autocloudTarget('autocloud-notifier')).toBe('notifier');
  expect(autocloudTarget('registry:5000/autocloud-libvirtd@sha256:abc')).toBe('libvirtd');
  expect(autocloudTarget('docker.io/otel/opentelemetry-collector:0.114.0')).toBeUndefined();
});

test('label selectors: labels and expressions', () => {
  const labels = { app: 'a', tier: 'x' };
  expect(matchesSelector({ matchLabels: { app: 'a' } }, labels)).toBe(true);
  expect(matchesSelector({ matchLabels: { app: 'b' } }, labels)).toBe(false);
  expect(
    matchesSelector({ matchExpressions: [{ key: 'tier', operator: 'In', values: ['x', 'y'] }] }, labels),
  ).toBe(true);
  expect(matchesSelector({ matchExpressions: [{ key: 'gone', operator: 'Exists' }] }, labels)).toBe(false);
  expect(matchesSelector({ matchExpressions: [{ key: 'gone', operator: 'DoesNotExist' }] }, labels)).toBe(
    true,
  );
});

test('a container environment: ConfigMaps, literals override them, secrets are references', () => {
  const objects = [
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm' }, data: { A: '1', B: '2' } },
  ] as K8sObject[];
  const env = containerEnv(objects, {
    name: 'c',
    envFrom: [{ configMapRef: { name: 'cm' } }],
    env: [
      { name: 'B', value: '3' },
      { name: 'S', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } },
    ],
  });
  expect(env.get('A')).toEqual({ from: 'configMap', value: '1', configMap: 'cm' });
  expect(env.get('B')).toEqual({ from: 'literal', value: '3' });
  expect(env.get('S')).toEqual({ from: 'secret', secret: 's', key: 'k', optional: false });
  expect(() =>
    containerEnv(objects, { name: 'c', envFrom: [{ configMapRef: { name: 'missing' } }] }),
  ).toThrow(/missing/);
  expect(() => containerEnv(objects, { name: 'c', envFrom: [{ secretRef: { name: 's' } }] })).toThrow(
    /secretKeyRef/,
  );
});

describe('NetworkPolicy evaluation', () => {
  const ns = 'n';
  const pod = (name: string, labels: Record<string, string>, hostNetwork = false): Endpoint => ({
    kind: 'pod',
    name,
    namespace: ns,
    labels,
    hostNetwork,
    ports: { http: 8080 },
  });
  const policy = (name: string, spec: object): K8sObject => ({
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name, namespace: ns },
    spec: spec as Record<string, unknown>,
  });
  const web = pod('web', { app: 'web' });
  const db = pod('db', { app: 'db' });
  const other = pod('other', { app: 'other' });
  const internet: Endpoint = { kind: 'ip', name: 'internet', ip: '203.0.113.1' };

  test('without policies everything is allowed; a default deny closes both directions', () => {
    expect(new NetworkModel([], ns).check(web, db, 5432).allowed).toBe(true);
    const deny = new NetworkModel(
      [policy('deny', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] })],
      ns,
    );
    expect(deny.check(web, db, 5432).allowed).toBe(false);
    expect(deny.check(internet, web, 8080).allowed).toBe(false);
  });

  test('both the egress of the source and the ingress of the destination must allow', () => {
    const policies = [
      policy('deny', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] }),
      policy('web-out', {
        podSelector: { matchLabels: { app: 'web' } },
        policyTypes: ['Egress'],
        egress: [{ to: [{ podSelector: { matchLabels: { app: 'db' } } }], ports: [{ port: 5432 }] }],
      }),
    ];
    expect(new NetworkModel(policies, ns).check(web, db, 5432).allowed).toBe(false);
    const withIngress = [
      ...policies,
      policy('db-in', {
        podSelector: { matchLabels: { app: 'db' } },
        policyTypes: ['Ingress'],
        ingress: [
          {
            from: [{ podSelector: { matchLabels: { app: 'web' } } }],
            ports: [{ protocol: 'TCP', port: 5432 }],
          },
        ],
      }),
    ];
    const model = new NetworkModel(withIngress, ns);
    expect(model.check(web, db, 5432).allowed).toBe(true);
    expect(model.check(web, db, 5433).allowed).toBe(false);
    expect(model.check(web, db, 5432, 'UDP').allowed).toBe(false);
    expect(model.check(other, db, 5432).allowed).toBe(false);
  });

  test('IP blocks match addresses outside the cluster and host-network pods, not pods', () => {
    const model = new NetworkModel(
      [
        policy('in', {
          podSelector: { matchLabels: { app: 'web' } },
          ingress: [
            {
              from: [{ ipBlock: { cidr: '0.0.0.0/0', except: ['192.168.0.0/16'] } }],
              ports: [{ port: 'http' }],
            },
          ],
        }),
      ],
      ns,
    );
    expect(model.check(internet, web, 8080).allowed).toBe(true);
    expect(model.check({ kind: 'ip', name: 'lan', ip: '192.168.1.1' }, web, 8080).allowed).toBe(false);
    expect(model.check(other, web, 8080).allowed).toBe(false);
    expect(model.check(pod('node', {}, true), web, 8080).allowed).toBe(inCidr(NODE_IP, '0.0.0.0/0'));
  });

  test('namespace selectors match pods of other namespaces by the namespace name label', () => {
    const model = new NetworkModel(
      [
        policy('in', {
          podSelector: {},
          ingress: [
            {
              from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }],
            },
          ],
        }),
      ],
      ns,
    );
    const prometheus: Endpoint = { kind: 'pod', name: 'prometheus', namespace: 'monitoring', labels: {} };
    const stranger: Endpoint = { kind: 'pod', name: 'x', namespace: 'elsewhere', labels: {} };
    expect(model.check(prometheus, web, 9100).allowed).toBe(true);
    expect(model.check(stranger, web, 9100).allowed).toBe(false);
  });

  test('CIDR arithmetic', () => {
    expect(inCidr('10.1.2.3', '10.0.0.0/8')).toBe(true);
    expect(inCidr('11.0.0.1', '10.0.0.0/8')).toBe(false);
    expect(inCidr('172.31.255.255', '172.16.0.0/12')).toBe(true);
    expect(inCidr('172.32.0.0', '172.16.0.0/12')).toBe(false);
  });
});
