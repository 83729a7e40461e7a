import { describe, expect, it } from 'vitest';
import {
  BackendPatternsError,
  InvalidArgumentError,
  InvalidOptionError,
  isBackendPatternsError,
  StoreError,
  TimeoutError,
} from '../../src/index.js';

describe('errors', () => {
  it('carry a stable code, the class name and the cause', () => {
    const cause = new Error('socket closed');
    const error = new StoreError('redis script x failed', { cause });
    expect(error).toBeInstanceOf(BackendPatternsError);
    expect(error).toBeInstanceOf(Error);
    expect(error.code).toBe('ERR_STORE');
    expect(error.name).toBe('StoreError');
    expect(error.cause).toBe(cause);
    expect(error.stack).toContain('StoreError');
  });

  it('each core subclass has its own code', () => {
    expect(new InvalidOptionError('x').code).toBe('ERR_INVALID_OPTION');
    expect(new InvalidArgumentError('x').code).toBe('ERR_INVALID_ARGUMENT');
    expect(new TimeoutError('x').code).toBe('ERR_TIMEOUT');
  });

  it('module subclasses keep their own name', () => {
    class QueueFullError extends BackendPatternsError {
      constructor() {
        super('ERR_QUEUE_FULL', 'queue is full');
      }
    }
    const error = new QueueFullError();
    expect(error.name).toBe('QueueFullError');
    expect(isBackendPatternsError(error, 'ERR_QUEUE_FULL')).toBe(true);
  });

  it('the guard checks the brand and, optionally, the code', () => {
    const error = new TimeoutError('slow');
    expect(isBackendPatternsError(error)).toBe(true);
    expect(isBackendPatternsError(error, 'ERR_TIMEOUT')).toBe(true);
    expect(isBackendPatternsError(error, 'ERR_STORE')).toBe(false);
    const lookalike = Object.assign(new Error('x'), { code: 'ERR_TIMEOUT' });
    for (const value of [lookalike, null, undefined, 'ERR_TIMEOUT', 42, {}]) {
      expect(isBackendPatternsError(value)).toBe(false);
    }
  });

  it('the guard recognises errors from another copy of the library (ESM and CJS loaded together)', () => {
    const foreign = new Error('from the CJS build');
    Object.defineProperty(foreign, Symbol.for('backend-patterns.error'), { value: true });
    Object.assign(foreign, { code: 'ERR_STORE' });
    expect(isBackendPatternsError(foreign, 'ERR_STORE')).toBe(true);
  });
});
