/** Runs `task(0..count-1)` with at most `concurrency` in flight; resolves to the elapsed ms. */
export async function runConcurrent(
  count: number,
  concurrency: number,
  task: (i: number) => Promise<unknown>,
): Promise<number> {
  const started = performance.now();
  let next = 0;
  const lane = async () => {
    while (next < count) {
      const i = next++;
      await task(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, lane));
  return performance.now() - started;
}
