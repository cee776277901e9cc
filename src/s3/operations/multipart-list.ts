import type { Authenticated } from '../auth.js';
import type { RequestContext } from '../context.js';
import type { S3Deps } from '../deps.js';
import { xmlDate } from '../http-dates.js';
import { sendXml } from '../respond.js';
import { operation, type Params } from '../operation.js';

function person(name: string) {
  return { ID: name, DisplayName: name };
}

function checksumFields(checksums: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(checksums).map(([name, value]) => [`Checksum${name}`, value]));
}

export async function listParts(ctx: RequestContext, _auth: Authenticated, deps: S3Deps, params: Params<'object', 'uploadId' | 'maxParts' | 'partNumberMarker'>): Promise<void> {
  const { bucket, key, uploadId, maxParts, partNumberMarker: after } = params;
  const listed = await deps.storage.multipart.listParts({ bucket, key, uploadId, after, maxParts });
  const { upload } = listed;
  sendXml(ctx, 'ListPartsResult', {
    Bucket: bucket,
    Key: key,
    UploadId: uploadId,
    PartNumberMarker: after,
    ...(listed.nextAfter === undefined ? {} : { NextPartNumberMarker: listed.nextAfter }),
    MaxParts: maxParts,
    IsTruncated: listed.isTruncated,
    Part: listed.parts.map((p) => ({
      PartNumber: p.partNumber,
      LastModified: xmlDate(p.lastModified),
      ETag: `"${p.etag}"`,
      Size: p.size,
      ...checksumFields(p.checksums),
    })),
    Initiator: person(upload.initiator),
    Owner: person(upload.initiator),
    StorageClass: 'STANDARD',
    ...(upload.checksumAlgorithm === undefined ? {} : { ChecksumAlgorithm: upload.checksumAlgorithm, ChecksumType: upload.checksumType ?? 'COMPOSITE' }),
  });
}

type ListMultipartUploadsParams = Params<'bucket', 'encoding' | 'prefix' | 'delimiter' | 'keyMarker' | 'uploadIdMarker' | 'maxUploads'>;

export async function listMultipartUploads(ctx: RequestContext, _auth: Authenticated, deps: S3Deps, params: ListMultipartUploadsParams): Promise<void> {
  const { bucket, encoding: { encode, type: encodingType }, prefix, delimiter, keyMarker, uploadIdMarker, maxUploads } = params;
  const page = await deps.storage.multipart.listUploads({ bucket, prefix, delimiter, keyMarker, uploadIdMarker, maxUploads });
  sendXml(ctx, 'ListMultipartUploadsResult', {
    Bucket: bucket,
    KeyMarker: encode(keyMarker),
    UploadIdMarker: uploadIdMarker,
    NextKeyMarker: encode(page.nextKeyMarker ?? ''),
    NextUploadIdMarker: page.nextUploadIdMarker ?? '',
    ...(delimiter === '' ? {} : { Delimiter: encode(delimiter) }),
    Prefix: encode(prefix),
    MaxUploads: maxUploads,
    IsTruncated: page.isTruncated,
    Upload: page.uploads.map((u) => ({
      Key: encode(u.key),
      UploadId: u.uploadId,
      Initiator: person(u.initiator),
      Owner: person(u.initiator),
      StorageClass: 'STANDARD',
      Initiated: xmlDate(u.initiated),
      ...(u.checksumAlgorithm === undefined ? {} : { ChecksumAlgorithm: u.checksumAlgorithm, ChecksumType: u.checksumType ?? 'COMPOSITE' }),
    })),
    CommonPrefixes: page.commonPrefixes.map((p) => ({ Prefix: encode(p) })),
    ...(encodingType === undefined ? {} : { EncodingType: encodingType }),
  });
}

/** The operations of this family, declared once: the router, the permission check and the free-space gate read these. */
export const MULTIPART_LIST_OPERATIONS = {
  ListMultipartUploads: operation({
    method: 'GET', target: 'bucket', query: ['uploads'], params: ['encoding', 'prefix', 'delimiter', 'keyMarker', 'uploadIdMarker', 'maxUploads'],
    permissions: [{ action: 's3:ListBucketMultipartUploads', resource: 'bucket' }], space: 'frees-or-reads', run: listMultipartUploads,
  }),
  ListParts: operation({ method: 'GET', target: 'object', query: ['uploadId'], params: ['uploadId', 'maxParts', 'partNumberMarker'], permissions: [{ action: 's3:ListMultipartUploadParts', resource: 'object' }], space: 'frees-or-reads', run: listParts }),
};
