// The seven services `up` runs and the embedded defaults each one gets. A variable the user set wins, except the
// ones `up` must decide itself (NATS_URL, AUTOCLOUD_HOME, HEALTH_PORT, RULES_FILE when it chose the rules).
import { type Env } from '../paths.js';

export const SERVICES = [
  'results-api',
  'compose-resolver',
  'image-fetcher',
  'libvirt-runner',
  'vbox-runner',
  'notifier',
  'fedmsg-bridge',
] as const;
export type ServiceName = (typeof SERVICES)[number];

/** Fedora's download hosts: compose metadata and images come from them. */
export const FEDORA_HOSTS = [
  'kojipkgs.fedoraproject.org',
  'dl.fedoraproject.org',
  'download.fedoraproject.org',
];

export interface EmbeddedSettings {
  home: string;
  natsUrl: string;
  /** The API and UI. */
  port: number;
  host: string;
  /** The local compose server (host:port for ALLOWED_HOSTS). */
  composeHost: string;
  rulesFile: string;
  tokenHash: string;
}

/** The environment of one service: the user's, with the embedded defaults filled in. */
export function serviceEnv(name: ServiceName, user: Env, s: EmbeddedSettings): Env {
  const env: Env = { ...user };
  const setDefault = (key: string, value: string) => {
    if (!env[key]) env[key] = value;
  };
  // Decided by `up`: one NATS, one home, no per-service probe ports to collide (the API has its own /healthz).
  env.NATS_URL = s.natsUrl;
  env.AUTOCLOUD_HOME = s.home;
  env.HEALTH_PORT = '0';
  setDefault('LOG_LEVEL', 'info');
  // pnpm's variables describe the CLI's own run, not the service's.
  for (const key of Object.keys(env)) if (key.startsWith('npm_')) delete env[key];

  switch (name) {
    case 'results-api':
      env.PORT = String(s.port);
      env.HOST = s.host;
      env.API_TOKEN_HASHES = [s.tokenHash, ...(user.API_TOKEN_HASHES ?? '').split(',')]
        .map((h) => h.trim())
        .filter((h) => h !== '')
        .join(',');
      break;
    case 'compose-resolver':
    case 'image-fetcher':
      env.ALLOWED_HOSTS = allowedHosts(user.ALLOWED_HOSTS, s.composeHost);
      if (name === 'compose-resolver') env.RULES_FILE = s.rulesFile;
      break;
    case 'libvirt-runner':
    case 'vbox-runner':
      setDefault('LIBVIRT_DOMAIN_TYPE', 'auto');
      setDefault('RUNNER_SLOTS', '2');
      break;
    case 'notifier':
      setDefault('PUBLIC_URL', `http://${displayHost(s.host)}:${s.port}`);
      // FEDORA_MESSAGING_URL is where the bridge reads Fedora's messages (Fedora's public broker takes no
      // publications); the notifier publishes only where NOTIFIER_FEDORA_MESSAGING_URL says.
      if (user.NOTIFIER_FEDORA_MESSAGING_URL) env.FEDORA_MESSAGING_URL = user.NOTIFIER_FEDORA_MESSAGING_URL;
      else delete env.FEDORA_MESSAGING_URL;
      break;
    case 'fedmsg-bridge':
      break;
  }
  return env;
}

export function allowedHosts(user: string | undefined, composeHost: string): string {
  const hosts = (user ?? FEDORA_HOSTS.join(','))
    .split(',')
    .map((h) => h.trim())
    .filter((h) => h !== '');
  if (!hosts.includes(composeHost)) hosts.push(composeHost);
  return hosts.join(',');
}

/** The address to show (and to call) for a listen address. */
export function displayHost(host: string): string {
  return host === '0.0.0.0' || host === '::' || host === '' ? '127.0.0.1' : host;
}
