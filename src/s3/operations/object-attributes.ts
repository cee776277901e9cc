import { parseChecksumAlgorithm } from '../../checksums.js';
import type { ObjectPart, ObjectRecord } from '../../storage/types.js';
import type { Authenticated } from '../auth.js';
import type { RequestContext } from '../context.js';
import type { S3Deps } from '../deps.js';
import { httpDate } from '../http-dates.js';
import { sendXml } from '../respond.js';
import type { XmlNode, XmlValue } from '../xml.js';
import { permitVersion } from '../operation-params.js';
import { operation, type Params } from '../operation.js';

const MAX_PARTS = 1000;

/**
 * GetObjectAttributes: what HEAD tells and more (the parts of a multipart
 * object with their checksums), only the attributes named in
 * x-amz-object-attributes, in S3's element order.
 */
export async function getObjectAttributes(ctx: RequestContext, auth: Authenticated, deps: S3Deps, params: Params<'object', 'objectAttributes' | 'versionId'>): Promise<void> {
  const wanted = params.objectAttributes;
  const versionId = await permitVersion(ctx, auth, deps, params, 's3:GetObjectVersion');
  const object = await deps.storage.headObject(params.bucket, params.key, versionId);
  if (object.versionId !== undefined) ctx.res.setHeader('x-amz-version-id', object.versionId);
  ctx.res.setHeader('last-modified', httpDate(object.lastModified));
  const body: Record<string, XmlValue> = {};
  // S3 gives this ETag unquoted, unlike every other response.
  if (wanted.has('ETag')) body['ETag'] = object.etag;
  if (wanted.has('Checksum') && Object.keys(object.checksums).length > 0) body['Checksum'] = checksumElement(object);
  if (wanted.has('ObjectParts') && object.parts !== undefined) body['ObjectParts'] = partsElement(ctx, object.parts);
  if (wanted.has('StorageClass')) body['StorageClass'] = 'STANDARD';
  if (wanted.has('ObjectSize')) body['ObjectSize'] = object.size;
  sendXml(ctx, 'GetObjectAttributesResponse', body);
}

function checksumValues(checksums: Readonly<Record<string, string>>): Record<string, string> {
  const values: Record<string, string> = {};
  for (const [algorithm, value] of Object.entries(checksums)) {
    const parsed = parseChecksumAlgorithm(algorithm);
    if (parsed !== undefined) values[`Checksum${parsed}`] = value;
  }
  return values;
}

function checksumElement(object: ObjectRecord): XmlNode {
  // A multipart upload's composite checksum reads "<base64>-<parts>".
  const composite = Object.values(object.checksums).some((v) => /-\d+$/.test(v));
  return { ...checksumValues(object.checksums), ChecksumType: composite ? 'COMPOSITE' : 'FULL_OBJECT' };
}

/** S3 lists the parts only when they carry checksums; their count always. Bad paging headers are ignored, as S3 does. */
function partsElement(ctx: RequestContext, parts: readonly ObjectPart[]): XmlNode {
  const withChecksums = parts.some((p) => Object.keys(p.checksums).length > 0);
  if (!withChecksums) return { PartsCount: parts.length };
  const maxParts = headerInt(ctx.header('x-amz-max-parts'), MAX_PARTS, 0, MAX_PARTS);
  const marker = headerInt(ctx.header('x-amz-part-number-marker'), 0, 0, 10_000);
  const after = parts.filter((p) => p.partNumber > marker);
  const page = after.slice(0, maxParts);
  const truncated = after.length > page.length;
  return {
    IsTruncated: truncated,
    MaxParts: maxParts,
    ...(truncated ? { NextPartNumberMarker: page.at(-1)?.partNumber ?? marker } : {}),
    PartNumberMarker: marker,
    Part: page.map((p) => ({ ...checksumValues(p.checksums), PartNumber: p.partNumber, Size: p.size })),
    PartsCount: parts.length,
  };
}

function headerInt(text: string | undefined, fallback: number, min: number, max: number): number {
  if (text === undefined || !/^\d{1,6}$/.test(text)) return fallback;
  return Math.min(max, Math.max(min, Number(text)));
}

/** The operations of this family, declared once: the router, the permission check and the free-space gate read these. */
export const OBJECT_ATTRIBUTE_OPERATIONS = {
  // As AWS: the attributes action and read access to the object.
  GetObjectAttributes: operation({ method: 'GET', target: 'object', query: ['attributes'], params: ['objectAttributes', 'versionId'], permissions: [{ action: 's3:GetObjectAttributes', resource: 'object' }, { action: 's3:GetObject', resource: 'object' }], space: 'frees-or-reads', run: getObjectAttributes }),
};
