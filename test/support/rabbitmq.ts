/** RabbitMQ for test files: the URL the global setup found, or undefined when suites must skip. */
import { inject } from 'vitest';

/** The AMQP URL found by the global setup, or undefined when suites needing RabbitMQ must skip. */
export function amqpUrl(): string | undefined {
  const status = inject('services').rabbitmq;
  return status?.available ? status.url : undefined;
}

/** True when RabbitMQ-backed suites must be skipped. Use with `describe.skipIf(noRabbitmq)`. */
export const noRabbitmq = amqpUrl() === undefined;
