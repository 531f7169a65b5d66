// Entry point: `results-api record`, `results-api serve`, or both in one process.
import { runService } from '@autocloud/service';
import { parseRole } from './config.js';
import { resultsApiService } from './service.js';

const role = parseRole(process.argv.slice(2));
if (role instanceof Error) {
  process.stderr.write(`${role.message}\n`);
  process.exit(2);
}
// When this process serves HTTP, its probes live on PORT beside the API.
const env = role === 'record' ? process.env : { ...process.env, HEALTH_PORT: '0' };
process.exit(await runService(resultsApiService(role), { env }));
