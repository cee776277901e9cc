/**
 * How the SQLite stores run their synchronous work behind an async API; the
 * metadata store makes both and hands them to each store it opens.
 */

/** A write, inside the turn's shared transaction (write-batch.ts); resolves once that is on disk. */
export type Durably = <T>(work: () => T) => Promise<T>;
/** A read: runs now, a throw becoming a rejection. */
export type Read = <T>(work: () => T) => Promise<T>;

/** Runs synchronous work so that a throw becomes a rejection, as callers of an async API expect. */
export function settle<T>(work: () => T): Promise<T> {
  try {
    return Promise.resolve(work());
  } catch (e) {
    return Promise.reject(e instanceof Error ? e : new Error(String(e)));
  }
}
