// The VirtualBox backend of the vbox runner: Vagrant VirtualBox boxes booted through VBoxManage.
export {
  defaultVmPrefix,
  freeLoopbackPort,
  SERIAL_LOG,
  VirtualBoxBackend,
  WORK_DIR_MARKER,
  type VirtualBoxBackendOptions,
} from './vbox-backend.js';
export {
  VBoxManage,
  VBoxManageCommandError,
  VBoxManageError,
  VBoxManageNotInstalledError,
  VBoxManageTimeoutError,
  type ImportSettings,
  type RunOptions,
  type RunResult,
  type VBoxManageOptions,
  type VmEntry,
} from './vboxmanage.js';
