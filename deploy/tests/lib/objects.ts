// Typed access to rendered Kubernetes objects: workloads, their pods and containers, and each container's
// environment as the kubelet would assemble it (env, envFrom of ConfigMaps, secret references).
import { type IContainer } from 'kubernetes-models/v1/Container';
import { type IPodSpec } from 'kubernetes-models/v1/PodSpec';

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  spec?: Record<string, unknown>;
  data?: Record<string, string>;
}

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

export function matchesSelector(
  selector: LabelSelector | undefined,
  labels: Record<string, string>,
): boolean {
  if (!selector) return true;
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    if (labels[key] !== value) return false;
  }
  for (const { key, operator, values = [] } of selector.matchExpressions ?? []) {
    const has = key in labels;
    const ok =
      operator === 'In'
        ? has && values.includes(labels[key]!)
        : operator === 'NotIn'
          ? !has || !values.includes(labels[key]!)
          : operator === 'Exists'
            ? has
            : operator === 'DoesNotExist'
              ? !has
              : false;
    if (!ok) return false;
  }
  return true;
}

/** A Deployment, DaemonSet, StatefulSet or Job: something that runs pods. */
export interface Workload {
  object: K8sObject;
  kind: string;
  name: string;
  replicas: number | undefined;
  podLabels: Record<string, string>;
  podAnnotations: Record<string, string>;
  pod: IPodSpec;
}

const WORKLOAD_KINDS = new Set(['Deployment', 'DaemonSet', 'StatefulSet', 'Job']);

export function workloads(objects: K8sObject[]): Workload[] {
  return objects
    .filter((o) => WORKLOAD_KINDS.has(o.kind))
    .map((object) => {
      const spec = object.spec as {
        replicas?: number;
        template: {
          metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
          spec: IPodSpec;
        };
      };
      return {
        object,
        kind: object.kind,
        name: object.metadata.name,
        replicas: object.kind === 'Deployment' ? (spec.replicas ?? 1) : undefined,
        podLabels: spec.template.metadata?.labels ?? {},
        podAnnotations: spec.template.metadata?.annotations ?? {},
        pod: spec.template.spec,
      };
    });
}

export interface ContainerRef {
  workload: Workload;
  container: IContainer;
  /** An init container that runs beside the others (restartPolicy: Always). */
  sidecar: boolean;
  /** A plain init container: runs to completion before the others start. */
  init: boolean;
}

export function containersOf(workload: Workload): ContainerRef[] {
  const init = (workload.pod.initContainers ?? []).map((container) => ({
    workload,
    container,
    sidecar: container.restartPolicy === 'Always',
    init: container.restartPolicy !== 'Always',
  }));
  const main = workload.pod.containers.map((container) => ({
    workload,
    container,
    sidecar: false,
    init: false,
  }));
  return [...init, ...main];
}

export function find(objects: K8sObject[], kind: string, name: string): K8sObject | undefined {
  return objects.find((o) => o.kind === kind && o.metadata.name === name);
}

export type EnvSource =
  | { from: 'literal'; value: string }
  | { from: 'configMap'; value: string; configMap: string }
  | { from: 'secret'; secret: string; key: string; optional: boolean }
  | { from: 'field' };

/** The container's environment; unresolvable references (a missing ConfigMap, envFrom a Secret) are errors. */
export function containerEnv(objects: K8sObject[], container: IContainer): Map<string, EnvSource> {
  const env = new Map<string, EnvSource>();
  for (const source of container.envFrom ?? []) {
    if (source.secretRef) {
      throw new Error(
        `${container.name}: envFrom a Secret hides which keys it sets; use env with secretKeyRef instead`,
      );
    }
    const name = source.configMapRef?.name;
    if (!name) continue;
    const configMap = find(objects, 'ConfigMap', name);
    if (!configMap) {
      if (source.configMapRef?.optional) continue;
      throw new Error(`${container.name}: envFrom ConfigMap ${name}, which is not rendered`);
    }
    for (const [key, value] of Object.entries(configMap.data ?? {})) {
      env.set(`${source.prefix ?? ''}${key}`, { from: 'configMap', value, configMap: name });
    }
  }
  for (const entry of container.env ?? []) {
    if (entry.valueFrom?.secretKeyRef) {
      const ref = entry.valueFrom.secretKeyRef;
      env.set(entry.name, {
        from: 'secret',
        secret: ref.name!,
        key: ref.key,
        optional: ref.optional ?? false,
      });
    } else if (entry.valueFrom?.configMapKeyRef) {
      const ref = entry.valueFrom.configMapKeyRef;
      const value = find(objects, 'ConfigMap', ref.name!)?.data?.[ref.key];
      if (value === undefined)
        throw new Error(`${container.name}: ${entry.name} from missing ${ref.name}/${ref.key}`);
      env.set(entry.name, { from: 'configMap', value, configMap: ref.name! });
    } else if (entry.valueFrom) {
      env.set(entry.name, { from: 'field' });
    } else {
      env.set(entry.name, { from: 'literal', value: entry.value ?? '' });
    }
  }
  return env;
}

/** The plain value of a setting, when the manifests give one (literal or from a ConfigMap). */
export function plainValue(source: EnvSource | undefined): string | undefined {
  return source && (source.from === 'literal' || source.from === 'configMap') ? source.value : undefined;
}

/** `quay.io/fedora/autocloud-results-api:0.1.0` -> `results-api` (the Dockerfile target), else undefined. */
export function autocloudTarget(image: string | undefined): string | undefined {
  const repository = (image ?? '').split('@')[0]!.replace(/:[^/:]+$/, '');
  const base = repository.split('/').pop() ?? '';
  return base.startsWith('autocloud-') ? base.slice('autocloud-'.length) : undefined;
}
