// Loaded with `node --import tsx --import ./test/support/peer-guard.mjs`: makes resolving any optional
// peer throw, so importing an entry that would load one fails loudly. The peers are the one list in
// scripts/entries.ts (readable here because tsx is registered first), handed to the resolve hook.
import { register } from 'node:module';

const { optionalPeers } = await import('../../scripts/entries.ts');
register('./peer-guard-hooks.mjs', import.meta.url, { data: { peers: optionalPeers } });
