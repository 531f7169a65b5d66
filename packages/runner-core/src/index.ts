// What the libvirt and VirtualBox runners share.
export {
  DEFAULT_STEP_TIMEOUT_S,
  parsePlan,
  PlanParseError,
  type Plan,
  type PlanStep,
  type StepKind,
} from './plan/plan.js';
export { checkRunnerArches, RunnerSettings } from './config.js';
export {
  BackendError,
  type Backend,
  type BootSpec,
  type LoginSpec,
  type Machine,
} from './machine/machine.js';
export {
  cleanLine,
  generateJobKey,
  SshConnectError,
  SshSession,
  type ExecResult,
  type SshTarget,
} from './ssh/ssh-session.js';
export { ConsoleWatcher, type ConsoleState } from './console/console-watcher.js';
export { ImageCache } from './cache/image-cache.js';
export { ActiveJobs } from './job/active-jobs.js';
export { artifactName } from './job/artifacts.js';
export { JobAbort } from './job/outcome.js';
export { executePlan, type PlanContext, type PlanResult } from './job/plan-executor.js';
export { JobRunner, type JobRunnerDeps, type JobTimeouts } from './job/job-runner.js';
export { CLOUD_INIT_USER, isVagrantBox, loginFor } from './job/login.js';
export { startRunner, type RunnerBackendFactory } from './runner-service.js';
export { BoxCache, type BoxCacheOptions } from './box/box-cache.js';
export {
  DEFAULT_BOX_MAX_BYTES,
  describeBox,
  unpackBox,
  type BoxMetadata,
  type BoxProvider,
  type LibvirtBox,
  type UnpackedBox,
  type UnpackOptions,
  type VirtualBoxBox,
} from './box/box.js';
export { BoxError, type BoxProblem } from './box/box-error.js';
export { OvfError, parseOvf, type OvfDescriptor, type OvfDisk, type OvfFile } from './box/ovf.js';
