import { decodeKey, encodeText, maxBytes, prefixUpperBound, successor } from './object-key.js';
import { cutPage, rollUp, type PageEntry } from './list-page.js';
import type { ListObjectsPage, ListObjectsQuery, ObjectSummary } from './types.js';

/** One ordered range read the backend must answer: keys in [from, to), at most `limit`. */
export interface RangeRead {
  readonly from: Buffer;
  /** Exclusive; null means "to the end of the bucket". */
  readonly to: Buffer | null;
  readonly limit: number;
}

export interface ListRow extends Omit<ObjectSummary, 'key'> {
  /** The key's UTF-8 bytes, as stored. */
  readonly keyBytes: Uint8Array;
}

/**
 * Rows per range read grow from 1 by doubling while no common prefix
 * interrupts them, up to this cap: a prefix-dense listing then reads one row
 * per group instead of a full batch it would mostly throw away, and a run of
 * plain keys still needs only a handful of reads.
 */
const MAX_BATCH = 1000;

/**
 * ListObjects as a seek plan, shared by every backend: the generator yields
 * range reads and the backend answers each with rows in byte order (sync for
 * SQLite inside one transaction, async for a networked database). A common
 * prefix costs one index seek past its whole group, so a page touches at most
 * maxKeys + 1 groups and never loads the keys under a prefix it rolls up.
 *
 * An entry (key or common prefix) is listed when it sorts after `after`, so
 * passing the last entry of a page as the next `after` resumes exactly there,
 * even when that entry was a common prefix.
 */
export function* planListing(query: ListObjectsQuery): Generator<RangeRead, ListObjectsPage, readonly ListRow[]> {
  const empty: ListObjectsPage = { contents: [], commonPrefixes: [], isTruncated: false, nextAfter: undefined };
  if (query.maxKeys <= 0) return empty;

  const prefix = query.prefix ?? '';
  const prefixBytes = encodeText(prefix);
  const afterBytes = query.after === undefined ? undefined : encodeText(query.after);
  const to = prefixUpperBound(prefixBytes);
  let from = afterBytes === undefined ? prefixBytes : maxBytes(prefixBytes, successor(afterBytes));

  const wanted = query.maxKeys + 1; // one extra entry tells whether the page is truncated
  const entries: PageEntry<ObjectSummary>[] = [];

  let batch = 1;
  scan: while (entries.length < wanted && (to === null || Buffer.compare(from, to) < 0)) {
    const limit = Math.min(wanted - entries.length, batch);
    const rows = yield { from, to, limit };
    batch = Math.min(batch * 2, MAX_BATCH);
    for (const row of rows) {
      const key = decodeKey(row.keyBytes);
      const commonPrefix = rollUp(key, prefix, query.delimiter);
      if (commonPrefix !== undefined) {
        const commonBytes = encodeText(commonPrefix);
        // A group at or before `after` was already listed on an earlier page.
        if (afterBytes === undefined || Buffer.compare(commonBytes, afterBytes) > 0) {
          entries.push({ kind: 'prefix', prefix: commonPrefix });
        }
        const past = prefixUpperBound(commonBytes);
        if (past === null) break scan;
        from = past;
        batch = 1;
        continue scan;
      }
      entries.push({ kind: 'item', item: toSummary(key, row) });
      from = successor(row.keyBytes);
      if (entries.length >= wanted) break scan;
    }
    if (rows.length < limit) break; // range exhausted
  }

  const page = cutPage(entries, query.maxKeys);
  return { contents: page.items, commonPrefixes: page.commonPrefixes, isTruncated: page.isTruncated, nextAfter: page.nextKey };
}

function toSummary(key: string, row: ListRow): ObjectSummary {
  return { key, size: row.size, etag: row.etag, lastModified: row.lastModified, checksumAlgorithms: row.checksumAlgorithms };
}

/** Runs a plan against a synchronous range reader (SQLite). */
export function runListingSync(query: ListObjectsQuery, read: (range: RangeRead) => readonly ListRow[]): ListObjectsPage {
  const plan = planListing(query);
  let step = plan.next([]);
  while (!step.done) step = plan.next(read(step.value));
  return step.value;
}

/** Runs a plan against an asynchronous range reader (a networked database). */
export async function runListing(query: ListObjectsQuery, read: (range: RangeRead) => Promise<readonly ListRow[]>): Promise<ListObjectsPage> {
  const plan = planListing(query);
  let step = plan.next([]);
  while (!step.done) step = plan.next(await read(step.value));
  return step.value;
}
