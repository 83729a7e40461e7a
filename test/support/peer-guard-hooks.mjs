// The resolve hook of peer-guard.mjs. `peers` comes from scripts/entries.ts `optionalPeers`; an entry
// ending in `/` is a scope (`@aws-sdk/`), as in `isOptionalPeer` there.
let peers = [];

export function initialize(data) {
  peers = data.peers;
}

const isPeer = (s) =>
  peers.some((p) => (p.endsWith('/') ? s.startsWith(p) : s === p || s.startsWith(`${p}/`)));

export async function resolve(specifier, context, next) {
  if (isPeer(specifier)) throw new Error(`OPTIONAL_PEER_LOADED ${specifier} from ${context.parentURL}`);
  return next(specifier, context);
}
