// Evaluates NetworkPolicies the way the API defines them: a connection is allowed when the source's egress
// policies (if any select it) and the destination's ingress policies (if any select it) both allow it. Pods on the
// host network are not governed by NetworkPolicies; their traffic comes from the node's address.
import { type K8sObject, type LabelSelector, matchesSelector } from './objects.js';

export type Endpoint =
  | {
      kind: 'pod';
      name: string;
      namespace: string;
      labels: Record<string, string>;
      /** Named container ports, for policies that name ports. */
      ports?: Record<string, number>;
      /** On the node's network: policies do not apply, and peers see the node's address. */
      hostNetwork?: boolean;
    }
  | { kind: 'ip'; name: string; ip: string };

export type PodEndpoint = Extract<Endpoint, { kind: 'pod' }>;

/** A node's address, as host-network pods appear to their peers. */
export const NODE_IP = '10.20.0.11';

interface PolicyPort {
  protocol?: string;
  port?: number | string;
  endPort?: number;
}

interface PolicyPeer {
  podSelector?: LabelSelector;
  namespaceSelector?: LabelSelector;
  ipBlock?: { cidr: string; except?: string[] };
}

interface PolicyRule {
  ports?: PolicyPort[];
  to?: PolicyPeer[];
  from?: PolicyPeer[];
}

interface PolicySpec {
  podSelector: LabelSelector;
  policyTypes?: string[];
  ingress?: PolicyRule[];
  egress?: PolicyRule[];
}

export class NetworkModel {
  private readonly policies: { namespace: string; name: string; spec: PolicySpec }[];

  constructor(
    objects: K8sObject[],
    private readonly namespace: string,
  ) {
    this.policies = objects
      .filter((o) => o.kind === 'NetworkPolicy')
      .map((o) => ({
        namespace: o.metadata.namespace ?? namespace,
        name: o.metadata.name,
        spec: o.spec as unknown as PolicySpec,
      }));
  }

  /** Whether `from` may open a connection to `to` on `port`; `why` says which side refused. */
  check(from: Endpoint, to: Endpoint, port: number, protocol = 'TCP'): { allowed: boolean; why: string } {
    const egress = this.side('Egress', from, to, port, protocol);
    if (!egress.allowed) return egress;
    return this.side('Ingress', to, from, port, protocol);
  }

  private side(
    type: 'Ingress' | 'Egress',
    subject: Endpoint,
    peer: Endpoint,
    port: number,
    protocol: string,
  ): { allowed: boolean; why: string } {
    if (subject.kind !== 'pod' || subject.hostNetwork || subject.namespace !== this.namespace) {
      return { allowed: true, why: `${type.toLowerCase()} of ${subject.name} is not governed here` };
    }
    const selecting = this.policies.filter(
      (p) =>
        p.namespace === subject.namespace &&
        matchesSelector(p.spec.podSelector, subject.labels) &&
        policyTypes(p.spec).includes(type),
    );
    if (selecting.length === 0) return { allowed: true, why: `no ${type} policy selects ${subject.name}` };
    const target = type === 'Egress' ? peer : subject;
    for (const policy of selecting) {
      const rules = (type === 'Egress' ? policy.spec.egress : policy.spec.ingress) ?? [];
      for (const rule of rules) {
        const peers = type === 'Egress' ? rule.to : rule.from;
        const peerOk =
          !peers || peers.length === 0 || peers.some((p) => this.peerMatches(p, peer, policy.namespace));
        if (peerOk && portMatches(rule.ports, port, protocol, target)) {
          return { allowed: true, why: `${policy.name} allows it` };
        }
      }
    }
    return {
      allowed: false,
      why: `${type.toLowerCase()} of ${subject.name} (policies ${selecting.map((p) => p.name).join(', ')}) refuses ${peer.name}:${port}/${protocol}`,
    };
  }

  private peerMatches(peer: PolicyPeer, endpoint: Endpoint, policyNamespace: string): boolean {
    if (peer.ipBlock) {
      const ip = endpoint.kind === 'ip' ? endpoint.ip : endpoint.hostNetwork ? NODE_IP : undefined;
      return (
        ip !== undefined &&
        inCidr(ip, peer.ipBlock.cidr) &&
        !(peer.ipBlock.except ?? []).some((c) => inCidr(ip, c))
      );
    }
    if (endpoint.kind !== 'pod' || endpoint.hostNetwork) return false;
    if (peer.namespaceSelector) {
      const namespaceLabels = { 'kubernetes.io/metadata.name': endpoint.namespace };
      if (!matchesSelector(peer.namespaceSelector, namespaceLabels)) return false;
    } else if (endpoint.namespace !== policyNamespace) {
      return false;
    }
    return matchesSelector(peer.podSelector, endpoint.labels);
  }
}

function policyTypes(spec: PolicySpec): string[] {
  return spec.policyTypes ?? (spec.egress ? ['Ingress', 'Egress'] : ['Ingress']);
}

function portMatches(
  ports: PolicyPort[] | undefined,
  port: number,
  protocol: string,
  destination: Endpoint,
): boolean {
  if (!ports || ports.length === 0) return true;
  return ports.some((p) => {
    if ((p.protocol ?? 'TCP') !== protocol) return false;
    if (p.port === undefined) return true;
    const number =
      typeof p.port === 'number'
        ? p.port
        : destination.kind === 'pod'
          ? destination.ports?.[p.port]
          : undefined;
    if (number === undefined) return false;
    return p.endPort !== undefined ? port >= number && port <= p.endPort : port === number;
  });
}

function ipToNumber(ip: string): number {
  return ip.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);
}

export function inCidr(ip: string, cidr: string): boolean {
  const [base, bits = '32'] = cidr.split('/');
  const size = 2 ** (32 - Number(bits));
  const start = Math.floor(ipToNumber(base!) / size) * size;
  const value = ipToNumber(ip);
  return value >= start && value < start + size;
}
