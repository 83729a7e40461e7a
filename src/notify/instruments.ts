/** The notifier's instruments; every one declares its unit. */
import type { Counter, Gauge, Metrics } from '../core/metrics.js';

/** Instruments of one notifier. */
export interface NotifyInstruments {
  /** `notify.deliveries{channel, provider, status}`: one per message and status it reaches. */
  readonly deliveries: Counter;
  /** `notify.provider.errors{provider, failure}`: failed provider calls by classification. */
  readonly providerErrors: Counter;
  /** `notify.complaint.rate`: complaints / email sends over the reputation window, as last checked. */
  readonly complaintRate: Gauge;
  /** `notify.provider.circuit{provider}`: 0 closed, 1 half-open, 2 open. */
  readonly circuit: Gauge;
}

/** Creates the instruments on `metrics`. */
export function notifyInstruments(metrics: Metrics): NotifyInstruments {
  return {
    deliveries: metrics.counter('notify.deliveries', {
      description: 'Messages by channel, provider and the status they reached',
      unit: '{message}',
      labelNames: ['channel', 'provider', 'status'],
    }),
    providerErrors: metrics.counter('notify.provider.errors', {
      description: 'Failed provider calls by failure class',
      unit: '{error}',
      labelNames: ['provider', 'failure'],
    }),
    complaintRate: metrics.gauge('notify.complaint.rate', {
      description: 'Spam complaints per email sent over the reputation window',
      unit: '1',
    }),
    circuit: metrics.gauge('notify.provider.circuit', {
      description: 'Circuit state per provider: 0 closed, 1 half-open, 2 open',
      unit: '1',
      labelNames: ['provider'],
    }),
  };
}
