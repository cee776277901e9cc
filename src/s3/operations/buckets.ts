import { S3Error } from '../../errors.js';
import type { Authenticated } from '../auth.js';
import { refuseAclHeaders } from '../acl-headers.js';
import { refuseObjectLockBucket } from '../write-options.js';
import { requireOwnerEnforced } from '../object-ownership.js';
import { encodeToken } from '../continuation-token.js';
import { requireValidBucketName } from '../bucket-name.js';
import type { RequestContext } from '../context.js';
import { xmlDate } from '../http-dates.js';
import { readXmlBody } from '../request-body.js';
import { sendEmpty, sendXml, sendXmlText } from '../respond.js';
import { escapeXml, S3_NAMESPACE, XML_DECLARATION } from '../xml.js';
import type { S3Deps } from '../deps.js';
import { operation, type Params } from '../operation.js';
import { requireBucket } from '../operation-params.js';

function owner(auth: Authenticated): string {
  return auth.principal?.name ?? 'anonymous';
}

export async function listBuckets(ctx: RequestContext, auth: Authenticated, deps: S3Deps, params: Params<'service', 'maxBuckets' | 'continuationToken' | 'bucketPrefix' | 'bucketRegion'>): Promise<void> {
  const { maxBuckets, bucketPrefix: prefix, bucketRegion: region } = params;
  const after = params.continuationToken?.after;
  const matching = (await deps.metadata.listBuckets()).filter(
    (b) => (prefix === undefined || b.name.startsWith(prefix))
      && (region === undefined || (b.region ?? deps.region) === region)
      && (after === undefined || b.name > after),
  );
  const page = matching.slice(0, maxBuckets);
  const last = page.at(-1);
  sendXml(ctx, 'ListAllMyBucketsResult', {
    Owner: { ID: owner(auth), DisplayName: owner(auth) },
    Buckets: { Bucket: page.map((b) => ({ Name: b.name, CreationDate: xmlDate(b.createdAt), BucketRegion: b.region ?? deps.region })) },
    ...(matching.length > page.length && last !== undefined ? { ContinuationToken: encodeToken(last.name) } : {}),
    ...(prefix === undefined ? {} : { Prefix: prefix }),
  });
}

export async function createBucket(ctx: RequestContext, auth: Authenticated, deps: S3Deps, { bucket: name }: Params<'bucket', never>): Promise<void> {
  requireValidBucketName(name);
  refuseAclHeaders(ctx, 'bucket');
  refuseObjectLockBucket((name) => ctx.header(name));
  const ownership = ctx.header('x-amz-object-ownership');
  if (ownership !== undefined) requireOwnerEnforced(ownership);
  const body = await readXmlBody(ctx, auth.verified, { optional: true });
  const constraint = body ? locationConstraint(body) : undefined;
  if (constraint !== undefined && constraint !== '') checkLocationConstraint(constraint, deps.region);
  const result = await deps.metadata.createBucket({ name, owner: owner(auth), region: deps.region });
  if (result.kind === 'exists') {
    throw new S3Error(result.ownedByCaller ? 'BucketAlreadyOwnedByYou' : 'BucketAlreadyExists', undefined, { BucketName: name });
  }
  sendEmpty(ctx, 200, { location: `/${name}` });
}

/**
 * As S3: a constraint naming this region is accepted, except us-east-1, which
 * S3 expresses as no constraint at all and refuses when named.
 */
function checkLocationConstraint(constraint: string, region: string): void {
  if (constraint !== region) {
    throw new S3Error('IllegalLocationConstraintException', `The ${constraint} location constraint is incompatible for the region specific endpoint this request was sent to.`);
  }
  if (constraint === 'us-east-1') throw new S3Error('InvalidLocationConstraint');
}

function locationConstraint(body: Record<string, unknown>): string | undefined {
  const config = body['CreateBucketConfiguration'];
  if (config === undefined || config === '') return undefined;
  if (typeof config !== 'object' || config === null) throw new S3Error('MalformedXML');
  const value = (config as Record<string, unknown>)['LocationConstraint'];
  return typeof value === 'string' ? value : undefined;
}

export async function headBucket(ctx: RequestContext, _auth: Authenticated, deps: S3Deps, params: Params<'bucket', never>): Promise<void> {
  const bucket = await requireBucket(deps, params.bucket);
  sendEmpty(ctx, 200, { 'x-amz-bucket-region': bucket.region ?? deps.region });
}

export async function deleteBucket(ctx: RequestContext, _auth: Authenticated, deps: S3Deps, { bucket: name }: Params<'bucket', never>): Promise<void> {
  const result = await deps.metadata.deleteBucket(name);
  if (result.kind === 'no-such-bucket') throw new S3Error('NoSuchBucket', undefined, { BucketName: name });
  if (result.kind === 'not-empty') throw new S3Error('BucketNotEmpty', undefined, { BucketName: name });
  sendEmpty(ctx, 204);
}

export async function getBucketLocation(ctx: RequestContext, _auth: Authenticated, deps: S3Deps, params: Params<'bucket', never>): Promise<void> {
  const bucket = await requireBucket(deps, params.bucket);
  const region = bucket.region ?? deps.region;
  // S3 reports the original region, us-east-1, as an empty constraint.
  const text = region === 'us-east-1' ? '' : escapeXml(region);
  sendXmlText(ctx, `${XML_DECLARATION}<LocationConstraint xmlns="${S3_NAMESPACE}">${text}</LocationConstraint>`);
}

/** The operations of this family, declared once: the router, the permission check and the free-space gate read these. */
export const BUCKET_OPERATIONS = {
  ListBuckets: operation({ method: 'GET', target: 'service', params: ['maxBuckets', 'continuationToken', 'bucketPrefix', 'bucketRegion'], permissions: [{ action: 's3:ListAllMyBuckets', resource: 'service' }], space: 'frees-or-reads', run: listBuckets }),
  CreateBucket: operation({ method: 'PUT', target: 'bucket', permissions: [{ action: 's3:CreateBucket', resource: 'bucket' }], space: 'stores', run: createBucket }),
  HeadBucket: operation({ method: 'HEAD', target: 'bucket', permissions: [{ action: 's3:ListBucket', resource: 'bucket' }], space: 'frees-or-reads', run: headBucket }),
  DeleteBucket: operation({ method: 'DELETE', target: 'bucket', permissions: [{ action: 's3:DeleteBucket', resource: 'bucket' }], space: 'frees-or-reads', run: deleteBucket }),
  GetBucketLocation: operation({ method: 'GET', target: 'bucket', query: ['location'], permissions: [{ action: 's3:GetBucketLocation', resource: 'bucket' }], space: 'frees-or-reads', run: getBucketLocation }),
};
