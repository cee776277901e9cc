import type { S3Action } from '../iam/index.js';
import type { Authenticated } from './auth.js';
import type { RequestContext } from './context.js';
import type { S3Deps } from './deps.js';
import type { ParamName, QueryParams } from './operation-params.js';
import type { SubmittedForm } from './post-object/post-auth.js';

/*
 * One S3 operation, declared once as data (as Garage's router_match! does):
 * how a request selects it, what it is given, what it must be allowed, and
 * whether it stores bytes. The router, the permission check, the free-space
 * gate and the operation names are all derived from these declarations
 * (operations/index.ts gathers them); a declaration that leaves out its
 * permissions or its space class does not type-check.
 */

export type Target = 'service' | 'bucket' | 'object';

/** What the credentials step found: who signed, and for a form upload (`credentials: 'form'`) the form read up to its file. */
export type Credentials = Authenticated & { readonly form?: SubmittedForm };

export type Method = 'GET' | 'HEAD' | 'PUT' | 'POST' | 'DELETE';

/**
 * Which resource a permission names: the request's own (service, bucket,
 * object), or the copy source, which the operation checks itself once it has
 * parsed x-amz-copy-source.
 */
export type PermissionResource = 'service' | 'bucket' | 'object' | 'source-object';

export interface Permission {
  readonly action: S3Action;
  readonly resource: PermissionResource;
}

/**
 * `stores`: the operation writes bytes, so it is refused (507) while free
 * space is below --min-free. `frees-or-reads`: never refused; on a full disk
 * deletes and reads are how space comes back.
 */
export type SpaceClass = 'stores' | 'frees-or-reads';

/** What the address gives an operation of each target. */
export interface TargetParams {
  readonly service: Record<never, never>;
  readonly bucket: { readonly bucket: string };
  readonly object: { readonly bucket: string; readonly key: string };
}

export type Params<T extends Target, P extends ParamName> = TargetParams[T] & Pick<QueryParams, P>;

export interface OperationDeclaration<T extends Target = Target, P extends ParamName = ParamName> {
  readonly method: Method;
  readonly target: T;
  /** A query parameter that selects this operation (an S3 "subresource"), optionally with a value. */
  readonly query?: readonly [name: string, value?: string];
  /** A request header that selects this operation (CopyObject is a PUT with x-amz-copy-source). */
  readonly header?: string;
  /** Where the credentials are: the request's signature (default), or the signed policy in a form body (POST Object). */
  readonly credentials?: 'form';
  /** Query parameters parsed (and refused when malformed) just before the operation runs, in this order. */
  readonly params?: readonly P[];
  /** Every one must be allowed; the pipeline checks those on the request's own resource. */
  readonly permissions: readonly Permission[];
  /**
   * The pipeline checks each permission against the request's resource unless
   * the operation does so itself: `per-key`, once per key of its body
   * (DeleteObjects); `after-body`, once its body is read, since conditions
   * are about what it carries (PutObjectTagging: s3:RequestObjectTag).
   */
  readonly authorises?: 'per-key' | 'after-body';
  readonly space: SpaceClass;
  run(ctx: RequestContext, auth: Credentials, deps: S3Deps, params: Params<T, P>): Promise<void>;
}

/** Declares an operation, inferring its target and parameters so that `run` is given exactly those. */
export function operation<T extends Target, P extends ParamName = never>(declaration: OperationDeclaration<T, P>): OperationDeclaration<T, P> {
  return declaration;
}

/** Any declaration, as the router and the pipeline hold them. */
export type AnyOperation = OperationDeclaration<Target, ParamName>;
