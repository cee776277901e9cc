import type { IncomingMessage, ServerResponse } from 'node:http';
import { S3Error } from '../errors.js';
import type { TrustedProxies } from '../http/client-address.js';
import type { Logger } from '../logger.js';
import type { VerifiedAuth } from '../sigv4/verify.js';
import { resolveAddress } from './addressing.js';
import { S3_OPERATION_ACTIONS, bucketArn, objectArn, SERVICE_RESOURCE_ARN } from '../iam/index.js';
import { authenticate, type AuthDeps } from './auth.js';
import { authenticateForm } from './post-object/post-auth.js';
import type { Authorizer } from './authorize.js';
import { RequestContext } from './context.js';
import { addCorsHeaders, answerPreflight, isCorsResponseHeader, type CorsSource } from './cors.js';
import { renderError, toS3Error } from './error-response.js';
import { asS3Error } from './library-errors.js';
import { findRoute, type OperationName, type Target } from './routes.js';
import type { SlowBodyGuard } from './slow-body-guard.js';
import type { FreeSpaceGate } from './free-space-gate.js';

export interface OperationDeps {
  readonly region: string;
  readonly now: () => number;
  readonly authorizer: Authorizer;
}

/** Another API on the same port (admin, STS): it claims requests and renders its own errors. */
export interface Extension {
  matches(ctx: RequestContext): boolean;
  handle(ctx: RequestContext): Promise<void>;
}

export type Operation<D> = (ctx: RequestContext, auth: VerifiedAuth, deps: D) => Promise<void>;

export interface HandlerDeps<D extends OperationDeps> {
  readonly auth: AuthDeps;
  readonly domain: string | undefined;
  readonly logger: Logger;
  readonly operations: Readonly<Record<OperationName, Operation<D>>>;
  readonly operationDeps: D;
  readonly extensions?: readonly Extension[];
  /** Per-bucket CORS rules: answers OPTIONS preflights and adds Access-Control-* headers for browsers. */
  readonly cors?: CorsSource;
  /** Latchkey's pre-signed link controls (src/links/): revocation, X-Latchkey-* parameters, audit. */
  readonly links?: LinkGate;
  /** Cuts off request bodies slower than --body-timeout allows, whichever API reads them. */
  readonly bodyGuard?: SlowBodyGuard;
  /** --min-free: refuses writes (507) that would eat into the reserve, before their body is read. */
  readonly space?: FreeSpaceGate;
  /** Told of each request once it is over (src/server/metrics.ts). */
  readonly metrics?: { observe(ctx: RequestContext): void };
  /** Proxies whose X-Forwarded-For names the client (--trusted-proxy). */
  readonly trustedProxies?: TrustedProxies;
}

export interface LinkGate {
  /** After signature verification: refuses revoked or misused links; `reserveUse` runs once the request is authorized. */
  admit(ctx: RequestContext, auth: VerifiedAuth): Promise<{ reserveUse(): Promise<void> }>;
}

/** One request: address → route → authenticate → link controls → authorize → operation; errors rendered in one place. */
export function createS3Handler<D extends OperationDeps>(deps: HandlerDeps<D>): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const ctx = new RequestContext(req, res, deps.trustedProxies);
    res.setHeader('x-amz-request-id', ctx.id);
    res.setHeader('server', 'Latchkey');
    res.once('close', () => {
      logRequest(deps.logger, ctx);
      deps.metrics?.observe(ctx);
    });
    deps.bodyGuard?.watch(ctx);
    const extension = deps.extensions?.find((e) => e.matches(ctx));
    (extension ? extension.handle(ctx) : handle(ctx, deps)).catch((error: unknown) => sendError(ctx, error, deps.logger));
  };
}

