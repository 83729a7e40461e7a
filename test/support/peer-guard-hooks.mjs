const peers = [
  'ioredis',
  'argon2',
  'file-type',
  'handlebars',
  'pg',
  'nodemailer',
  'amqplib',
  'sharp',
  '@opentelemetry/api',
  'prom-client',
];
const isPeer = (s) => s.startsWith('@aws-sdk/') || peers.some((p) => s === p || s.startsWith(`${p}/`));

export async function resolve(specifier, context, next) {
  if (isPeer(specifier)) throw new Error(`OPTIONAL_PEER_LOADED ${specifier} from ${context.parentURL}`);
  return next(specifier, context);
}
