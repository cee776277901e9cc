import postgres from 'postgres';
import { S3Error } from '../../errors.js';

/**
 * int8 as a JS number: sizes (≤ 5 TiB) and ms timestamps are far below 2^53,
 * and every backend hands the same record shapes to the S3 layer.
 */
const TYPES = {
  bigint: { to: 20, from: [20], serialize: (value: number) => String(value), parse: (raw: string) => Number(raw) },
};

export type Sql = postgres.Sql<{ bigint: number }>;
export type Tx = postgres.TransactionSql<{ bigint: number }>;
/** A pool or a transaction: statements shared by both take either. */
export type Queryable = Sql | Tx;
/** A piece of a statement (its parameters with it), spliced into another. */
export type PendingQuery = postgres.Fragment;

export interface PgOptions {
  /** A schema to use instead of the URL's default search_path (tests: one schema each). */
  readonly schema?: string | undefined;
  /** Pool size per node. */
  readonly max?: number | undefined;
}

export function connectPg(url: string, options: PgOptions = {}): Sql {
  return postgres(url, {
    max: options.max ?? 10,
    types: TYPES,
    // Fail a request fast when the server is away (503) instead of queueing it for minutes.
    connect_timeout: 5,
    idle_timeout: 60,
    onnotice: () => undefined,
    connection: {
      application_name: 'latchkey',
      ...(options.schema === undefined ? {} : { search_path: options.schema }),
    },
  });
}

/**
 * SQLSTATE classes meaning "the server is not there right now" rather than
 * "this statement is wrong": 08 connection exception, 57P01-57P03 shutdown
 * and start-up, 53 insufficient resources.
 */
const UNAVAILABLE = /^(08|53|57P0[123])/;

/** Node's and postgres.js's own codes for a connection that failed or dropped. */
const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'CONNECT_TIMEOUT', 'CONNECTION_CLOSED', 'CONNECTION_ENDED', 'CONNECTION_DESTROYED']);

export function isUnavailable(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code !== 'string') return false;
  if (error instanceof postgres.PostgresError) return UNAVAILABLE.test(code);
  return CONNECTION_CODES.has(code);
}

/**
 * Runs a database call so that losing the server becomes S3's 503
 * ServiceUnavailable (clients retry it) and never a wrong answer; any other
 * failure is left as it is (a 500 and a log line).
 */
export async function guarded<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (isUnavailable(error)) throw new S3Error('ServiceUnavailable', 'The metadata database is unreachable. Please try again.');
    throw error;
  }
}

/** SQLSTATE 23503: a row's parent (its bucket) was deleted by a concurrent transaction. */
export function isForeignKeyViolation(error: unknown): boolean {
  return error instanceof postgres.PostgresError && error.code === '23503';
}
