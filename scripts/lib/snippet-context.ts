/**
 * The app a TSDoc `@example` is read in: the values an example assumes exist (a response, a Redis client,
 * the queue it was given) with the types an app would have. scripts/check-snippets.ts writes this as
 * `context.ts` next to the snippets and imports from it only the names an example uses and does not declare.
 * Markdown snippets do not get it: they declare what they assume in a `<!-- prelude: -->` comment.
 */
export const CONTEXT_SOURCE = `
import type { IncomingMessage } from 'node:http';
import type { Redis } from 'ioredis';
import type { Clock, Metrics } from 'backend-patterns';
import type { KeyRing, Rbac, TokenService } from 'backend-patterns/auth';
import type { JobQueue } from 'backend-patterns/jobs';
import type { LimitResult, RateLimiter } from 'backend-patterns/ratelimit';
import type { ContractOptions, ContractTestApi, MetricsContractSubject } from 'backend-patterns/testing';
import type { RateLimitStore } from 'backend-patterns/ratelimit';

/** A framework response (Express-like: Node's ServerResponse plus status/json/send). */
export interface Response {
  statusCode: number;
  setHeader(name: string, value: string | number | readonly string[]): unknown;
  status(code: number): Response;
  json(body: unknown): void;
  send(body?: unknown): void;
  end(): void;
}
export interface User { id: string; roles: string[]; hash: string }
export interface Post { id: string; authorId: string }

export declare const req: IncomingMessage;
export declare const res: Response;
export declare const reply: Response;
export declare const app: { get(path: string, handler: (req: IncomingMessage, res: Response) => void): void };
export declare const client: Redis;
export declare const redis: Redis;
export declare const url: string;
export declare const clock: Clock;
export declare const metrics: Metrics;
export declare const keys: KeyRing;
export declare const tokens: TokenService;
export declare const rbac: Rbac<User, Post>;
export declare const issuer: string;
export declare const audience: string;
export declare const queue: JobQueue;
export declare const limiter: RateLimiter;
export declare const result: LimitResult;
export declare const t: ContractTestApi;
export declare const key: string;
export declare const userId: string;
export declare const email: string;
export declare const password: string;
export declare const token: string;
export declare const bearer: string;
export declare const presentedApiKey: string;
export declare const storedApiKey: string;
export declare const input: { url: string };
export declare const user: User;
export declare const post: Post;
export declare const err: unknown;
export declare const options: ContractOptions<RateLimitStore>;
export declare const DUMMY_HASH: string;
export declare function verifyPassword(hash: string, password: string): Promise<boolean>;
export declare function unauthorized(): Response;
export declare function badRequest(message: string): Response;
export declare function isValid(payload: unknown): boolean;
export declare function sendWelcome(payload: unknown): Promise<void>;
export declare function sleep(ms: number): Promise<void>;
export declare function callDownstream(): Promise<void>;
export declare function runExport(): Promise<void>;
export declare function unique(): string;
export declare function memorySubject(): MetricsContractSubject;
`;
