// Entry point: runs the vbox-runner service until SIGTERM.
import { runService } from '@autocloud/service';
import { vboxRunnerService } from './service.js';

process.exit(await runService(vboxRunnerService));
