// Real, isolated components for tests: a migrated database, a nats-server, a RabbitMQ vhost, in-memory tracing.
export { natsTest } from './nats-fixture.js';
export { freePort, natsServerBinary, startNatsServer, type NatsServerHandle } from './nats.js';
export {
  createTestDatabase,
  createTestPglite,
  DEFAULT_ADMIN_URL,
  postgresFixture,
  postgresTest,
  type PostgresFixtures,
  type TestDatabase,
  type TestPglite,
} from './postgres.js';
export { createTestVhost, type TestVhost } from './rabbitmq.js';
export { installInMemoryTracing, type InMemoryTracing } from './tracing.js';
export { testLogger } from './logger.js';
export { waitFor } from './wait.js';
export { startDatagrepperStub, type DatagrepperStub, type Envelope } from './datagrepper.js';
export { startRabbitNode, type RabbitNode } from './rabbitmq-node.js';
export { spawnService, type ServiceProcess } from './service-process.js';
export { bodyOf, streamMessages } from './streams.js';
export { testImage, type TestImage, type TestImageArtifact } from './test-image.js';
export { runItem, storeImage } from './run-items.js';
export { domains, startRig, type RigOptions, type RunnerRig } from './runner-rig.js';
export { collectQueue, publishFedoraMessage, PUNGI_TOPIC, type ReceivedMessage } from './amqp.js';
