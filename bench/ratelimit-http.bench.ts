/**
 * npm run bench -- ratelimit-http
 *
 * The end-to-end case of the ratelimit bench alone (bench/ratelimit-http/case.ts): ours vs
 * rate-limiter-flexible behind the same node:http server, driven by wrk. Its rows replace the `http ...`
 * rows of bench/results/ratelimit.json; the in-process rows there are kept.
 */
import { runHttpBench } from './ratelimit-http/case.js';
import { reportMerged } from './support/results.js';

try {
  const rows = await runHttpBench();
  if (rows.length > 0) reportMerged('ratelimit', rows, (row) => row.case.startsWith('http '));
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
}
