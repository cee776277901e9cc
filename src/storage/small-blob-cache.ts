import { LRUCache } from 'lru-cache';

/**
 * Whole small blobs kept in memory, least recently used first out, bounded by
 * total bytes. Blobs are immutable (a new version is a new blob id), so an
 * entry can never be stale; a deleted blob's entry is dropped so its memory
 * goes with it. This is what lets a hot small object be served without a
 * file open, read and close per request.
 */
export class SmallBlobCache {
  private readonly entries: LRUCache<string, Buffer>;

  constructor(capacityBytes: number) {
    // An empty blob still takes an entry: counted as one byte, as the cache counts nothing as zero.
    this.entries = new LRUCache({ maxSize: capacityBytes, sizeCalculation: (data) => Math.max(1, data.length) });
  }

  get(blobId: string): Buffer | undefined {
    return this.entries.get(blobId);
  }

  /** A blob larger than the whole capacity is not kept. */
  set(blobId: string, data: Buffer): void {
    this.entries.set(blobId, data);
  }

  delete(blobId: string): void {
    this.entries.delete(blobId);
  }

  /** Bytes held. */
  get size(): number {
    return this.entries.calculatedSize;
  }
}
