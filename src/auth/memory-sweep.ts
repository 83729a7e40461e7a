/** The lazy cleanup the memory stores share. */

// Expired entries are dropped lazily on access, and in a full sweep every this many writes.
const SWEEP_EVERY_WRITES = 1024;

/** Returns a "one more write" callback that runs `sweep` every {@link SWEEP_EVERY_WRITES} writes. */
export function sweeper(sweep: () => void): () => void {
  let writes = 0;
  return () => {
    writes += 1;
    if (writes % SWEEP_EVERY_WRITES === 0) sweep();
  };
}
