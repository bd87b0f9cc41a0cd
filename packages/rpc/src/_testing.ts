/**
 * Test helpers for this package: a logger that records what it is given, and promise wrappers for
 * grpc-js's callback-style unary calls. Not exported from the package.
 */
import type * as grpc from '@grpc/grpc-js';
import type { ErrorLogger } from './status-mapper.ts';

/** One recorded log call. */
export interface LogEntry {
  readonly level: 'error' | 'warn';
  readonly fields: Record<string, unknown>;
  readonly message: string;
}

/** A logger that keeps its entries for assertions. */
export function recordingLogger(): ErrorLogger & { readonly entries: LogEntry[] } {
  const entries: LogEntry[] = [];
  return {
    entries,
    error: (fields, message) => entries.push({ level: 'error', fields, message }),
    warn: (fields, message) => entries.push({ level: 'warn', fields, message }),
  };
}

/** Resolves with a unary call's response; rejects with its ServiceError. */
export function unary<T>(start: (callback: grpc.requestCallback<T>) => unknown): Promise<T> {
  return new Promise((resolve, reject) => {
    start((error, value) => {
      if (error) reject(error);
      else if (value === undefined) reject(new Error('no response and no error'));
      else resolve(value);
    });
  });
}

/** Resolves with the ServiceError a unary call fails with; rejects if it succeeds. */
export async function unaryError<T>(
  start: (callback: grpc.requestCallback<T>) => unknown,
): Promise<grpc.ServiceError> {
  try {
    await unary(start);
  } catch (error) {
    return error as grpc.ServiceError;
  }
  throw new Error('expected the call to fail');
}
