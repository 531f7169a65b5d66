// Entry point: runs the libvirt-runner service until SIGTERM.
import { runService } from '@autocloud/service';
import { libvirtRunnerService } from './service.js';

process.exit(await runService(libvirtRunnerService));
