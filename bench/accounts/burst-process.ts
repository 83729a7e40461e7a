/**
 * Runs one burst (burst-run.ts) in this fresh process and sends its figures to the parent over IPC:
 * `node --import tsx bench/accounts/burst-process.ts <mode> <size>`.
 */
import { loadBuilt } from './built.js';
import { type BurstMode, MODE_LIMITS, runBurst } from './burst-run.js';

const [mode, size] = process.argv.slice(2);
if (mode === undefined || !Object.hasOwn(MODE_LIMITS, mode) || !Number.isInteger(Number(size))) {
  console.error(`usage: burst-process.ts <${Object.keys(MODE_LIMITS).join('|')}> <size>`);
  process.exit(2);
}
const figures = await runBurst(await loadBuilt(), mode as BurstMode, Number(size));
process.send?.({ figures }, () => process.exit(0));
