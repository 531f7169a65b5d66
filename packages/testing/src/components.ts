// Real components without the vitest fixtures, for benchmarks and tools that run outside vitest.
export { startDatagrepperStub, type DatagrepperStub, type Envelope } from './datagrepper.js';
export { freePort, natsServerBinary, startNatsServer, type NatsServerHandle } from './nats.js';
export { createTestVhost, type TestVhost } from './rabbitmq.js';
export { startRabbitNode, type RabbitNode } from './rabbitmq-node.js';
export { spawnService, type ServiceProcess } from './service-process.js';
export { bodyOf, streamMessages } from './streams.js';
export { testLogger } from './logger.js';
export { waitFor } from './wait.js';
export { testImage, type TestImage, type TestImageArtifact } from './test-image.js';
export { runItem, storeImage } from './run-items.js';
export { domains, startRig, type RigOptions, type RunnerRig } from './runner-rig.js';
export { collectQueue, publishFedoraMessage, PUNGI_TOPIC, type ReceivedMessage } from './amqp.js';
