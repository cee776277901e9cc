import type { Authenticated } from '../auth.js';
import { checkConditions } from '../conditions.js';
import type { RequestContext } from '../context.js';
import type { S3Deps } from '../deps.js';
import { sendBody } from '../send-body.js';
import { objectHeaders } from '../object-headers.js';
import { selectRange } from '../part-range.js';
import { permitVersion } from '../operation-params.js';
import { operation, type Params } from '../operation.js';

export function readConditions(ctx: RequestContext) {
  return {
    ifMatch: ctx.header('if-match'),
    ifNoneMatch: ctx.header('if-none-match'),
    ifModifiedSince: ctx.header('if-modified-since'),
    ifUnmodifiedSince: ctx.header('if-unmodified-since'),
  };
}

export async function headObject(ctx: RequestContext, auth: Authenticated, deps: S3Deps, params: Params<'object', 'versionId' | 'part' | 'responseOverrides'>): Promise<void> {
  const versionId = await permitVersion(ctx, auth, deps, params, 's3:GetObjectVersion');
  const object = await deps.storage.headObject(params.bucket, params.key, versionId);
  const headers = objectHeaders(ctx, object, auth.principal, params);
  checkConditions(readConditions(ctx), object, deps.now());
  const range = selectRange(ctx, object, headers, params.part);
  for (const [name, value] of Object.entries(headers)) ctx.res.setHeader(name, value);
  if (range) {
    ctx.res.statusCode = 206;
    ctx.res.setHeader('content-range', `bytes ${range.start}-${range.end}/${object.size}`);
    ctx.res.setHeader('content-length', range.end - range.start + 1);
  } else {
    ctx.res.setHeader('content-length', object.size);
  }
  ctx.res.end();
}

/** The descriptor is opened before the status line goes out: a DELETE or PUT meanwhile cannot cut the read short. */
export async function getObject(ctx: RequestContext, auth: Authenticated, deps: S3Deps, params: Params<'object', 'versionId' | 'part' | 'responseOverrides'>): Promise<void> {
  const versionId = await permitVersion(ctx, auth, deps, params, 's3:GetObjectVersion');
  let headers: Record<string, string> = {};
  const found = await deps.storage.getObject(params.bucket, params.key, {
    versionId,
    range: (found) => {
      headers = objectHeaders(ctx, found, auth.principal, params);
      checkConditions(readConditions(ctx), found, deps.now());
      return selectRange(ctx, found, headers, params.part);
    },
  });
  const { object, range, bytes } = found;
  for (const [name, value] of Object.entries(headers)) ctx.res.setHeader(name, value);
  if (range) {
    ctx.res.statusCode = 206;
    ctx.res.setHeader('content-range', `bytes ${range.start}-${range.end}/${object.size}`);
  }
  ctx.res.setHeader('content-length', range ? range.end - range.start + 1 : object.size);
  if (bytes !== undefined) {
    // A small object is already in memory: one write, no stream.
    ctx.bytesOut += bytes.length;
    ctx.res.end(bytes);
    return;
  }
  await sendBody(found.body, ctx.res, (n) => {
    ctx.bytesOut += n;
  });
}

/** The operations of this family, declared once: the router, the permission check and the free-space gate read these. */
export const OBJECT_READ_OPERATIONS = {
  GetObject: operation({ method: 'GET', target: 'object', params: ['versionId', 'part', 'responseOverrides'], permissions: [{ action: 's3:GetObject', resource: 'object' }], space: 'frees-or-reads', run: getObject }),
  HeadObject: operation({ method: 'HEAD', target: 'object', params: ['versionId', 'part', 'responseOverrides'], permissions: [{ action: 's3:GetObject', resource: 'object' }], space: 'frees-or-reads', run: headObject }),
};
