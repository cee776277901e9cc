import { decodeKey, encodeText, prefixUpperBound } from './object-key.js';
import { cutPage, rollUp, type PageEntry } from './list-page.js';
import { toSummary, type SummaryRow } from './rows.js';
import type { ListUploadsQuery, ListUploadsResult, UploadSummary } from './upload-store.js';

export type UploadsPage = Omit<Extract<ListUploadsResult, { kind: 'listed' }>, 'kind'>;

/**
 * What the plan asks of the backend: a Buffer starts a scan of the bucket's
 * uploads with keys at or after it, in (key bytes, initiation, upload id)
 * order, and wants its first row; null wants the next row of the current
 * scan. The answer is undefined once the scan is exhausted.
 */
export type UploadScanStep = Buffer | null;

/**
 * ListMultipartUploads as a walk shared by every backend (sync for SQLite,
 * async over a cursor for PostgreSQL): uploads in (key bytes, initiation)
 * order, grouped by delimiter, a common prefix costing one seek past its
 * whole group. An entry is listed when it sorts after the key marker (a common
 * prefix returned earlier skips its whole group); the marker key's own
 * uploads are listed only after the upload-id marker, when one is given and
 * names an upload of that key (`markerHasUpload`, which the backend looks up).
 */
export function* planUploadListing(query: ListUploadsQuery, markerHasUpload: boolean): Generator<UploadScanStep, UploadsPage, SummaryRow | undefined> {
  const prefix = encodeText(query.prefix ?? '');
  const marker = markerOf(query);
  if (query.maxUploads <= 0) return { uploads: [], commonPrefixes: [], isTruncated: false, nextKeyMarker: undefined, nextUploadIdMarker: undefined };
  const wanted = query.maxUploads + 1; // one extra entry tells whether the page is truncated
  const entries: PageEntry<UploadSummary>[] = [];
  // Uploads of the marker key up to and including this one were listed already.
  let skipThrough = uploadIdMarkerOf(query);
  let from: Buffer | null = marker !== undefined && Buffer.compare(marker, prefix) > 0 ? marker : prefix;
  scan: while (from !== null) {
    let row = yield from;
    from = null;
    for (; row !== undefined; row = yield null) {
      if (!row.key.subarray(0, prefix.length).equals(prefix)) break scan;
      const key = decodeKey(row.key);
      const group = rollUp(key, query.prefix ?? '', query.delimiter);
      const entry = group === undefined ? row.key : encodeText(group);
      if (marker !== undefined) {
        const order = Buffer.compare(entry, marker);
        if (order < 0 || (order === 0 && (group !== undefined || !markerHasUpload))) {
          if (group === undefined) continue;
          from = prefixUpperBound(entry); // a group listed before: seek past it
          continue scan;
        }
        if (order === 0 && skipThrough !== undefined) {
          if (row.upload_id === skipThrough) skipThrough = undefined;
          continue;
        }
      }
      entries.push(group === undefined ? { kind: 'item', item: toSummary(key, row) } : { kind: 'prefix', prefix: entry.toString('utf8') });
      if (entries.length === wanted) break scan;
      if (group === undefined) continue;
      from = prefixUpperBound(entry); // seek past the whole group
      continue scan;
    }
  }
  const page = cutPage(entries, query.maxUploads);
  return { uploads: page.items, commonPrefixes: page.commonPrefixes, isTruncated: page.isTruncated, nextKeyMarker: page.nextKey, nextUploadIdMarker: page.lastItem?.uploadId };
}

function markerOf(query: ListUploadsQuery): Buffer | undefined {
  return query.keyMarker !== undefined && query.keyMarker !== '' ? encodeText(query.keyMarker) : undefined;
}

/** The upload-id marker, which counts only with a key marker; the backend checks it names an upload of that key. */
export function uploadIdMarkerOf(query: ListUploadsQuery): string | undefined {
  return markerOf(query) !== undefined && query.uploadIdMarker ? query.uploadIdMarker : undefined;
}

/** Whether an upload whose key is `key` is the marker key's. */
export function isMarkerKey(query: ListUploadsQuery, key: Buffer | undefined): boolean {
  const marker = markerOf(query);
  return marker !== undefined && key !== undefined && key.equals(marker);
}

/** Runs the plan against synchronous scans (SQLite). */
export function runUploadListingSync(query: ListUploadsQuery, markerHasUpload: boolean, scanFrom: (from: Buffer) => Iterator<SummaryRow>): UploadsPage {
  const plan = planUploadListing(query, markerHasUpload);
  let scan: Iterator<SummaryRow> | undefined;
  let step = plan.next(undefined);
  while (!step.done) {
    if (step.value !== null) {
      scan?.return?.();
      scan = scanFrom(step.value);
    }
    const next = scan?.next();
    step = plan.next(next === undefined || next.done === true ? undefined : next.value);
  }
  scan?.return?.();
  return step.value;
}

/** Runs the plan against asynchronous scans (a server-side cursor of a networked database). */
export async function runUploadListing(query: ListUploadsQuery, markerHasUpload: boolean, scanFrom: (from: Buffer) => AsyncIterator<SummaryRow>): Promise<UploadsPage> {
  const plan = planUploadListing(query, markerHasUpload);
  let scan: AsyncIterator<SummaryRow> | undefined;
  let step = plan.next(undefined);
  try {
    while (!step.done) {
      if (step.value !== null) {
        await scan?.return?.();
        scan = scanFrom(step.value);
      }
      const next = await scan?.next();
      step = plan.next(next === undefined || next.done === true ? undefined : next.value);
    }
  } finally {
    await scan?.return?.();
  }
  return step.value;
}
