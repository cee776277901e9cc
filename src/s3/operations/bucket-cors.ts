import { S3Error } from '../../errors.js';
import type { Authenticated } from '../auth.js';
import type { RequestContext } from '../context.js';
import { corsRulesFromXml, corsRulesToXml, deserializeCorsRules, MAX_CORS_BODY, serializeCorsRules } from '../cors-config.js';
import type { S3Deps } from '../deps.js';
import { openRequestBody } from '../request-body.js';
import { sendEmpty, sendXmlText } from '../respond.js';
import { parseXml } from '../xml.js';
import { operation, type Params } from '../operation.js';
import { requireBucket } from '../operation-params.js';

export async function putBucketCors(ctx: RequestContext, auth: Authenticated, deps: S3Deps, params: Params<'bucket', never>): Promise<void> {
  const bucket = await requireBucket(deps, params.bucket);
  const body = openRequestBody(ctx, auth.verified, MAX_CORS_BODY);
  const parts: Buffer[] = [];
  for await (const chunk of body.stream) parts.push(chunk as Buffer);
  const text = Buffer.concat(parts).toString('utf8');
  if (text.trim() === '') throw new S3Error('MissingRequestBodyError');
  const rules = corsRulesFromXml(parseXml(text));
  if (!(await deps.identities.putBucketCors(bucket.name, serializeCorsRules(rules)))) {
    throw new S3Error('NoSuchBucket', undefined, { BucketName: bucket.name });
  }
  sendEmpty(ctx, 200);
}

export async function getBucketCors(ctx: RequestContext, _auth: Authenticated, deps: S3Deps, params: Params<'bucket', never>): Promise<void> {
  const bucket = await requireBucket(deps, params.bucket);
  const stored = await deps.identities.getBucketCors(bucket.name);
  if (stored === null) throw new S3Error('NoSuchCORSConfiguration', undefined, { BucketName: bucket.name });
  sendXmlText(ctx, corsRulesToXml(deserializeCorsRules(stored)));
}

export async function deleteBucketCors(ctx: RequestContext, _auth: Authenticated, deps: S3Deps, params: Params<'bucket', never>): Promise<void> {
  const bucket = await requireBucket(deps, params.bucket);
  // Idempotent, as in S3: deleting an absent configuration is still 204.
  await deps.identities.deleteBucketCors(bucket.name);
  sendEmpty(ctx, 204);
}

/** The operations of this family, declared once: the router, the permission check and the free-space gate read these. */
export const BUCKET_CORS_OPERATIONS = {
  GetBucketCors: operation({ method: 'GET', target: 'bucket', query: ['cors'], permissions: [{ action: 's3:GetBucketCORS', resource: 'bucket' }], space: 'frees-or-reads', run: getBucketCors }),
  PutBucketCors: operation({ method: 'PUT', target: 'bucket', query: ['cors'], permissions: [{ action: 's3:PutBucketCORS', resource: 'bucket' }], space: 'stores', run: putBucketCors }),
  // AWS has no separate delete action: removing the configuration needs s3:PutBucketCORS.
  DeleteBucketCors: operation({ method: 'DELETE', target: 'bucket', query: ['cors'], permissions: [{ action: 's3:PutBucketCORS', resource: 'bucket' }], space: 'frees-or-reads', run: deleteBucketCors }),
};
