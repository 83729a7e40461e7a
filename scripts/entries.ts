/**
 * The package's public entry points: subpath → source file. The build (tsup.config.ts), the exports
 * check (scripts/check-exports.ts) and the import-isolation test all read this one list.
 * `adapter: true` marks subpaths allowed to import optional peers.
 */
export interface PackageEntry {
  /** Export subpath, e.g. `./ratelimit/redis`. */
  readonly subpath: string;
  /** Source file. */
  readonly source: string;
  /** Output path under dist without extension. */
  readonly out: string;
  /** Adapter subpaths may import optional peers; everything else must not. */
  readonly adapter: boolean;
}

export const entries: readonly PackageEntry[] = [
  { subpath: '.', source: 'src/index.ts', out: 'index', adapter: false },
  { subpath: './testing', source: 'src/testing/index.ts', out: 'testing/index', adapter: false },
  { subpath: './metrics/otel', source: 'src/metrics/otel.ts', out: 'metrics/otel', adapter: true },
  {
    subpath: './metrics/prometheus',
    source: 'src/metrics/prometheus.ts',
    out: 'metrics/prometheus',
    adapter: true,
  },
  { subpath: './ratelimit', source: 'src/ratelimit/index.ts', out: 'ratelimit/index', adapter: false },
  { subpath: './ratelimit/redis', source: 'src/ratelimit/redis.ts', out: 'ratelimit/redis', adapter: true },
  {
    subpath: './ratelimit/express',
    source: 'src/ratelimit/express.ts',
    out: 'ratelimit/express',
    adapter: true,
  },
  {
    subpath: './ratelimit/fastify',
    source: 'src/ratelimit/fastify.ts',
    out: 'ratelimit/fastify',
    adapter: true,
  },
  { subpath: './ratelimit/hono', source: 'src/ratelimit/hono.ts', out: 'ratelimit/hono', adapter: true },
  { subpath: './auth', source: 'src/auth/index.ts', out: 'auth/index', adapter: false },
  { subpath: './auth/redis', source: 'src/auth/redis.ts', out: 'auth/redis', adapter: true },
  { subpath: './jobs', source: 'src/jobs/index.ts', out: 'jobs/index', adapter: false },
  { subpath: './jobs/redis', source: 'src/jobs/redis.ts', out: 'jobs/redis', adapter: true },
  { subpath: './jobs/amqp', source: 'src/jobs/amqp.ts', out: 'jobs/amqp', adapter: true },
  { subpath: './notify', source: 'src/notify/index.ts', out: 'notify/index', adapter: false },
  { subpath: './notify/redis', source: 'src/notify/redis.ts', out: 'notify/redis', adapter: true },
  { subpath: './notify/smtp', source: 'src/notify/smtp.ts', out: 'notify/smtp', adapter: true },
  { subpath: './notify/sendgrid', source: 'src/notify/sendgrid.ts', out: 'notify/sendgrid', adapter: true },
  { subpath: './notify/twilio', source: 'src/notify/twilio.ts', out: 'notify/twilio', adapter: true },
  { subpath: './notify/webhook', source: 'src/notify/webhook.ts', out: 'notify/webhook', adapter: true },
  { subpath: './accounts', source: 'src/accounts/index.ts', out: 'accounts/index', adapter: false },
  { subpath: './accounts/argon2', source: 'src/accounts/argon2.ts', out: 'accounts/argon2', adapter: true },
  { subpath: './accounts/redis', source: 'src/accounts/redis.ts', out: 'accounts/redis', adapter: true },
  { subpath: './search', source: 'src/search/index.ts', out: 'search/index', adapter: false },
  { subpath: './flags', source: 'src/flags/index.ts', out: 'flags/index', adapter: false },
  { subpath: './flags/redis', source: 'src/flags/redis.ts', out: 'flags/redis', adapter: true },
  {
    subpath: './flags/openfeature',
    source: 'src/flags/openfeature.ts',
    out: 'flags/openfeature',
    adapter: true,
  },
  { subpath: './search/postgres', source: 'src/search/postgres.ts', out: 'search/postgres', adapter: true },
  { subpath: './uploads', source: 'src/uploads/index.ts', out: 'uploads/index', adapter: false },
  { subpath: './uploads/s3', source: 'src/uploads/s3.ts', out: 'uploads/s3', adapter: true },
  { subpath: './uploads/clamav', source: 'src/uploads/clamav.ts', out: 'uploads/clamav', adapter: true },
  { subpath: './uploads/sharp', source: 'src/uploads/sharp.ts', out: 'uploads/sharp', adapter: true },
  { subpath: './uploads/redis', source: 'src/uploads/redis.ts', out: 'uploads/redis', adapter: true },
  {
    subpath: './uploads/file-type',
    source: 'src/uploads/file-type.ts',
    out: 'uploads/file-type',
    adapter: true,
  },
];

/** Client libraries of real backends: optional peers that only adapter subpaths may load. */
export const optionalPeers: readonly string[] = [
  'ioredis',
  '@aws-sdk/',
  'argon2',
  'file-type',
  'pg',
  'nodemailer',
  'amqplib',
  'sharp',
  '@opentelemetry/api',
  'prom-client',
  'express',
  'fastify',
  'hono',
  '@hono/',
  '@openfeature/',
  'unleash-client',
];

/** True when an import specifier names an optional peer (or a subpath of one). */
export function isOptionalPeer(specifier: string): boolean {
  return optionalPeers.some((peer) =>
    peer.endsWith('/') ? specifier.startsWith(peer) : specifier === peer || specifier.startsWith(`${peer}/`),
  );
}
