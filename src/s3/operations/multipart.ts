import { checksumAlgorithmFromHeader, checksumHeaderName, createChecksum, parseChecksumAlgorithm, type ChecksumAlgorithm, type StreamingChecksum } from '../../checksums.js';
import { S3Error } from '../../errors.js';
import type { Authenticated } from '../auth.js';
import { MAX_PART_SIZE } from '../../storage/multipart-plan.js';
import type { ChecksumType, PartRecord, UploadRecord } from '../../storage/upload-store.js';
import { refuseAclHeaders } from '../acl-headers.js';
import { refuseUnsupportedWriteOptions } from '../write-options.js';
import type { RequestContext } from '../context.js';
import type { S3Deps } from '../deps.js';
import { xmlDate } from '../http-dates.js';
import { metadataFromHeaders } from '../object-headers.js';
import { openRequestBody } from '../request-body.js';
import { sendEmpty, sendXml } from '../respond.js';
import { operation, type Params } from '../operation.js';
import { checkCopySourceAccess, checkCopySourceConditions, copySourceVersionHeader, requireBucket } from '../operation-params.js';
import { permitTags } from './tagging.js';
import { requestedTags } from '../tagging.js';

/** The algorithms S3 accepts for multipart uploads, and the checksum types each allows. */
const MULTIPART_CHECKSUM_TYPES: Readonly<Partial<Record<ChecksumAlgorithm, readonly ChecksumType[]>>> = {
  CRC32: ['COMPOSITE', 'FULL_OBJECT'],
  CRC32C: ['COMPOSITE', 'FULL_OBJECT'],
  CRC64NVME: ['FULL_OBJECT'],
  SHA1: ['COMPOSITE'],
  SHA256: ['COMPOSITE'],
};

function initiator(auth: Authenticated): string {
  return auth.principal?.name ?? 'anonymous';
}

/** x-amz-checksum-algorithm and x-amz-checksum-type of CreateMultipartUpload, with S3's defaults and refusals. */
function requestedChecksum(ctx: RequestContext): { algorithm: ChecksumAlgorithm | undefined; type: ChecksumType | undefined } {
  const algorithmText = ctx.header('x-amz-checksum-algorithm');
  const typeText = ctx.header('x-amz-checksum-type')?.toUpperCase();
  if (algorithmText === undefined) {
    if (typeText !== undefined) throw new S3Error('InvalidRequest', 'The x-amz-checksum-type header can only be used with the x-amz-checksum-algorithm header.');
    return { algorithm: undefined, type: undefined };
  }
  const algorithm = parseChecksumAlgorithm(algorithmText);
  const allowed = algorithm === undefined ? undefined : MULTIPART_CHECKSUM_TYPES[algorithm];
  if (algorithm === undefined || allowed === undefined) {
    throw new S3Error('InvalidRequest', 'Checksum algorithm provided is unsupported. Please try again with any of the valid types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]');
  }
  if (typeText !== undefined && typeText !== 'COMPOSITE' && typeText !== 'FULL_OBJECT') {
    throw new S3Error('InvalidRequest', 'Value for x-amz-checksum-type header is invalid.');
  }
  const type = (typeText ?? allowed[0]) as ChecksumType;
  if (!allowed.includes(type)) throw new S3Error('InvalidRequest', `The ${type} checksum type cannot be used with the ${algorithm.toLowerCase()} checksum algorithm.`);
  return { algorithm, type };
}

function checksumTypeHeaders(upload: UploadRecord): Record<string, string> {
  if (upload.checksumAlgorithm === undefined) return {};
  return { 'x-amz-checksum-algorithm': upload.checksumAlgorithm, 'x-amz-checksum-type': upload.checksumType ?? 'COMPOSITE' };
}

