import { S3Error } from '../errors.js';
import { authErrors } from '../sigv4/errors.js';
import { parseAuthorization } from '../sigv4/parse.js';
import type { SigningKeyCache } from '../sigv4/signing-key.js';
import type { CryptoProvider } from '../sigv4/types.js';
import { verifyParsed, type VerifiedAuth } from '../sigv4/verify.js';
import type { RequestContext } from './context.js';
import type { Route } from './routes.js';

export interface Identity {
  readonly kind: 'root' | 'user';
  readonly name: string;
  readonly accessKeyId: string;
}

export interface KeyRecord {
  readonly secretAccessKey: string;
  readonly identity: Identity;
}

/** Who holds an access key, checked at the moment of each request (never cached past it). */
export interface KeyLookup {
  (accessKeyId: string): Promise<KeyRecord | undefined> | KeyRecord | undefined;
}

export interface AuthDeps {
  readonly region: string;
  readonly crypto: CryptoProvider;
  readonly keyCache: SigningKeyCache;
  readonly lookupKey: KeyLookup;
  readonly now: () => number;
}

/** Verifies the signature (header or query), records who signed, returns the verification for body decoding. */
export async function authenticate(ctx: RequestContext, deps: AuthDeps, virtualHostBucket: string | undefined): Promise<VerifiedAuth> {
  const parsed = parseAuthorization(ctx.signable, { region: deps.region, service: 's3' });
  if (parsed.version === 0) return { version: 0 };
  ctx.authType = parsed.mode === 'query' ? 'presigned' : 'header';
  const record = await deps.lookupKey(parsed.accessKeyId);
  if (record === undefined) throw authErrors.unknownAccessKey(parsed.accessKeyId);
  const verified = verifyParsed(parsed, ctx.signable, record.secretAccessKey, {
    now: deps.now(),
    crypto: deps.crypto,
    keyCache: deps.keyCache,
    ...(virtualHostBucket === undefined ? {} : { virtualHostBucket }),
  });
  ctx.identity = record.identity;
  return verified;
}

/**
 * The permission check. Until policies exist, any valid signer has every
 * right and anonymous requests have none: nothing is public by default.
 */
export function authorize(ctx: RequestContext, _route: Route): void {
  if (ctx.identity === undefined) throw new S3Error('AccessDenied');
}
