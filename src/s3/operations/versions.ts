import { S3Error } from '../../errors.js';
import type { Authenticated } from '../auth.js';
import type { VersioningStatus } from '../../storage/versions.js';
import type { RequestContext } from '../context.js';
import type { S3Deps } from '../deps.js';
import { xmlDate } from '../http-dates.js';
import { readXmlBody } from '../request-body.js';
import { sendEmpty, sendXml, sendXmlText } from '../respond.js';
import { S3_NAMESPACE, XML_DECLARATION, XmlSequence } from '../xml.js';
import { prefixes } from '../listing-params.js';
import { operation, type Params } from '../operation.js';
import { NULL_VERSION, requireBucket } from '../operation-params.js';

/*
 * Bucket versioning as S3 has it. A bucket never versioned answers as such a
 * bucket does on S3: every object's only version is "null". Once enabled, a
 * bucket is Enabled or Suspended, never unversioned again.
 */

/** `x-amz-version-id` for a version written or addressed: nothing in a bucket never versioned, "null" for the null version. */
export async function versionHeader(deps: S3Deps, bucket: string, versionId: string | undefined): Promise<Record<string, string>> {
  if (versionId !== undefined) return { 'x-amz-version-id': versionId };
  const status = await deps.metadata.getVersioning(bucket);
  return writtenVersionHeader(versionId, status !== null && status !== 'no-such-bucket');
}

/** versionHeader for a version just written, whose write told whether its bucket had versioning: no further read. */
export function writtenVersionHeader(versionId: string | undefined, versioned: boolean): Record<string, string> {
  if (versionId !== undefined) return { 'x-amz-version-id': versionId };
  return versioned ? { 'x-amz-version-id': NULL_VERSION } : {};
}

export async function getBucketVersioning(ctx: RequestContext, _auth: Authenticated, deps: S3Deps, params: Params<'bucket', never>): Promise<void> {
  const bucket = await requireBucket(deps, params.bucket);
  const status = await deps.metadata.getVersioning(bucket.name);
  if (status === null || status === 'no-such-bucket') {
    // What S3 answers for a bucket whose versioning was never set: no Status at all.
    sendXmlText(ctx, `${XML_DECLARATION}<VersioningConfiguration xmlns="${S3_NAMESPACE}"/>`);
    return;
  }
  sendXml(ctx, 'VersioningConfiguration', { Status: status });
}

export async function putBucketVersioning(ctx: RequestContext, auth: Authenticated, deps: S3Deps, params: Params<'bucket', never>): Promise<void> {
  const bucket = await requireBucket(deps, params.bucket);
  const xml = await readXmlBody(ctx, auth.verified, { optional: false });
  const root = xml?.['VersioningConfiguration'];
  const config = root !== null && typeof root === 'object' ? (root as Record<string, unknown>) : root === '' ? {} : undefined;
  if (config === undefined) throw new S3Error('MalformedXML');
  const status = config['Status'];
  const mfaDelete = config['MfaDelete'];
  if ((status !== 'Enabled' && status !== 'Suspended') || (mfaDelete !== undefined && mfaDelete !== 'Enabled' && mfaDelete !== 'Disabled')) {
    throw new S3Error('IllegalVersioningConfigurationException');
  }
  // MFA Delete needs a hardware token check this server has no notion of: refused, as S3-compatible servers without it do.
  if (mfaDelete === 'Enabled' || ctx.hasHeader('x-amz-mfa')) throw new S3Error('NotImplemented', 'MFA Delete is not supported.');
  const set = await deps.metadata.setVersioning(bucket.name, status satisfies VersioningStatus);
  if (set === 'no-such-bucket') throw new S3Error('NoSuchBucket', undefined, { BucketName: bucket.name });
  sendEmpty(ctx, 200);
}

type ListObjectVersionsParams = Params<'bucket', 'encoding' | 'maxKeys' | 'prefix' | 'delimiter' | 'keyMarker' | 'versionIdMarker'>;

export async function listObjectVersions(ctx: RequestContext, auth: Authenticated, deps: S3Deps, params: ListObjectVersionsParams): Promise<void> {
  const { bucket, encoding, versionIdMarker } = params;
  const keyMarker = params.keyMarker || undefined;
  const page = await deps.metadata.listObjectVersions({
    bucket, prefix: params.prefix, delimiter: params.delimiter, keyMarker, versionIdMarker, maxKeys: params.maxKeys,
  });
  if (page.kind === 'no-such-bucket') throw new S3Error('NoSuchBucket', undefined, { BucketName: bucket });
  const owner = auth.principal?.name ?? '';
  const ownerXml = { ID: owner, DisplayName: owner };
  sendXml(ctx, 'ListVersionsResult', {
    Name: bucket,
    Prefix: encoding.encode(params.prefix),
    KeyMarker: encoding.encode(params.keyMarker),
    VersionIdMarker: versionIdMarker ?? '',
    ...(page.nextKeyMarker === undefined ? {} : { NextKeyMarker: encoding.encode(page.nextKeyMarker) }),
    ...(page.nextVersionIdMarker === undefined ? {} : { NextVersionIdMarker: page.nextVersionIdMarker }),
    MaxKeys: params.maxKeys,
    ...(params.delimiter ? { Delimiter: encoding.encode(params.delimiter) } : {}),
    ...(encoding.type ? { EncodingType: encoding.type } : {}),
    IsTruncated: page.isTruncated,
    // In listing order: one key's versions and delete markers newest first, interleaved as S3 lists them.
    Entries: new XmlSequence(page.versions.map((v) => v.deleteMarker
      ? ['DeleteMarker', {
          Key: encoding.encode(v.key),
          VersionId: v.versionId ?? NULL_VERSION,
          IsLatest: v.isLatest,
          LastModified: xmlDate(v.lastModified),
          Owner: ownerXml,
        }]
      : ['Version', {
          Key: encoding.encode(v.key),
          VersionId: v.versionId ?? NULL_VERSION,
          IsLatest: v.isLatest,
          LastModified: xmlDate(v.lastModified),
          ETag: `"${v.etag}"`,
          ...(v.checksumAlgorithms.length > 0 ? { ChecksumAlgorithm: [...v.checksumAlgorithms], ChecksumType: 'FULL_OBJECT' } : {}),
          Size: v.size,
          Owner: ownerXml,
          StorageClass: 'STANDARD',
        }])),
    CommonPrefixes: prefixes(page, encoding),
  });
}

/** The operations of this family, declared once: the router, the permission check and the free-space gate read these. */
export const VERSION_OPERATIONS = {
  GetBucketVersioning: operation({ method: 'GET', target: 'bucket', query: ['versioning'], permissions: [{ action: 's3:GetBucketVersioning', resource: 'bucket' }], space: 'frees-or-reads', run: getBucketVersioning }),
  PutBucketVersioning: operation({ method: 'PUT', target: 'bucket', query: ['versioning'], permissions: [{ action: 's3:PutBucketVersioning', resource: 'bucket' }], space: 'stores', run: putBucketVersioning }),
  ListObjectVersions: operation({
    method: 'GET', target: 'bucket', query: ['versions'], params: ['encoding', 'maxKeys', 'prefix', 'delimiter', 'keyMarker', 'versionIdMarker'],
    permissions: [{ action: 's3:ListBucketVersions', resource: 'bucket' }], space: 'frees-or-reads', run: listObjectVersions,
  }),
};
