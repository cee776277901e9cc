import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../logger.js';
import type { VerifiedAuth } from '../sigv4/verify.js';
import { RequestContext, type RequestContexts } from './context.js';
import { sendFailure, type ErrorFlavour } from './error-response.js';
import type { SlowBodyGuard } from './slow-body-guard.js';

/*
 * Every API on the S3 port (S3 itself with its POST form uploads, STS, the
 * admin API, health, the upload page) runs through the same stages, each a
 * function with a typed input and output:
 *
 *   resolve (address, route) → authenticate → admit (link controls)
 *     → authorise → run (the operation) → respond / log / audit
 *
 * Failures from any stage are answered in one place (sendFailure), in the
 * API's own error flavour (S3 XML, STS XML, admin JSON).
 */

/** What an API's resolve stage found the request asks for. */
export interface Resolved {
  /** The operation, for the request log (ListObjectsV2, Admin:iam:CreateUser, STS:AssumeRole…). */
  readonly name: string;
}

/** A request the resolve stage answers itself (a CORS preflight): its answer runs instead of the later stages. */
export interface SelfAnswered extends Resolved {
  readonly answer: () => Promise<void>;
}

function isSelfAnswered(request: Resolved): request is SelfAnswered {
  return 'answer' in request;
}

/** A link's use, counted once the request is authorised (src/links/). */
export interface LinkUse {
  reserveUse(): Promise<void>;
}

/**
 * One API's stages. `R` is what resolve finds (the operation and its
 * address), `A` what authenticate finds (who signed, and for S3's form
 * uploads the form they signed): each later stage is handed both.
 */
export interface Api<R extends Resolved, A extends VerifiedAuth = VerifiedAuth> {
  readonly errors: ErrorFlavour;
  matches(ctx: RequestContext): boolean;
  /** Address and route, or the stage's own answer (a CORS preflight). */
  resolve(ctx: RequestContext): Promise<R | SelfAnswered> | R | SelfAnswered;
  /** Who signed; absent for endpoints that take no credentials. */
  authenticate?(ctx: RequestContext, request: R): Promise<A>;
  /** Pre-signed link controls: refuses revoked or misused links. */
  admit?(ctx: RequestContext, request: R, auth: A): Promise<LinkUse | undefined>;
  /** Throws unless the caller may do what the request asks. */
  authorise?(ctx: RequestContext, request: R, auth: A): Promise<void>;
  run(ctx: RequestContext, request: R, auth: A): Promise<void>;
}

const ANONYMOUS: VerifiedAuth = { version: 0 };

/** The stages, in order, for one request to one API. */
export async function runStages<R extends Resolved, A extends VerifiedAuth>(ctx: RequestContext, api: Api<R, A>): Promise<void> {
  const request = await api.resolve(ctx);
  ctx.operation = request.name;
  if (isSelfAnswered(request)) return request.answer();
  // An API whose credentials carry more than the signature has an authenticate stage, which answers for anonymous requests too.
  const auth = (await api.authenticate?.(ctx, request)) ?? (ANONYMOUS as A);
  const use = await api.admit?.(ctx, request, auth);
  await api.authorise?.(ctx, request, auth);
  await use?.reserveUse();
  await api.run(ctx, request, auth);
}

export interface PipelineDeps {
  readonly logger: Logger;
  /** Tried in order (health, upload page, admin, STS); each claims its own requests. */
  readonly apis: readonly Api<Resolved>[];
  /** What every other request is: S3. */
  readonly fallback: Api<Resolved>;
  /** Cuts off request bodies slower than --body-timeout allows, whichever API reads them. */
  readonly bodyGuard?: SlowBodyGuard;
  /** Told of each request once it is over (src/server/metrics.ts). */
  readonly metrics?: { observe(ctx: RequestContext): void };
  /** Request ids, remembered query parses, trusted proxies: one per server, made by the composition root. */
  readonly contexts?: RequestContexts;
}

/** The server's one request handler: a context, the API that claims the request, its stages, its error flavour, the log. */
export function createPipeline(deps: PipelineDeps): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const ctx = new RequestContext(req, res, deps.contexts);
    res.setHeader('x-amz-request-id', ctx.id);
    res.setHeader('server', 'Latchkey');
    res.once('close', () => {
      logRequest(deps.logger, ctx);
      deps.metrics?.observe(ctx);
    });
    deps.bodyGuard?.watch(ctx);
    const api = deps.apis.find((a) => a.matches(ctx)) ?? deps.fallback;
    runStages(ctx, api).catch((error: unknown) => sendFailure(ctx, error, deps.logger, api.errors));
  };
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
