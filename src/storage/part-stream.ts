import { Readable, type Writable } from 'node:stream';
import type { BlobStore, ByteRange } from './blob-store.js';
import { BytesBody, type ObjectBody } from './opened-blob.js';
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
 * The bytes of a multipart object (or a range of it) across its part blobs.
 * The first blob is opened before this resolves, so a missing blob is an
 * error the caller sees before any header goes out; the others are opened as
 * the read reaches them, which the caller keeps safe by pinning the blobs
 * (Storage defers unlinking a pinned blob) until `done` runs.
 */
export async function openParts(blobs: BlobStore, parts: readonly ObjectPart[], range: ByteRange | undefined, done: () => void): Promise<ObjectBody> {
  const [head, ...rest] = slicesOf(parts, range);
  if (head === undefined) {
    done();
    return new BytesBody(Buffer.alloc(0));
  }
  const first = await blobs.openFile(head.blobId, { start: head.start, end: head.end });
  const open = (slice: Slice) => blobs.openFile(slice.blobId, { start: slice.start, end: slice.end });
  return {
    stream(): Readable {
      async function* concatenated(): AsyncGenerator<Uint8Array> {
        let current = first.stream();
        try {
          for await (const chunk of current) yield chunk as Uint8Array;
          for (const slice of rest) {
            current = (await open(slice)).stream();
            for await (const chunk of current) yield chunk as Uint8Array;
          }
        } finally {
          current.destroy();
        }
      }
      const stream = Readable.from(concatenated(), { objectMode: false });
      stream.once('close', done);
      return stream;
    },
    async sendTo(dest: Writable, onBytes: (n: number) => void): Promise<void> {
      try {
        await first.sendTo(dest, onBytes);
        for (const slice of rest) await (await open(slice)).sendTo(dest, onBytes);
      } finally {
        done();
      }
    },
  };
}