export async function createMultipartUpload(ctx: RequestContext, auth: Authenticated, deps: S3Deps, { bucket, key }: Params<'object', never>): Promise<void> {
  refuseAclHeaders(ctx);
  refuseUnsupportedWriteOptions((name) => ctx.header(name));
  // Kept with the upload and given to the object at completion.
  const tags = requestedTags((name) => ctx.header(name));
  const metadata = { ...metadataFromHeaders(ctx), tags };
  const checksum = requestedChecksum(ctx);
  await requireBucket(deps, bucket);
  await permitTags(ctx, auth, deps, bucket, key, tags);
  const upload = await deps.storage.multipart.create({
    bucket, key, initiator: initiator(auth), metadata, checksumAlgorithm: checksum.algorithm, checksumType: checksum.type,
  });
  for (const [name, value] of Object.entries(checksumTypeHeaders(upload))) ctx.res.setHeader(name, value);
  sendXml(ctx, 'InitiateMultipartUploadResult', { Bucket: bucket, Key: key, UploadId: upload.uploadId });
}

/** The checksum algorithms a part request brings itself (header, trailer, or asked for by name). */
function algorithmsSent(ctx: RequestContext): ChecksumAlgorithm[] {
  const names = [...Object.keys(ctx.headers), ...(ctx.header('x-amz-trailer')?.split(',') ?? [])];
  const sent = names.map((name) => checksumAlgorithmFromHeader(name)).filter((a): a is ChecksumAlgorithm => a !== undefined);
  const named = ctx.header('x-amz-sdk-checksum-algorithm');
  const parsed = named === undefined ? undefined : parseChecksumAlgorithm(named);
  if (parsed !== undefined) sent.push(parsed);
  return [...new Set(sent)];
}

/**
 * A part of an upload created with a checksum algorithm must carry that
 * checksum or none (we compute it then): ListParts and the composite checksum
 * at completion need it for every part.
 */
function partChecksumComputer(upload: UploadRecord, sent: readonly ChecksumAlgorithm[]): { checksums: Record<string, StreamingChecksum> } | undefined {
  const algorithm = upload.checksumAlgorithm === undefined ? undefined : parseChecksumAlgorithm(upload.checksumAlgorithm);
  if (algorithm === undefined) return undefined;
  const other = sent.find((a) => a !== algorithm);
  if (other !== undefined) {
    throw new S3Error('InvalidRequest', `Checksum Type mismatch occurred, expected checksum Type: ${algorithm.toLowerCase()}, actual checksum Type: ${other.toLowerCase()}`);
  }
  return sent.includes(algorithm) ? undefined : { checksums: { [algorithm]: createChecksum(algorithm) } };
}

function partChecksumHeaders(part: PartRecord): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(part.checksums)) {
    const algorithm = parseChecksumAlgorithm(name);
    if (algorithm) headers[checksumHeaderName(algorithm)] = value;
  }
  return headers;
}

export async function uploadPart(ctx: RequestContext, auth: Authenticated, deps: S3Deps, params: Params<'object', 'partNumber' | 'uploadId'>): Promise<void> {
  const { bucket, key, uploadId, partNumber } = params;
  const upload = await deps.storage.multipart.requireUpload(bucket, key, uploadId);
  const computed = partChecksumComputer(upload, algorithmsSent(ctx));
  const body = openRequestBody(ctx, auth.verified, MAX_PART_SIZE);
  const part = await deps.storage.multipart.uploadPart(
    upload,
    partNumber,
    body.source,
    (written) => ({ ...body.checksums(), ...(written.checksums as Record<string, string>) }),
    { expectedLength: body.declaredSize, checksums: computed?.checksums },
  );
  sendEmpty(ctx, 200, { etag: `"${part.etag}"`, ...partChecksumHeaders(part) });
}

