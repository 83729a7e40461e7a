/**
 * Service discovery for tests. Each backing service is one `ServiceSpec`: where to look (an env var with
 * a default URL), how to probe it, how to start a throwaway instance when nothing answers, and what to
 * install when neither works. Adding a service is adding one spec to `services`.
 */
import { clamdService } from './clamd-service.js';
import { postgresService } from './postgres-service.js';
import { rabbitmqService } from './rabbitmq-service.js';
import { redisService } from './redis-service.js';
import { s3Service } from './s3-service.js';

/** What the global setup found for one service. */
export interface ServiceStatus {
  readonly name: string;
  readonly available: boolean;
  /** Connection URL when available. */
  readonly url?: string;
  /** How it was obtained. */
  readonly source?: 'env' | 'default' | 'throwaway';
  /** When unavailable: what to install or set. */
  readonly hint?: string;
}

/** A throwaway instance started for the test run. */
export interface Throwaway {
  readonly url: string;
  stop(): Promise<void>;
}

/** How to find, probe and (optionally) start one service. */
export interface ServiceSpec {
  /** Short name, e.g. `redis`. */
  readonly name: string;
  /** Env var holding the URL, e.g. `REDIS_URL`. */
  readonly envVar: string;
  /** URL tried when the env var is unset. */
  readonly defaultUrl: string;
  /** Resolves true when the service answers at `url`. */
  probe(url: string): Promise<boolean>;
  /** Starts a private instance for the run, or undefined when its binary is missing. */
  startThrowaway?(): Promise<Throwaway | undefined>;
  /** One line naming what to install or set. */
  readonly installHint: string;
}

/** Every service the suite knows. */
export const services: readonly ServiceSpec[] = [
  redisService,
  postgresService,
  rabbitmqService,
  s3Service,
  clamdService,
];
