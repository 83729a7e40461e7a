import type { MemoryMetrics } from 'backend-patterns/testing';
import type { Redis } from 'ioredis';

/** What every demo section receives. */
export interface DemoContext {
  /** Set with `npm run demo -- --redis`; sections then use their Redis adapter. */
  readonly redis?: Redis;
  /** Set with `npm run demo -- --amqp`: the RabbitMQ URL for the jobs-on-a-broker section. */
  readonly amqpUrl?: string;
  /** A fresh recorder per section; the runner prints what it recorded. */
  readonly metrics: MemoryMetrics;
  /** Key prefix unique to this demo run. */
  readonly prefix: string;
  /** Prints "asked → did" steps. */
  step(asked: string, did: string): void;
}

/** One module's part of the tour. */
export interface DemoSection {
  readonly title: string;
  /** One sentence: which card problem this section shows. */
  readonly problem: string;
  run(ctx: DemoContext): Promise<void>;
}
