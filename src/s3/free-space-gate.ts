import { S3Error } from '../errors.js';
import type { RequestContext } from './context.js';
import type { OperationName } from './routes.js';

/**
 * Whether each operation stores something, and so is checked against the
 * reserve. Deletes and reads never are: on a full disk they are how space
 * comes back. A Record, so a new operation cannot be added without saying.
 */
const STORES: Readonly<Record<OperationName, boolean>> = {
  PutObject: true, PostObject: true, CopyObject: true, UploadPart: true, UploadPartCopy: true, CreateMultipartUpload: true, CompleteMultipartUpload: true,
  CreateBucket: true, PutBucketVersioning: true, PutBucketPolicy: true, PutBucketCors: true, PutBucketAcl: true, PutObjectAcl: true, PutObjectTagging: true,
  PutBucketOwnershipControls: true, PutBucketTagging: true, PutPublicAccessBlock: true,
  ListBuckets: false, HeadBucket: false, DeleteBucket: false, GetBucketLocation: false, ListObjects: false, ListObjectsV2: false,
  DeleteObjects: false, GetObject: false, HeadObject: false, DeleteObject: false, GetBucketPolicy: false, DeleteBucketPolicy: false,
  GetBucketPolicyStatus: false, AbortMultipartUpload: false, ListParts: false, ListMultipartUploads: false, GetBucketCors: false,
  DeleteBucketCors: false, GetBucketVersioning: false, GetBucketAcl: false, GetBucketLifecycleConfiguration: false,
  GetBucketRequestPayment: false, GetObjectAcl: false, ListObjectVersions: false, GetObjectTagging: false, DeleteObjectTagging: false,
  GetBucketTagging: false, DeleteBucketTagging: false, GetBucketOwnershipControls: false, DeleteBucketOwnershipControls: false, GetObjectAttributes: false,
  GetPublicAccessBlock: false, DeletePublicAccessBlock: false,
};

/** Far above the reserve, a probe this recent is good enough; near it, every write probes. */
const PROBE_REUSE_MS = 1000;
const PROBE_REUSE_MARGIN = 256 * 1024 ** 2;

/**
 * --min-free: a write that would leave less than `minFree` bytes free on the
 * data dir's filesystem is refused with 507 InsufficientStorage before its
 * body is read. The reserve keeps room for what must still be written on a
 * "full" disk (the metadata of deletes, the WAL, link audit records), so
 * deletes always work and free space at once. Bodies being received count
 * against the free space until their request ends, so concurrent uploads
 * cannot each see the same free bytes.
 */
export class FreeSpaceGate {
  private inFlight = 0;
  private probe: { at: number; free: number } | undefined;

  constructor(
    private readonly minFree: number,
    private readonly freeBytes: () => Promise<number>,
    private readonly now: () => number = Date.now,
  ) {}

  /** Before the operation runs: refuses it, or holds its declared bytes until the response ends. */
  async admit(ctx: RequestContext, operation: OperationName): Promise<void> {
    if (this.minFree === 0 || !STORES[operation]) return;
    const bytes = declaredBytes(ctx);
    const free = await this.free(bytes);
    if (free - this.inFlight - bytes < this.minFree) throw new S3Error('InsufficientStorage');
    this.inFlight += bytes;
    ctx.res.once('close', () => {
      this.inFlight -= bytes;
    });
  }

  private async free(bytes: number): Promise<number> {
    const last = this.probe;
    if (last !== undefined && this.now() - last.at < PROBE_REUSE_MS && last.free - this.inFlight - bytes > this.minFree + PROBE_REUSE_MARGIN) return last.free;
    const free = await this.freeBytes();
    this.probe = { at: this.now(), free };
    return free;
  }
}

/** What the body will add: its decoded length for aws-chunked, else Content-Length (0 when absent or malformed: the body reader refuses those). */
function declaredBytes(ctx: RequestContext): number {
  const text = ctx.header('x-amz-decoded-content-length') ?? ctx.header('content-length');
  const bytes = text === undefined ? 0 : Number(text);
  return Number.isSafeInteger(bytes) && bytes > 0 ? bytes : 0;
}
