import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../logger.js';
import { ANONYMOUS, type Authenticated, type Claim } from './auth.js';
import { RequestContext, type RequestContexts } from './context.js';
import { sendFailure, type ErrorFlavour } from './error-response.js';
import { newOutcome, type Outcome, type OutcomeRecord } from './outcome.js';
import type { SlowBodyGuard } from './slow-body-guard.js';

/*
 * Every API on the S3 port (S3 itself with its POST form uploads, STS, the
 * admin API, health, the upload page) runs through the same stages, each a
 * function with a typed input and output:
 *
 *   address → resolve (route) → authenticate (claim, verify) → admit (link controls)
 *     → authorise → run (the operation) → respond / log / audit
 *
 * Each stage's output is an argument of the later ones, never a field of the
 * RequestContext; what the log, metrics and audit read at the end is the
 * request's Outcome, which only this module writes, from those outputs.
 * Failures from any stage are answered in one place (sendFailure), in the
 * API's own error flavour (S3 XML, STS XML, admin JSON).
 */

/** Where a request points: S3's bucket and key (src/s3/addressing.ts). */
export interface Location {
  readonly bucket?: string | undefined;
  readonly key?: string | undefined;
}

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
 * One API's stages. `L` is where the request points (S3's address), `R` what
 * resolve finds (the operation and its parameters), `A` what authenticate
 * finds (who signed, and for S3's form uploads the form they signed): each
 * later stage is handed what the earlier ones returned.
 */
export interface Api<R extends Resolved, A extends Authenticated = Authenticated, L extends Location = Location> {
  readonly errors: ErrorFlavour;
  matches(ctx: RequestContext): boolean;
  /** Bucket and key (S3); absent for APIs that have none. */
  address?(ctx: RequestContext): L;
  /** The route, or the stage's own answer (a CORS preflight). */
  resolve(ctx: RequestContext, location: L): Promise<R | SelfAnswered> | R | SelfAnswered;
  /** How the request says it is signed, and the check of it; absent for endpoints that take no credentials. */
  authenticate?(ctx: RequestContext, request: R): Claim<A> | Promise<Claim<A>>;
  /** Pre-signed link controls: refuses revoked or misused links. */
  admit?(ctx: RequestContext, request: R, auth: A): Promise<LinkUse | undefined>;
  /** Throws unless the caller may do what the request asks. */
  authorise?(ctx: RequestContext, request: R, auth: A): Promise<void>;
  run(ctx: RequestContext, request: R, auth: A): Promise<void>;
}

const NO_LOCATION: Location = {};

/** The stages, in order, for one request to one API; what each returns is recorded in `outcome`. */
async function runStages<R extends Resolved, A extends Authenticated, L extends Location>(ctx: RequestContext, api: Api<R, A, L>, outcome: OutcomeRecord): Promise<void> {
  const location = api.address?.(ctx) ?? (NO_LOCATION as L);
  outcome.bucket = location.bucket;
  outcome.key = location.key;
  const request = await api.resolve(ctx, location);
  outcome.operation = request.name;
  if (isSelfAnswered(request)) return request.answer();
  // An API whose credentials carry more than the signature has an authenticate stage, which answers for anonymous requests too.
  // Most claims are made without I/O: no await (and its turn of the microtask queue) for those.
  let claim = api.authenticate?.(ctx, request);
  if (claim instanceof Promise) claim = await claim;
  let auth = ANONYMOUS as A;
  if (claim !== undefined) {
    outcome.authType = claim.authType;
    if (claim.key !== undefined) outcome.key = claim.key;
    auth = await claim.verify();
    outcome.authType = auth.authType;
    outcome.principal = auth.principal;
  }
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
  readonly metrics?: { observe(ctx: RequestContext, outcome: Outcome): void };
  /** Request ids, remembered query parses, trusted proxies: one per server, made by the composition root. */
  readonly contexts?: RequestContexts;
}

/** The server's one request handler: a context, the API that claims the request, its stages, its error flavour, the log. */
export function createPipeline(deps: PipelineDeps): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const ctx = new RequestContext(req, res, deps.contexts);
    const outcome = newOutcome();
    res.setHeader('x-amz-request-id', ctx.id);
    res.setHeader('server', 'Latchkey');
    res.once('close', () => {
      logRequest(deps.logger, ctx, outcome);
      deps.metrics?.observe(ctx, outcome);
    });
    deps.bodyGuard?.watch(ctx, outcome);
    const api = deps.apis.find((a) => a.matches(ctx)) ?? deps.fallback;
    runStages(ctx, api, outcome).catch((error: unknown) => {
      outcome.failure = error;
      sendFailure(ctx, outcome, error, deps.logger, api.errors);
    });
  };
}

function logRequest(logger: Logger, ctx: RequestContext, outcome: Outcome): void {
  logger.info('request', {
    requestId: ctx.id,
    operation: outcome.operation ?? 'unknown',
    method: ctx.method,
    bucket: outcome.bucket,
    key: outcome.key,
    status: ctx.res.statusCode,
    bytes: ctx.bytesOut,
    ...(ctx.bytesIn > 0 ? { bytesIn: ctx.bytesIn } : {}),
    ms: Math.round((performance.now() - ctx.startedAt) * 10) / 10,
    auth: outcome.authType,
    accessKeyId: outcome.principal?.accessKeyId,
    ip: ctx.clientIp,
  });
}
