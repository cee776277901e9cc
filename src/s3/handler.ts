import type { IncomingMessage, ServerResponse } from 'node:http';
import { S3Error } from '../errors.js';
import { bucketArn } from '../iam/index.js';
import type { Logger } from '../logger.js';
import type { Address } from './addressing.js';
import { identify, type AuthDeps, type Authenticated, type Claim } from './auth.js';
import type { RequestContext, RequestContexts } from './context.js';
import { addCorsHeaders, answerPreflight, type CorsSource } from './cors.js';
import type { OperationDeps, S3Deps } from './deps.js';
import { S3_ERRORS } from './error-response.js';
import type { FreeSpaceGate } from './free-space-gate.js';
import type { AnyOperation, Credentials, Target } from './operation.js';
import { PARAM_PARSERS } from './operation-params.js';
import type { OperationName } from './operations/index.js';
import { resourceArn } from './permissions.js';
import { createPipeline, type Api, type LinkUse, type PipelineDeps, type Resolved, type SelfAnswered } from './pipeline.js';
import { claimForm } from './post-object/post-auth.js';
import { Router } from './routes.js';
import type { SlowBodyGuard } from './slow-body-guard.js';

export interface HandlerDeps {
  readonly auth: AuthDeps;
  readonly logger: Logger;
  /** The declared operations (src/s3/operations/index.ts): the router and the permission check are derived from them. */
  readonly operations: Readonly<Record<OperationName, AnyOperation>>;
  readonly operationDeps: S3Deps;
  /** The other APIs on the same port (health, upload page, admin, STS), tried before S3. */
  readonly apis?: readonly Api<Resolved>[];
  /** Per-bucket CORS rules: answers OPTIONS preflights and adds Access-Control-* headers for browsers. */
  readonly cors?: CorsSource;
  /** Latchkey's pre-signed link controls (src/links/): revocation, X-Latchkey-* parameters, audit. */
  readonly links?: LinkGate;
  /** Cuts off request bodies slower than --body-timeout allows, whichever API reads them. */
  readonly bodyGuard?: SlowBodyGuard;
  /** --min-free: refuses writes (507) that would eat into the reserve, before their body is read. */
  readonly space?: FreeSpaceGate;
  /** Told of each request once it is over (src/server/metrics.ts). */
  readonly metrics?: PipelineDeps['metrics'];
  /** Request ids, remembered query parses, trusted proxies (--trusted-proxy), the --domain that addresses read: one per server. */
  readonly contexts?: RequestContexts;
}

/** What a link's controls and audit are told of the request: the resolved operation and its address (a form's key once read). */
export interface LinkTarget {
  readonly operation: string;
  readonly bucket: string | undefined;
  readonly key: string | undefined;
}

export interface LinkGate {
  /** After signature verification: refuses revoked or misused links; `reserveUse` runs once the request is authorized. */
  admit(ctx: RequestContext, auth: Authenticated, target: LinkTarget): Promise<LinkUse>;
}

/** The S3 port's handler: every API on it through the one pipeline, S3 last. */
export function createS3Handler(deps: HandlerDeps): (req: IncomingMessage, res: ServerResponse) => void {
  return createPipeline({
    logger: deps.logger,
    apis: deps.apis ?? [],
    fallback: s3Api(deps),
    ...(deps.bodyGuard === undefined ? {} : { bodyGuard: deps.bodyGuard }),
    ...(deps.metrics === undefined ? {} : { metrics: deps.metrics }),
    ...(deps.contexts === undefined ? {} : { contexts: deps.contexts }),
  });
}

/** What the resolve stage finds in an S3 request: its address and the declared operation it names. */
interface S3Request extends Resolved {
  readonly name: OperationName;
  readonly operation: AnyOperation;
  readonly address: Address;
  readonly target: Target;
}

