import { S3Error } from '../errors.js';
import { tokenMatches, type Principal, type ResolvedKey } from '../identity/identities.js';
import { authErrors } from '../sigv4/errors.js';
import { parseAuthorization, type ParseOptions, type V4Auth } from '../sigv4/parse.js';
import type { V2Auth } from '../sigv4/sigv2.js';
import type { SigningKeyCache } from '../sigv4/signing-key.js';
import type { CryptoProvider, SignableRequest } from '../sigv4/types.js';
import { verifyParsed, type VerifiedAuth } from '../sigv4/verify.js';
import type { RequestContext } from './context.js';
import type { VerifiedRequestCache, VerifiedCacheScope } from './verified-cache.js';

/** Who holds an access key, read at the moment of each request (never cached past it). */
export type KeyLookup = (accessKeyId: string) => Promise<ResolvedKey | undefined>;

export interface AuthDeps {
  readonly region: string;
  readonly crypto: CryptoProvider;
  readonly keyCache: SigningKeyCache;
  readonly lookupKey: KeyLookup;
  readonly now: () => number;
  /** False refuses every SigV2 request (header, query, POST policy); default true. */
  readonly sigv2?: boolean;
  /** Verified pre-signed requests, one per server (the composition root makes it); absent or `false`: every use is verified. */
  readonly verifiedCache?: VerifiedRequestCache | false;
}

export interface AuthOptions {
  /** The bucket a virtual-hosted Host names (SigV2 signs it). */
  readonly virtualHostBucket?: string | undefined;
  /** STS signs with service "sts" and hashes the body itself. */
  readonly service?: string;
  readonly payloadHash?: string;
  /** Where to look: defaults to the request as received. */
  readonly request?: SignableRequest;
}

export type AuthType = 'header' | 'presigned' | 'anonymous';

/**
 * Who signed a request and how: the authenticate stage's output, which the
 * pipeline hands every later stage. The verification is held, not copied: a
 * link fetched again is handed the one its first use remembered.
 */
export interface Authenticated {
  readonly verified: VerifiedAuth;
  readonly authType: AuthType;
  /** Undefined for an anonymous request. */
  readonly principal?: Principal | undefined;
  /** A user key's identity policy documents, read with the key for this request (see ResolvedKey). */
  readonly policyDocuments?: readonly string[] | undefined;
}

export const ANONYMOUS: Authenticated = { verified: { version: 0 }, authType: 'anonymous' };

/** The stage's output for a verified signature by the holder of `resolved`. */
export function authenticated(verified: VerifiedAuth, authType: AuthType, resolved: ResolvedKey): Authenticated {
  return { verified, authType, principal: resolved.principal, policyDocuments: resolved.policyDocuments };
}

/**
 * The authenticate stage in two steps: how the request says it is signed,
 * found from its structure alone (a malformed signature is refused before
 * that), and the check of that claim. The pipeline records the claim before
 * it is checked, so a refused request is logged and counted under the
 * mechanism it used.
 */
export interface Claim<A extends Authenticated = Authenticated> {
  readonly authType: AuthType;
  /** A key the credentials name (a POST form's key field): the request's key from then on. */
  readonly key?: string;
  verify(): Promise<A>;
}

/**
 * The signature's claim (header or query, SigV4 or SigV2); verifying it
 * checks the key, the signature, the time window, then the session token of
 * temporary credentials, and says who signed.
 */
