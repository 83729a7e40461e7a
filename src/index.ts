/**
 * backend-patterns: production-grade building blocks for everyday backend problems. The root entry holds
 * what every module shares (errors, the clock, the metrics port); each pattern has its own subpath
 * (`backend-patterns/ratelimit`, ...) and each real backend its own adapter subpath
 * (`backend-patterns/ratelimit/redis`), so you load only what you import.
 */

export {
  type CircuitBreaker,
  type CircuitBreakerOptions,
  type CircuitOutcome,
  type CircuitState,
  type CircuitTicket,
  createCircuitBreaker,
} from './core/circuit.js';
export { type Clock, systemClock } from './core/clock.js';
export {
  BackendPatternsError,
  type BackendPatternsErrorOptions,
  CORE_ERROR_CODES,
  type CoreErrorCode,
  InvalidArgumentError,
  InvalidOptionError,
  isBackendPatternsError,
  StoreError,
  TimeoutError,
  UnsupportedError,
} from './core/errors.js';
export {
  type Counter,
  type Gauge,
  type Histogram,
  type HistogramOptions,
  type InstrumentOptions,
  type MetricLabels,
  type Metrics,
  noopMetrics,
} from './core/metrics.js';
export type { RedisScriptClient } from './core/redis/script.js';
