// The containers of the rendered overlays that run an Autocloud service, with their configuration and environment.
import { type IContainer } from 'kubernetes-models/v1/Container';
import {
  autocloudTarget,
  containerEnv,
  containersOf,
  type ContainerRef,
  type EnvSource,
  type K8sObject,
  plainValue,
  workloads,
} from './objects.js';
import { serviceNames } from './repo.js';
import { effectiveValue, serviceConfig, type ServiceConfig } from './service-config.js';

export interface ServiceContainer {
  ref: ContainerRef;
  service: string;
  config: ServiceConfig;
  env: Map<string, EnvSource>;
  /** The value the service runs with (given, else the schema default); undefined when unset without default. */
  value: (key: string) => string | undefined;
  /** The port its /healthz, /readyz and /metrics answer on. */
  healthPort: () => number;
}

/** results-api serve answers its probes on PORT, beside the API (it turns HEALTH_PORT off). */
function servesHttp(container: IContainer): boolean {
  return (container.args ?? []).includes('serve');
}

export async function serviceContainers(objects: K8sObject[]): Promise<ServiceContainer[]> {
  const services = new Set(serviceNames());
  const result: ServiceContainer[] = [];
  for (const workload of workloads(objects)) {
    for (const ref of containersOf(workload)) {
      const service = autocloudTarget(ref.container.image);
      if (!service || !services.has(service)) continue;
      const config = await serviceConfig(service);
      const env = containerEnv(objects, ref.container);
      const value = (key: string) => effectiveValue(config, key, plainValue(env.get(key)));
      result.push({
        ref,
        service,
        config,
        env,
        value,
        healthPort: () => Number(servesHttp(ref.container) ? value('PORT') : value('HEALTH_PORT')),
      });
    }
  }
  return result;
}

/** Where a container's named or numbered port points. */
export function containerPort(container: IContainer, port: number | string): number | undefined {
  if (typeof port === 'number') return port;
  return container.ports?.find((p) => p.name === port)?.containerPort;
}
