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
