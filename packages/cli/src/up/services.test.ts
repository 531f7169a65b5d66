import { expect, test } from 'vitest';
import { serviceEnv, type EmbeddedSettings } from './services.js';

const settings: EmbeddedSettings = {
  home: '/srv/autocloud',
  natsUrl: 'nats://127.0.0.1:4222',
  port: 8080,
  host: '127.0.0.1',
  composeHost: '127.0.0.1:8081',
  rulesFile: '/srv/autocloud/rules.yaml',
  tokenHash: 'f'.repeat(64),
};

test('every service: one NATS, one home, no probe port, pnpm’s own variables dropped', () => {
  const env = serviceEnv(
    'image-fetcher',
    {
      NATS_URL: 'nats://elsewhere:1',
      HEALTH_PORT: '9103',
      npm_lifecycle_event: 'autocloud',
      LOG_LEVEL: 'debug',
    },
    settings,
  );
  expect(env).toMatchObject({
    NATS_URL: settings.natsUrl,
    AUTOCLOUD_HOME: settings.home,
    HEALTH_PORT: '0',
    LOG_LEVEL: 'debug',
  });
  expect(env.npm_lifecycle_event).toBeUndefined();
});

test('the resolver and the fetcher allow the local compose server besides Fedora’s hosts (or the user’s)', () => {
  expect(serviceEnv('compose-resolver', {}, settings)).toMatchObject({
    ALLOWED_HOSTS:
      'kojipkgs.fedoraproject.org,dl.fedoraproject.org,download.fedoraproject.org,127.0.0.1:8081',
    RULES_FILE: settings.rulesFile,
  });
  expect(serviceEnv('image-fetcher', { ALLOWED_HOSTS: 'mirror.example' }, settings).ALLOWED_HOSTS).toBe(
    'mirror.example,127.0.0.1:8081',
  );
});

test("results-api: the UI's address and our token's hash beside any configured ones", () => {
  expect(serviceEnv('results-api', { API_TOKEN_HASHES: `${'a'.repeat(64)}` }, settings)).toMatchObject({
    PORT: '8080',
    HOST: '127.0.0.1',
    API_TOKEN_HASHES: `${'f'.repeat(64)},${'a'.repeat(64)}`,
  });
});

test('runners and notifier defaults; the notifier never publishes to the broker the bridge reads', () => {
  expect(serviceEnv('libvirt-runner', {}, settings)).toMatchObject({
    LIBVIRT_DOMAIN_TYPE: 'auto',
    RUNNER_SLOTS: '2',
  });
  expect(serviceEnv('vbox-runner', { RUNNER_SLOTS: '1' }, settings).RUNNER_SLOTS).toBe('1');
  const bus = { FEDORA_MESSAGING_URL: 'amqps://fedora:@rabbitmq.fedoraproject.org/%2Fpublic_pubsub' };
  expect(serviceEnv('fedmsg-bridge', bus, settings).FEDORA_MESSAGING_URL).toBe(bus.FEDORA_MESSAGING_URL);
  const notifier = serviceEnv('notifier', bus, settings);
  expect(notifier.FEDORA_MESSAGING_URL).toBeUndefined();
  expect(notifier.PUBLIC_URL).toBe('http://127.0.0.1:8080');
  expect(
    serviceEnv('notifier', { ...bus, NOTIFIER_FEDORA_MESSAGING_URL: 'amqp://local' }, settings)
      .FEDORA_MESSAGING_URL,
  ).toBe('amqp://local');
});
