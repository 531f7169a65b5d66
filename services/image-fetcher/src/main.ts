// Entry point: runs the image-fetcher service until SIGTERM.
import { runService } from '@autocloud/service';
import { fetcherService } from './service.js';

process.exit(await runService(fetcherService));
