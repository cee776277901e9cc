import { parseChecksumAlgorithm } from '../../checksums.js';
import { S3Error } from '../../errors.js';
import { uriEncode } from '../../sigv4/uri-encode.js';
import type { Authenticated } from '../auth.js';
import { MAX_PART_NUMBER } from '../../storage/multipart-plan.js';
import type { RequestedPart } from '../../storage/multipart-plan.js';
import type { RequestContext } from '../context.js';
import type { S3Deps } from '../deps.js';
import { openRequestBody } from '../request-body.js';
import { sendXml } from '../respond.js';
import { asList, parseXml } from '../xml.js';
import { versionHeader } from './versions.js';
import { partNumberParam } from '../part-range.js';
import { operation, type Params } from '../operation.js';

/** 10,000 <Part> elements with an ETag and a SHA-256 each fit well inside this. */
const MAX_COMPLETE_BODY = 8 * 1024 * 1024;

async function readBody(ctx: RequestContext, auth: Authenticated): Promise<string> {
  const body = openRequestBody(ctx, auth.verified, MAX_COMPLETE_BODY);
  const chunks: Buffer[] = [];
  for await (const chunk of body.stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** <CompleteMultipartUpload><Part><PartNumber/><ETag/><ChecksumCRC32/>…</Part>…</CompleteMultipartUpload>. */
export function parseCompleteRequest(ctx: RequestContext, text: string): RequestedPart[] {
  if (text.trim() === '') throw new S3Error('MalformedXML');
  const root = parseXml(text)['CompleteMultipartUpload'];
  if (root === null || typeof root !== 'object') throw new S3Error('MalformedXML');
  const entries = asList((root as Record<string, unknown>)['Part']);
  if (entries.length === 0 || entries.length > MAX_PART_NUMBER) throw new S3Error('MalformedXML');
  return entries.map((entry) => {
    if (entry === null || typeof entry !== 'object') throw new S3Error('MalformedXML');
    const fields = entry as Record<string, unknown>;
    const number = fields['PartNumber'];
    const etag = fields['ETag'];
    if (typeof number !== 'string' || typeof etag !== 'string') throw new S3Error('MalformedXML');
    const checksums: Record<string, string> = {};
    for (const [name, value] of Object.entries(fields)) {
      const algorithm = name.startsWith('Checksum') ? parseChecksumAlgorithm(name.slice('Checksum'.length)) : undefined;
      if (algorithm !== undefined && typeof value === 'string') checksums[algorithm] = value.trim();
    }
    return { partNumber: partNumberParam(number.trim()), etag, checksums };
  });
}

export async function completeMultipartUpload(ctx: RequestContext, auth: Authenticated, deps: S3Deps, { bucket, key, uploadId }: Params<'object', 'uploadId'>): Promise<void> {
  const multipart = deps.storage.multipart;
  // NoSuchUpload before reading (and possibly failing on) the body, as S3 answers; a completed upload answers again as it did.
  const open = await multipart.getUpload(bucket, key, uploadId);
  const completed = open === null ? await multipart.completed(bucket, key, uploadId) : undefined;
  const requested = parseCompleteRequest(ctx, await readBody(ctx, auth));
  const { object, checksumType } = completed ?? (await multipart.complete(bucket, key, uploadId, requested));
  const checksums: Record<string, string> = {};
  for (const [name, value] of Object.entries(object.checksums)) checksums[`Checksum${name}`] = value;
  const scheme = ctx.header('x-forwarded-proto') === 'https' ? 'https' : 'http';
  for (const [name, value] of Object.entries(await versionHeader(deps, bucket, object.versionId))) ctx.res.setHeader(name, value);
  sendXml(ctx, 'CompleteMultipartUploadResult', {
    Location: `${scheme}://${ctx.header('host') ?? 'localhost'}/${bucket}/${uriEncode(key, true)}`,
    Bucket: bucket,
    Key: key,
    ETag: `"${object.etag}"`,
    ...checksums,
    ...(checksumType === undefined ? {} : { ChecksumType: checksumType }),
  });
}

/** The operations of this family, declared once: the router, the permission check and the free-space gate read these. */
export const MULTIPART_COMPLETE_OPERATIONS = {
  CompleteMultipartUpload: operation({ method: 'POST', target: 'object', query: ['uploadId'], params: ['uploadId'], permissions: [{ action: 's3:PutObject', resource: 'object' }], space: 'stores', run: completeMultipartUpload }),
};
