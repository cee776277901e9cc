import { createHash } from 'node:crypto';
import { createChecksum, parseChecksumAlgorithm } from '../checksums.js';
import { S3Error } from '../errors.js';
import type { ObjectPart } from './types.js';
import type { PartRecord, UploadRecord } from './upload-store.js';

/** S3's limits for multipart uploads. */
export const MIN_PART_SIZE = 5 * 1024 * 1024;
export const MAX_PART_SIZE = 5 * 1024 ** 3;
export const MAX_PART_NUMBER = 10_000;
export const MAX_OBJECT_SIZE = 5 * 1024 ** 4;

/** One <Part> of a CompleteMultipartUpload request. */
export interface RequestedPart {
  readonly partNumber: number;
  /** As sent, quotes optional. */
  readonly etag: string;
  /** Algorithm → base64, from <ChecksumCRC32> and friends. */
  readonly checksums: Readonly<Record<string, string>>;
}

export interface CompletionPlan {
  readonly parts: readonly ObjectPart[];
  readonly size: number;
  /** `<hex md5 of the concatenated binary part MD5s>-<n>`. */
  readonly etag: string;
  /** The composite checksum (`<base64>-<n>`) when the upload asked for one. */
  readonly checksums: Readonly<Record<string, string>>;
}

/**
 * Checks a completion request against the parts stored, in request order, as
 * S3 does: ascending part numbers (InvalidPartOrder), each part present with
 * that ETag and, when given, those checksums (InvalidPart), every part but the
 * last at least 5 MiB (EntityTooSmall). Then derives the object's ETag and
 * composite checksum from the part digests without reading any bytes.
 */
export async function planCompletion(upload: UploadRecord, stored: readonly PartRecord[], requested: readonly RequestedPart[]): Promise<CompletionPlan> {
  const byNumber = new Map(stored.map((p) => [p.partNumber, p]));
  const algorithm = upload.checksumAlgorithm === undefined ? undefined : parseChecksumAlgorithm(upload.checksumAlgorithm);
  const parts: PartRecord[] = [];
  let previous = 0;
  for (const want of requested) {
    if (want.partNumber <= previous) throw new S3Error('InvalidPartOrder', undefined, { UploadId: upload.uploadId, PartNumber: String(want.partNumber) });
    previous = want.partNumber;
    const part = byNumber.get(want.partNumber);
    const etag = want.etag.trim().replace(/^"(.*)"$/, '$1');
    const checksumsMatch = part !== undefined && Object.entries(want.checksums).every(([name, value]) => part.checksums[name] === value);
    if (part === undefined || part.etag !== etag || !checksumsMatch) {
      throw new S3Error('InvalidPart', undefined, { UploadId: upload.uploadId, PartNumber: String(want.partNumber), ETag: want.etag });
    }
    if (algorithm !== undefined && upload.checksumType !== 'FULL_OBJECT' && want.checksums[algorithm] === undefined) {
      throw new S3Error('InvalidRequest', `The upload was created using a ${algorithm.toLowerCase()} checksum. The complete request must include the checksum for each part. It was missing for part ${want.partNumber} in the request.`);
    }
    parts.push(part);
  }
  parts.forEach((part, i) => {
    if (i < parts.length - 1 && part.size < MIN_PART_SIZE) {
      throw new S3Error('EntityTooSmall', undefined, {
        ProposedSize: String(part.size), MinSizeAllowed: String(MIN_PART_SIZE), PartNumber: String(part.partNumber), ETag: `"${part.etag}"`,
      });
    }
  });
  const size = parts.reduce((sum, p) => sum + p.size, 0);
  if (size > MAX_OBJECT_SIZE) throw new S3Error('EntityTooLarge', undefined, { ProposedSize: String(size), MaxSizeAllowed: String(MAX_OBJECT_SIZE) });
  const md5 = createHash('md5');
  for (const part of parts) md5.update(Buffer.from(part.etag, 'hex'));
  const checksums: Record<string, string> = {};
  if (algorithm !== undefined && upload.checksumType !== 'FULL_OBJECT') {
    const composite = createChecksum(algorithm);
    for (const part of parts) composite.update(Buffer.from(part.checksums[algorithm] ?? '', 'base64'));
    checksums[algorithm] = `${await composite.digest()}-${parts.length}`;
  }
  return {
    parts: parts.map((p) => ({ partNumber: p.partNumber, size: p.size, etag: p.etag, checksums: p.checksums, blobId: p.blobId })),
    size,
    etag: `${md5.digest('hex')}-${parts.length}`,
    checksums,
  };
}
