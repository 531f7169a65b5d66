// What every service's main uses: configuration, health and metrics endpoint, lifecycle.
export {
  checkNatsUrl,
  CommonConfig,
  ConfigError,
  healthPort,
  list,
  loadConfig,
  type ConfigCheck,
} from './config.js';
export { startHealthServer, type HealthServer, type ReadinessCheck } from './health.js';
export { runService, type RunOptions, type ServiceContext, type ServiceDefinition } from './lifecycle.js';
export { connectServiceBus } from './bus.js';
export { hostArch } from './arch.js';