/** bytes=first-last, both required, inside the source (S3 allows nothing looser here). */
function copySourceRange(header: string | undefined, size: number): { start: number; end: number } | undefined {
  if (header === undefined) return undefined;
  const m = /^bytes=(\d{1,15})-(\d{1,15})$/.exec(header.trim());
  if (!m) {
    throw new S3Error('InvalidArgument', 'The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy', { ArgumentName: 'x-amz-copy-source-range', ArgumentValue: header });
  }
  const start = Number(m[1]);
  const end = Number(m[2]);
  if (start > end || end >= size) {
    throw new S3Error('InvalidArgument', `Range specified is not valid for source object of size: ${size}`, { ArgumentName: 'x-amz-copy-source-range', ArgumentValue: header });
  }
  return { start, end };
}

export async function uploadPartCopy(ctx: RequestContext, auth: Authenticated, deps: S3Deps, params: Params<'object', 'partNumber' | 'copySource' | 'uploadId'>): Promise<void> {
  const { bucket, key, uploadId, partNumber, copySource: source } = params;
  const upload = await deps.storage.multipart.requireUpload(bucket, key, uploadId);
  await checkCopySourceAccess(ctx, auth, deps, source);
  const computed = partChecksumComputer(upload, []);
  const found = await deps.storage.getObject(source.bucket, source.key, {
    versionId: source.versionId,
    range: (found) => {
      checkCopySourceConditions(ctx, found, deps.now());
      const range = copySourceRange(ctx.header('x-amz-copy-source-range'), found.size);
      const length = range ? range.end - range.start + 1 : found.size;
      if (length > MAX_PART_SIZE) throw new S3Error('EntityTooLarge', undefined, { ProposedSize: String(length), MaxSizeAllowed: String(MAX_PART_SIZE) });
      return range;
    },
  });
  const { object, range } = found;
  const body = found.body.stream();
  let part: PartRecord;
  try {
    part = await deps.storage.multipart.uploadPart(upload, partNumber, body, (written) => ({ ...(written.checksums as Record<string, string>) }), {
      expectedLength: range ? range.end - range.start + 1 : object.size,
      checksums: computed?.checksums,
    });
  } catch (e) {
    body.destroy();
    throw e;
  }
  const checksums = Object.fromEntries(Object.entries(part.checksums).map(([name, value]) => [`Checksum${name}`, value]));
  for (const [name, value] of Object.entries(copySourceVersionHeader(source, object))) ctx.res.setHeader(name, value);
  sendXml(ctx, 'CopyPartResult', { LastModified: xmlDate(part.lastModified), ETag: `"${part.etag}"`, ...checksums });
}

export async function abortMultipartUpload(ctx: RequestContext, _auth: Authenticated, deps: S3Deps, { bucket, key, uploadId }: Params<'object', 'uploadId'>): Promise<void> {
  await deps.storage.multipart.abort(bucket, key, uploadId);
  sendEmpty(ctx, 204);
}

/** The operations of this family, declared once: the router, the permission check and the free-space gate read these. */
export const MULTIPART_OPERATIONS = {
  CreateMultipartUpload: operation({ method: 'POST', target: 'object', query: ['uploads'], permissions: [{ action: 's3:PutObject', resource: 'object' }], space: 'stores', run: createMultipartUpload }),
  UploadPartCopy: operation({ method: 'PUT', target: 'object', query: ['uploadId'], header: 'x-amz-copy-source', params: ['partNumber', 'copySource', 'uploadId'], permissions: [{ action: 's3:PutObject', resource: 'object' }, { action: 's3:GetObject', resource: 'source-object' }], space: 'stores', run: uploadPartCopy }),
  UploadPart: operation({ method: 'PUT', target: 'object', query: ['uploadId'], params: ['partNumber', 'uploadId'], permissions: [{ action: 's3:PutObject', resource: 'object' }], space: 'stores', run: uploadPart }),
  AbortMultipartUpload: operation({ method: 'DELETE', target: 'object', query: ['uploadId'], params: ['uploadId'], permissions: [{ action: 's3:AbortMultipartUpload', resource: 'object' }], space: 'frees-or-reads', run: abortMultipartUpload }),
};
