import { Readable } from 'node:stream';
import type { BlobStore, ByteRange } from './blob-store.js';
import type { ObjectPart } from './types.js';

interface Slice {
  readonly blobId: string;
  /** Inclusive offsets inside the part's blob. */
  readonly start: number;
  readonly end: number;
}

/** The pieces of part blobs that make up `range` of the whole object (empty parts contribute nothing). */
export function slicesOf(parts: readonly ObjectPart[], range: ByteRange | undefined): Slice[] {
  const slices: Slice[] = [];
  let offset = 0;
  for (const part of parts) {
    const first = offset;
    const last = offset + part.size - 1;
    offset += part.size;
    if (part.size === 0) continue;
    const start = Math.max(first, range?.start ?? first);
    const end = Math.min(last, range?.end ?? last);
    if (start <= end) slices.push({ blobId: part.blobId, start: start - first, end: end - first });
  }
  return slices;
}

/**
 * One stream over the part blobs of a multipart object (or a range of it).
 * The first blob is opened before this resolves, so a missing blob is an
 * error the caller sees before any header goes out; the others are opened as
 * the read reaches them, which the caller keeps safe by pinning the blobs
 * (Storage defers unlinking a pinned blob).
 */
export async function openParts(blobs: BlobStore, parts: readonly ObjectPart[], range: ByteRange | undefined): Promise<Readable> {
  const slices = slicesOf(parts, range);
  const [head, ...rest] = slices;
  if (head === undefined) return Readable.from([]);
  const first = await blobs.open(head.blobId, { start: head.start, end: head.end });
  async function* concatenated(): AsyncGenerator<Uint8Array> {
    let current: Readable | undefined = first;
    try {
      for await (const chunk of first) yield chunk as Uint8Array;
      for (const slice of rest) {
        current = await blobs.open(slice.blobId, { start: slice.start, end: slice.end });
        for await (const chunk of current) yield chunk as Uint8Array;
      }
    } finally {
      current?.destroy();
      if (current !== first) first.destroy();
    }
  }
  return Readable.from(concatenated(), { objectMode: false });
}
