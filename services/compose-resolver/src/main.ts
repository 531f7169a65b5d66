// Entry point: runs the compose-resolver service until SIGTERM.
import { runService } from '@autocloud/service';
import { resolverService } from './service.js';

process.exit(await runService(resolverService));