function s3Api(deps: HandlerDeps): Api<S3Request, Credentials, Address> {
  const router = new Router(deps.operations);
  return {
    errors: S3_ERRORS,
    matches: () => true,
    address: (ctx) => ctx.address,
    resolve: (ctx, address) => resolveS3(ctx, address, deps, router),
    authenticate(ctx, { name, operation, address }) {
      if (operation.credentials !== 'form') return identify(ctx, deps.auth, { virtualHostBucket: address.style === 'virtual-hosted' ? address.bucket : undefined });
      return reserveThenClaimForm(ctx, name, address, deps);
    },
    admit: (ctx, { name, address }, auth) => deps.links?.admit(ctx, auth, { operation: name, bucket: address.bucket, key: auth.form?.key ?? address.key }) ?? Promise.resolve(undefined),
    async authorise(ctx, { name, operation, address }, auth) {
      if (operation.authorises === undefined) {
        // The key of a form upload, and the tags it sets, are known only once its fields are read.
        const own = { bucket: address.bucket ?? '', key: auth.form?.key ?? address.key ?? '' };
        for (const { action, resource } of operation.permissions) {
          // A copy's source is checked by the operation, which parses it.
          if (resource === 'source-object') continue;
          await deps.operationDeps.authorizer.check(ctx, auth, action, resourceArn(name, resource, own), address.bucket, auth.form?.tags);
        }
      }
      // Before a link's use is counted: a refused write has not used it.
      if (operation.credentials !== 'form') await deps.space?.admit(ctx, name);
    },
    async run(ctx, { operation, target, address }, auth) {
      try {
        const params: Record<string, unknown> = target === 'service' ? {} : target === 'bucket' ? { bucket: address.bucket } : { bucket: address.bucket, key: address.key };
        for (const param of operation.params ?? []) params[param] = PARAM_PARSERS[param](ctx);
        await operation.run(ctx, auth, deps.operationDeps, params as never);
      } catch (error) {
        throw await hideMissingKey(ctx, auth, address, deps.operationDeps, error);
      }
    },
  };
}

/** A form's credentials are in its body: the reserve is checked before that body is read, as for every upload. */
async function reserveThenClaimForm(ctx: RequestContext, name: OperationName, address: Address, deps: HandlerDeps): Promise<Claim<Credentials>> {
  await deps.space?.admit(ctx, name);
  return claimForm(ctx, deps.auth, { bucket: address.bucket, virtualHosted: address.style === 'virtual-hosted' });
}

/** CORS, then the declared operation the method, target, query and headers select. */
async function resolveS3(ctx: RequestContext, address: Address, deps: HandlerDeps, router: Router<OperationName>): Promise<S3Request | SelfAnswered> {
  const target: Target = address.bucket === undefined ? 'service' : address.key === undefined ? 'bucket' : 'object';
  if (deps.cors) {
    // Before authentication: a preflight carries no credentials, and a failed request's CORS headers let the page read why.
    const cors = deps.cors;
    if (ctx.method === 'OPTIONS') return { name: 'PreflightCors', answer: () => answerPreflight(ctx, address, cors) };
    await addCorsHeaders(ctx, address.bucket, deps.cors);
  }
  const { name, operation } = router.find({ method: ctx.method, target, query: ctx.query, hasHeader: (header) => ctx.hasHeader(header) });
  return { name, operation, address, target };
}

/**
 * As S3 does: a caller who may not list the bucket learns nothing about which
 * keys exist, so a missing key is AccessDenied to them rather than NoSuchKey.
 */
async function hideMissingKey(ctx: RequestContext, auth: Authenticated, { bucket }: Address, deps: OperationDeps, error: unknown): Promise<unknown> {
  if (!(error instanceof S3Error) || error.code !== 'NoSuchKey' || bucket === undefined || auth.principal?.kind === 'root') return error;
  const mayList = await deps.authorizer.allows(ctx, auth, 's3:ListBucket', bucketArn(bucket), bucket);
  return mayList ? error : new S3Error('AccessDenied');
}
