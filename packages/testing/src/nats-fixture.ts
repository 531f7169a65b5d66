// vitest fixture: a nats-server with JetStream of the test file's own, started once per file.
import { test as base } from 'vitest';
import { startNatsServer, type NatsServerHandle } from './nats.js';

export const natsTest = base.extend<{ nats: NatsServerHandle }>({
  nats: [
    // eslint-disable-next-line no-empty-pattern
    async ({}, use) => {
      const server = await startNatsServer();
      await use(server);
      await server.dispose();
    },
    { scope: 'file' },
  ],
});