async function handle<D extends OperationDeps>(ctx: RequestContext, deps: HandlerDeps<D>): Promise<void> {
  const address = resolveAddress(ctx.header('host'), ctx.wirePath, deps.domain);
  ctx.bucket = address.bucket;
  ctx.key = address.key;
  ctx.virtualHosted = address.style === 'virtual-hosted';
  const target: Target = address.bucket === undefined ? 'service' : address.key === undefined ? 'bucket' : 'object';
  if (deps.cors) {
    // Before authentication: a preflight carries no credentials, and a failed request's CORS headers let the page read why.
    if (ctx.method === 'OPTIONS') return answerPreflight(ctx, deps.cors);
    await addCorsHeaders(ctx, deps.cors);
  }
  const route = findRoute({ method: ctx.method, target, query: ctx.query, hasHeader: (name) => ctx.hasHeader(name) });
  ctx.operation = route.operation;
  // A form's credentials are in its body: the reserve is checked before that body is read, as for every upload.
  if (route.credentials === 'form') await deps.space?.admit(ctx, route.operation);
  const verified =
    route.credentials === 'form'
      ? await authenticateForm(ctx, deps.auth)
      : await authenticate(ctx, deps.auth, { virtualHostBucket: ctx.virtualHosted ? address.bucket : undefined });
  const link = await deps.links?.admit(ctx, verified);
  for (const { action, resource } of S3_OPERATION_ACTIONS[route.operation]) {
    // A copy's source, each key of a multi-delete and the tags a PutObjectTagging body sets are checked by the operation, which knows them.
    if (resource === 'source-object' || route.operation === 'DeleteObjects' || route.operation === 'PutObjectTagging') continue;
    const arn = resource === 'service' ? SERVICE_RESOURCE_ARN : resource === 'bucket' ? bucketArn(ctx.bucket ?? '') : objectArn(ctx.bucket ?? '', ctx.key ?? '');
    await deps.operationDeps.authorizer.check(ctx, verified, action, arn, ctx.bucket);
  }
  // Before a link's use is counted: a refused write has not used it.
  if (route.credentials !== 'form') await deps.space?.admit(ctx, route.operation);
  await link?.reserveUse();
  try {
    await deps.operations[route.operation](ctx, verified, deps.operationDeps);
  } catch (error) {
    throw await hideMissingKey(ctx, verified, deps.operationDeps, error);
  }
}

/**
 * As S3 does: a caller who may not list the bucket learns nothing about which
 * keys exist, so a missing key is AccessDenied to them rather than NoSuchKey.
 */
async function hideMissingKey(ctx: RequestContext, verified: VerifiedAuth, deps: OperationDeps, error: unknown): Promise<unknown> {
  if (!(error instanceof S3Error) || error.code !== 'NoSuchKey' || ctx.bucket === undefined || ctx.principal?.kind === 'root') return error;
  const mayList = await deps.authorizer.allows(ctx, verified, 's3:ListBucket', bucketArn(ctx.bucket), ctx.bucket);
  return mayList ? error : new S3Error('AccessDenied');
}

export function sendError(ctx: RequestContext, error: unknown, logger: Logger): void {
  const { res, req } = ctx;
  ctx.failure = error;
  if (res.headersSent) {
    // Mid-body failure (often the client leaving): the status is gone, so the only honest signal is a cut connection.
    res.destroy();
    return;
  }
  const s3Error = toS3Error(error);
  if (asS3Error(error) === undefined) {
    logger.error('internal error', { requestId: ctx.id, error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  }
  const rendered = renderError(s3Error, ctx.resource, ctx.id, { method: ctx.method, accept: ctx.header('accept') });
  for (const name of res.getHeaderNames()) if (name !== 'x-amz-request-id' && name !== 'server' && !isCorsResponseHeader(name)) res.removeHeader(name);
  res.statusCode = rendered.status;
  for (const [name, value] of Object.entries(rendered.headers)) res.setHeader(name, value);
  // An unread upload body would otherwise be drained byte by byte before the next request.
  if (!req.complete && req.headers['content-length'] !== '0') res.setHeader('connection', 'close');
  if (ctx.method === 'HEAD' || rendered.status === 304) {
    res.end();
    return;
  }
  const length = Buffer.byteLength(rendered.body);
  res.setHeader('content-length', length);
  ctx.bytesOut += length;
  res.end(rendered.body);
}

function logRequest(logger: Logger, ctx: RequestContext): void {
  logger.info('request', {
    requestId: ctx.id,
    operation: ctx.operation ?? 'unknown',
    method: ctx.method,
    bucket: ctx.bucket,
    key: ctx.key,
    status: ctx.res.statusCode,
    bytes: ctx.bytesOut,
    ...(ctx.bytesIn > 0 ? { bytesIn: ctx.bytesIn } : {}),
    ms: Math.round((performance.now() - ctx.startedAt) * 10) / 10,
    auth: ctx.authType,
    accessKeyId: ctx.principal?.accessKeyId,
    ip: ctx.clientIp,
  });
}
