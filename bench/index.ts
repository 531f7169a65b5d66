// `pnpm bench [name...]`: runs the benchmarks (all, or those named) and prints their figures for BENCHMARKS.md.
import { benchApi } from './api.bench.js';
import { benchBoot } from './boot.bench.js';
import { benchFetch } from './fetch.bench.js';

const benches: Record<string, () => Promise<void>> = { fetch: benchFetch, api: benchApi, boot: benchBoot };

const names = process.argv.slice(2).filter((a) => a !== '--');
const chosen = names.length > 0 ? names : Object.keys(benches);
for (const name of chosen) {
  const bench = benches[name];
  if (!bench) {
    process.stderr.write(`unknown benchmark ${name}; known: ${Object.keys(benches).join(', ')}\n`);
    process.exit(2);
  }
  process.stdout.write(`== ${name} (${new Date().toISOString()}, ${process.version})\n`);
  await bench();
}
