/**
 * Test helpers for users of backend-patterns and for authors of adapters: a manual clock, an in-memory
 * metrics recorder, and one runner-agnostic contract suite per port.
 */
export { createManualClock, type ManualClock } from '../core/manual-clock.js';
export {
  createMemoryMetrics,
  type InstrumentKind,
  type MemoryMetrics,
  type MemoryMetricsOptions,
  type MetricSample,
  type MetricSeriesSnapshot,
} from '../core/memory-metrics.js';
export { type AccountsStoreContractOptions, accountsStoreContract } from './contracts/accounts-store.js';
export {
  DEFAULT_DIFFERENTIAL_SEED,
  type DifferentialOptions,
  type DifferentialRandom,
  runDifferential,
  seededRandom,
} from './contracts/differential.js';
export { type JobBackendContractOptions, jobBackendContract } from './contracts/jobs.js';
export {
  type MetricsContractOptions,
  type MetricsContractSubject,
  metricsContract,
} from './contracts/metrics.js';
export { type NotifyStoreContractOptions, notifyStoreContract } from './contracts/notify-store.js';
export {
  type ClientAnswer,
  type ClientGetAnswer,
  memoryStoreClient,
  type ObjectStoreClient,
  type ObjectStoreContractOptions,
  type ObjectStoreContractSubject,
  objectStoreContract,
} from './contracts/object-store.js';
export {
  type PasswordHasherContractOptions,
  passwordHasherContract,
} from './contracts/password-hasher.js';
export { type QuotaStoreContractOptions, quotaStoreContract } from './contracts/quota-store.js';
export {
  type RateLimitDifferentialOptions,
  type RateLimitOp,
  rateLimitDifferential,
} from './contracts/ratelimit-differential.js';
export {
  type RateLimitStoreContractOptions,
  rateLimitStoreContract,
  rateLimitTraces,
} from './contracts/ratelimit-store.js';
export { type RefreshStoreContractOptions, refreshStoreContract } from './contracts/refresh-store.js';
export {
  type RevocationStoreContractOptions,
  revocationStoreContract,
} from './contracts/revocation-store.js';
export {
  type SearchSourceContractOptions,
  type SearchSourceSetupInput,
  searchSourceContract,
} from './contracts/search-source.js';
export { type SessionStoreContractOptions, sessionStoreContract } from './contracts/session-store.js';
export {
  CONTRACT_START_MS,
  type ContractFixture,
  type ContractOptions,
  type ContractSetup,
  type ContractTestApi,
  type TestBody,
  withFixture,
} from './contracts/test-api.js';
export {
  type UserDirectoryContractOptions,
  userDirectoryContract,
} from './contracts/user-directory.js';
