// Entry point: runs the notifier service until SIGTERM.
import { runService } from '@autocloud/service';
import { notifierService } from './service.js';

process.exit(await runService(notifierService));
