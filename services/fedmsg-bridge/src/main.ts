// Entry point: runs the fedmsg-bridge service until SIGTERM.
import { runService } from '@autocloud/service';
import { bridgeService } from './service.js';

process.exit(await runService(bridgeService));
