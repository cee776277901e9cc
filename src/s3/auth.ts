import { S3Error } from '../errors.js';
import { tokenMatches, type Principal, type ResolvedKey } from '../identity/identities.js';
import { authErrors } from '../sigv4/errors.js';
import { parseAuthorization, type ParseOptions } from '../sigv4/parse.js';
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

/**
 * Verifies the signature (header or query, SigV4 or SigV2), then the session
 * token of temporary credentials, and records who signed on the context.
 */
export async function authenticate(ctx: RequestContext, deps: AuthDeps, options: AuthOptions = {}): Promise<VerifiedAuth> {
  const { verified, principal } = await verifyRequest(ctx, deps, options);
  ctx.principal = principal;
  return verified;
}

async function verifyRequest(ctx: RequestContext, deps: AuthDeps, options: AuthOptions): Promise<{ verified: VerifiedAuth; principal?: Principal }> {
  const request = options.request ?? ctx.signable;
  const parseOptions: ParseOptions = {
    region: deps.region,
    service: options.service ?? 's3',
    requireContentSha256: options.payloadHash === undefined,
  };
  // Downloads are what a link is fetched for again and again (a video seeking, a page reloaded); an upload
  // link is used once, and remembering each would only fill memory.
  const cache = (request.method === 'GET' || request.method === 'HEAD') && deps.verifiedCache ? deps.verifiedCache : undefined;
  const scope: VerifiedCacheScope = { ...parseOptions, ...(options.payloadHash === undefined ? {} : { payloadHash: options.payloadHash }) };
  const hit = cache?.find(request, scope);
  if (cache !== undefined && hit !== undefined) {
    // The same link again: only what can have changed since is checked (the key, its secret, the time, the token).
    ctx.authType = 'presigned';
    const resolved = await deps.lookupKey(hit.accessKeyId);
    if (resolved === undefined) {
      cache.forget(hit);
      throw authErrors.unknownAccessKey(hit.accessKeyId);
    }
    const now = deps.now();
    const verified = cache.revalidate(hit, resolved.secretAccessKey, now);
    if (verified !== undefined) {
      checkSessionToken(resolved, verified.securityToken, now);
      return { verified, principal: resolved.principal };
    }
    // The key's secret changed: verify from scratch (it fails unless the URL was signed with the new one).
  }
  const parsed = parseAuthorization(request, parseOptions);
  if (parsed.version === 0) return { verified: { version: 0 } };
  if (parsed.version === 2 && deps.sigv2 === false) throw sigv2Disabled();
  ctx.authType = parsed.mode === 'query' ? 'presigned' : 'header';
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
  return { verified, principal: resolved.principal };
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
