/**
 * Vitest global setup: finds each service once per run (env URL, default URL, or a throwaway instance)
 * and hands the result to test files via `inject('services')`. A missing service skips its suites with one
 * banner line; under `CI=true` it fails the run instead.
 */
import type { TestProject } from 'vitest/node';
import { type ServiceStatus, services, type Throwaway } from './services.js';

declare module 'vitest' {
  export interface ProvidedContext {
    services: Record<string, ServiceStatus>;
  }
}

const throwaways: Throwaway[] = [];

export default async function setup(project: TestProject) {
  const found: Record<string, ServiceStatus> = {};
  const missing: ServiceStatus[] = [];
  for (const spec of services) {
    const fromEnv = process.env[spec.envVar];
    const url = fromEnv || spec.defaultUrl;
    if (await spec.probe(url)) {
      found[spec.name] = { name: spec.name, available: true, url, source: fromEnv ? 'env' : 'default' };
      continue;
    }
    const throwaway = fromEnv ? undefined : await spec.startThrowaway?.().catch(() => undefined);
    if (throwaway) {
      throwaways.push(throwaway);
      found[spec.name] = { name: spec.name, available: true, url: throwaway.url, source: 'throwaway' };
      continue;
    }
    const status = {
      name: spec.name,
      available: false,
      hint: `${spec.name} not reachable at ${url}: ${spec.installHint}`,
    };
    found[spec.name] = status;
    missing.push(status);
  }
  if (missing.length && process.env.CI === 'true') {
    throw new Error(`required services missing (CI=true): ${missing.map((m) => m.hint).join('; ')}`);
  }
  for (const m of missing) console.warn(`[services] SKIPPING suites that need ${m.name}: ${m.hint}`);
  for (const s of Object.values(found).filter((s) => s.source === 'throwaway')) {
    console.warn(`[services] ${s.name}: started a throwaway instance at ${s.url}`);
  }
  project.provide('services', found);
  return async () => {
    await Promise.all(throwaways.map((t) => t.stop()));
  };
}
