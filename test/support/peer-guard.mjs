// Loaded with `node --import tsx --import ./test/support/peer-guard.mjs`: makes resolving any optional
// peer throw, so importing an entry that would load one fails loudly.
import { register } from 'node:module';

register('./peer-guard-hooks.mjs', import.meta.url);