export function identify(ctx: RequestContext, deps: AuthDeps, options: AuthOptions = {}): Claim {
  const request = options.request ?? ctx.signable;
  const parseOptions: ParseOptions = {
    region: deps.region,
    service: options.service ?? 's3',
    requireContentSha256: options.payloadHash === undefined,
  };
  // Downloads are what a link is fetched for again and again (a video seeking, a page reloaded); an upload
  // link is used once, and remembering each would only fill memory.
  const cache = (request.method === 'GET' || request.method === 'HEAD') && deps.verifiedCache ? deps.verifiedCache : undefined;
  const scope: VerifiedCacheScope = options.payloadHash === undefined ? parseOptions : { ...parseOptions, payloadHash: options.payloadHash };
  const hit = cache?.find(request, scope);
  if (cache !== undefined && hit !== undefined) {
    // The same link again: only what can have changed since is checked (the key, its secret, the time, the token).
    return {
      authType: 'presigned',
      async verify() {
        const resolved = await deps.lookupKey(hit.accessKeyId);
        if (resolved === undefined) {
          cache.forget(hit);
          throw authErrors.unknownAccessKey(hit.accessKeyId);
        }
        const now = deps.now();
        const verified = cache.revalidate(hit, resolved.secretAccessKey, now);
        if (verified !== undefined) {
          checkSessionToken(resolved, verified.securityToken, now);
          return authenticated(verified, 'presigned', resolved);
        }
        // The key's secret changed: verify from scratch (it fails unless the URL was signed with the new one).
        const parsed = parseAuthorization(request, parseOptions);
        return parsed.version === 0 ? ANONYMOUS : verifyClaim(parsed, request, deps, options, cache, scope);
      },
    };
  }
  const parsed = parseAuthorization(request, parseOptions);
  if (parsed.version === 0) return { authType: 'anonymous', verify: () => Promise.resolve(ANONYMOUS) };
  if (parsed.version === 2 && deps.sigv2 === false) throw sigv2Disabled();
  return { authType: parsed.mode === 'query' ? 'presigned' : 'header', verify: () => verifyClaim(parsed, request, deps, options, cache, scope) };
}

async function verifyClaim(
  parsed: V4Auth | V2Auth,
  request: SignableRequest,
  deps: AuthDeps,
  options: AuthOptions,
  cache: VerifiedRequestCache | undefined,
  scope: VerifiedCacheScope,
): Promise<Authenticated> {
  const resolved = await deps.lookupKey(parsed.accessKeyId);
  if (resolved === undefined) throw authErrors.unknownAccessKey(parsed.accessKeyId);
  const now = deps.now();
  let verified;
  try {
    verified = verifyParsed(parsed, request, resolved.secretAccessKey, {
      now,
      crypto: deps.crypto,
      keyCache: deps.keyCache,
      ...(options.virtualHostBucket === undefined ? {} : { virtualHostBucket: options.virtualHostBucket }),
      ...(options.payloadHash === undefined ? {} : { payloadHash: options.payloadHash }),
    });
  } catch (error) {
    // A retried forgery or expired link is then refused as cheaply as a valid one is served.
    if (parsed.version === 4) cache?.rememberRefusal(request, scope, parsed, error, resolved.secretAccessKey);
    throw error;
  }
  checkSessionToken(resolved, verified.securityToken, now);
  // Only successes, and only once the session token passed too.
  if (parsed.version === 4 && verified.version === 4) cache?.remember(request, scope, parsed, verified, resolved.secretAccessKey);
  return authenticated(verified, parsed.mode === 'query' ? 'presigned' : 'header', resolved);
}

export function sigv2Disabled(): S3Error {
  return new S3Error('InvalidRequest', 'SigV2 authentication is disabled on this server; use AWS4-HMAC-SHA256');
}

/** Temporary credentials need their token; long-term keys must not carry one. */
export function checkSessionToken(resolved: ResolvedKey, token: string | undefined, now: number): void {
  if (resolved.tokenHash === undefined) {
    if (token !== undefined) throw new S3Error('InvalidToken');
    return;
  }
  if (token === undefined || !tokenMatches(token, resolved.tokenHash)) throw new S3Error('InvalidToken');
  const expiresAt = resolved.principal.session?.expiresAt;
  if (expiresAt !== undefined && now >= expiresAt.getTime()) throw new S3Error('ExpiredToken');
}
