import type { Principal } from '../../src/identity/identities.js';
import { identify, type Authenticated, type AuthDeps, type AuthOptions, type AuthType, type Claim } from '../../src/s3/auth.js';
import type { RequestContext } from '../../src/s3/context.js';
import type { VerifiedAuth } from '../../src/sigv4/verify.js';

/** What the pipeline records of a request's authentication (its Outcome's authType, principal, and a form's key). */
export interface Signer {
  authType: AuthType;
  principal: Principal | undefined;
  key: string | undefined;
}

const signers = new WeakMap<RequestContext, Signer>();

/** Credentials without the signer, the verification's fields spread out (each kind of signature keeps its own). */
export type Unsigned<A extends Authenticated> = VerifiedAuth & Omit<A, 'authType' | 'principal' | 'verified' | 'policyDocuments'>;

/**
 * The authenticate stage as the pipeline runs it: the claim's auth type (and
 * a form's key) recorded first, then who signed once verified. Returns the
 * verified credentials without the signer, as the tests compare them.
 */
export async function verifyClaim<A extends Authenticated>(ctx: RequestContext, claim: Claim<A>): Promise<Unsigned<A>> {
  const signer: Signer = { authType: claim.authType, principal: undefined, key: claim.key };
  signers.set(ctx, signer);
  const { authType, principal, verified, policyDocuments: _documents, ...rest } = await claim.verify();
  signer.authType = authType;
  signer.principal = principal;
  return { ...verified, ...rest };
}

/** A signature's claim (header or query) made and verified, as the pipeline does for S3, STS and the admin API. */
export async function authenticate(ctx: RequestContext, deps: AuthDeps, options?: AuthOptions): Promise<VerifiedAuth> {
  return verifyClaim(ctx, identify(ctx, deps, options));
}

/** What was recorded for the request: anonymous if it was refused before claiming a mechanism. */
export function signerOf(ctx: RequestContext): Signer {
  return signers.get(ctx) ?? { authType: 'anonymous', principal: undefined, key: undefined };
}
