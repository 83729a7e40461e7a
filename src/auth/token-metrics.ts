/** The counters of the TokenService, declared once and shared by its verifier and refresher. */
import type { Metrics } from '../core/metrics.js';

/** Declares the counters the token service reports. */
export function tokenMetrics(metrics: Metrics) {
  return {
    rejected: metrics.counter('auth.tokens.rejected', {
      description: 'tokens rejected by verify or refresh, by reason',
      unit: '{token}',
      labelNames: ['reason', 'kind'],
    }),
    reuse: metrics.counter('auth.refresh.reuse_detected', {
      description: 'rotated refresh tokens presented again (the family was revoked)',
      unit: '{reuse}',
      labelNames: [],
    }),
  };
}

/** The counters of one token service. */
export type TokenMetrics = ReturnType<typeof tokenMetrics>;
