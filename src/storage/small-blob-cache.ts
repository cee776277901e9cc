/**
 * Whole small blobs kept in memory, least recently used first out, bounded by
 * total bytes. Blobs are immutable (a new version is a new blob id), so an
 * entry can never be stale; a deleted blob's entry is dropped so its memory
 * goes with it. This is what lets a hot small object be served without a
 * file open, read and close per request.
 */
export class SmallBlobCache {
  private readonly entries = new Map<string, Buffer>();
  private bytes = 0;

  constructor(private readonly capacityBytes: number) {}

  get(blobId: string): Buffer | undefined {
    const hit = this.entries.get(blobId);
    if (hit !== undefined) {
      this.entries.delete(blobId);
      this.entries.set(blobId, hit);
    }
    return hit;
  }

  set(blobId: string, data: Buffer): void {
    if (data.length > this.capacityBytes) return;
    this.delete(blobId);
    this.entries.set(blobId, data);
    this.bytes += data.length;
    for (const [id, old] of this.entries) {
      if (this.bytes <= this.capacityBytes) break;
      this.entries.delete(id);
      this.bytes -= old.length;
    }
  }

  delete(blobId: string): void {
    const old = this.entries.get(blobId);
    if (old === undefined) return;
    this.entries.delete(blobId);
    this.bytes -= old.length;
  }

  get size(): number {
    return this.bytes;
  }
}
