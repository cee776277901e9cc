import { S3Error } from '../../errors.js';
import { uriEncode } from '../../sigv4/uri-encode.js';
import type { Authenticated } from '../auth.js';
import type { RequestContext } from '../context.js';
import type { S3Deps } from '../deps.js';
import { xmlDate } from '../http-dates.js';
import { sendXml } from '../respond.js';
import { operation, type Params } from '../operation.js';

const MAX_PARTS = 1000;
const MAX_UPLOADS = 1000;

/** A non-negative integer query parameter, capped; InvalidArgument otherwise, as S3 answers. */
function countParam(ctx: RequestContext, name: string, fallback: number, cap: number): number {
  const text = ctx.query.get(name);
  if (text === undefined) return fallback;
  if (!/^\d{1,10}$/.test(text)) throw new S3Error('InvalidArgument', `Provided ${name} not an integer or within integer range`, { ArgumentName: name, ArgumentValue: text });
  return Math.min(Number(text), cap);
}

function person(name: string) {
  return { ID: name, DisplayName: name };
}

function checksumFields(checksums: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(checksums).map(([name, value]) => [`Checksum${name}`, value]));
}

export async function listParts(ctx: RequestContext, _auth: Authenticated, deps: S3Deps, { bucket, key, uploadId }: Params<'object', 'uploadId'>): Promise<void> {
  const maxParts = countParam(ctx, 'max-parts', MAX_PARTS, MAX_PARTS);
  const after = countParam(ctx, 'part-number-marker', 0, Number.MAX_SAFE_INTEGER);
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

export async function listMultipartUploads(ctx: RequestContext, _auth: Authenticated, deps: S3Deps, { bucket }: Params<'bucket', never>): Promise<void> {
  const encodingType = ctx.query.get('encoding-type');
  if (encodingType !== undefined && encodingType !== 'url') {
    throw new S3Error('InvalidArgument', 'Invalid Encoding Method specified in Request', { ArgumentName: 'encoding-type', ArgumentValue: encodingType });
  }
  const encode = encodingType === 'url' ? (text: string) => uriEncode(text, true) : (text: string) => text;
  const prefix = ctx.query.get('prefix') ?? '';
  const delimiter = ctx.query.get('delimiter') ?? '';
  const keyMarker = ctx.query.get('key-marker') ?? '';
  // S3 ignores an upload-id marker without a key marker.
  const uploadIdMarker = keyMarker === '' ? '' : (ctx.query.get('upload-id-marker') ?? '');
  const maxUploads = countParam(ctx, 'max-uploads', MAX_UPLOADS, MAX_UPLOADS);
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
  ListMultipartUploads: operation({ method: 'GET', target: 'bucket', query: ['uploads'], permissions: [{ action: 's3:ListBucketMultipartUploads', resource: 'bucket' }], space: 'frees-or-reads', run: listMultipartUploads }),
  ListParts: operation({ method: 'GET', target: 'object', query: ['uploadId'], params: ['uploadId'], permissions: [{ action: 's3:ListMultipartUploadParts', resource: 'object' }], space: 'frees-or-reads', run: listParts }),
};
