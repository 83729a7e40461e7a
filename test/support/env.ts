import { afterEach } from 'vitest';

/**
 * For a `describe` block whose tests set bench settings through the environment: `clear()` removes
 * every variable starting with `prefix`, and after each test the environment is restored as it was.
 */
export function useEnvPrefix(prefix: string): { clear(): void } {
  const saved = { ...process.env };
  const clear = () => {
    for (const name of Object.keys(process.env)) if (name.startsWith(prefix)) delete process.env[name];
  };
  afterEach(() => {
    clear();
    Object.assign(process.env, saved);
  });
  return { clear };
}
